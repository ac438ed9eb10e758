//! Anchors in a `patchStrategicMerge` overlay, resolved against the resource before
//! the merge, as Kyverno does:
//!
//! - `+(key)` add-if-absent: kept (as `key`) only where the resource lacks `key`;
//! - `(key)` conditional: the map (or list element) applies only where the
//!   resource's `key` matches the anchor's value; a failing condition outside a list
//!   turns the whole patch into a no-op;
//! - `<(key)` global: a failing condition anywhere turns the whole patch into a no-op.
//!
//! A list element holding conditions is replaced by one copy per matching resource
//! element, tied to it by `name` (the strategic merge key of containers, volumes...).
//! The conditions themselves are then removed from the overlay.

use serde_json::{Map, Value as Json};

use crate::anchors::{self, Anchor};
use crate::json::array_items;
use crate::pattern;

/// Why an overlay does not apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// A conditional anchor `(key)` does not hold.
    #[error("condition failed: {0}")]
    Condition(String),
    /// A global anchor `<(key)` does not hold.
    #[error("global condition failed: {0}")]
    Global(String),
}

fn anchor_of(key: &str) -> Option<Anchor> {
    anchors::parse(key.trim()).map(|(a, _)| a)
}

/// Conditional or global: the anchors that are conditions in a mutation overlay.
fn is_condition(a: Option<Anchor>) -> bool {
    matches!(a, Some(Anchor::Conditional | Anchor::Global))
}

/// The anchors that make a list element depend on the resource.
fn is_any_mutation_anchor(a: Option<Anchor>) -> bool {
    is_condition(a) || a == Some(Anchor::AddIfNotPresent)
}

/// Resolves the anchors of `overlay` against `resource`. On a condition that does
/// not hold, the caller applies nothing.
pub fn resolve(overlay: &mut Json, resource: &Json) -> Result<(), AnchorError> {
    walk(overlay, Some(resource))?;
    if let Json::Object(map) = overlay {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let delete_scalar = is_condition(anchor_of(&key));
            let remove = map
                .get_mut(&key)
                .is_some_and(|v| strip_anchors(v, delete_scalar, false));
            if remove {
                map.remove(&key);
            }
        }
    }
    Ok(())
}

fn walk(overlay: &mut Json, resource: Option<&Json>) -> Result<(), AnchorError> {
    match overlay {
        Json::Object(map) => walk_map(map, resource),
        Json::Array(items) if items.first().is_some_and(Json::is_object) => {
            walk_list_of_maps(items, resource)
        }
        _ => Ok(()),
    }
}

fn field<'a>(resource: Option<&'a Json>, key: &str) -> Option<&'a Json> {
    resource.and_then(Json::as_object).and_then(|m| m.get(key))
}

fn walk_map(map: &mut Map<String, Json>, resource: Option<&Json>) -> Result<(), AnchorError> {
    add_if_absent(map, resource);
    check_conditions(map, resource)?;
    let plain: Vec<String> = map
        .keys()
        .filter(|k| !is_any_mutation_anchor(anchor_of(k)))
        .cloned()
        .collect();
    for key in plain {
        let resource_value = field(resource, &key);
        if let Some(value) = map.get_mut(&key) {
            walk(value, resource_value)?;
        }
    }
    Ok(())
}

/// `+(key)`: dropped where the resource has `key`, else renamed to `key`. Returns
/// how many such anchors the map had.
fn add_if_absent(map: &mut Map<String, Json>, resource: Option<&Json>) -> usize {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| anchor_of(k) == Some(Anchor::AddIfNotPresent))
        .cloned()
        .collect();
    for key in &keys {
        let Some((_, bare)) = anchors::parse(key.trim()) else {
            continue;
        };
        let value = map.remove(key);
        if field(resource, bare).is_none() {
            if let Some(value) = value {
                map.insert(bare.to_string(), value);
            }
        }
    }
    keys.len()
}

/// Checks the global anchors of a map, then its conditional ones.
fn check_conditions(
    map: &mut Map<String, Json>,
    resource: Option<&Json>,
) -> Result<(), AnchorError> {
    check_anchored(map, resource, Anchor::Global).map_err(AnchorError::Global)?;
    check_anchored(map, resource, Anchor::Conditional).map_err(AnchorError::Condition)
}

fn check_anchored(
    map: &mut Map<String, Json>,
    resource: Option<&Json>,
    which: Anchor,
) -> Result<(), String> {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| anchor_of(k) == Some(which))
        .cloned()
        .collect();
    for key in keys {
        let Some((_, bare)) = anchors::parse(key.trim()) else {
            continue;
        };
        let Some(resource_value) = field(resource, bare) else {
            return Err(format!("could not find {bare:?} key in the resource"));
        };
        let Some(pattern_value) = map.get_mut(&key) else {
            continue;
        };
        if let Json::Object(inner) = pattern_value {
            if add_if_absent(inner, Some(resource_value)) > 0 {
                continue;
            }
        }
        condition_holds(pattern_value, resource_value)?;
    }
    Ok(())
}

/// A condition's value is matched like a validate pattern; scalars compare as the
/// text they are written as, since Kyverno reads both sides from YAML text.
fn condition_holds(pattern_value: &Json, resource_value: &Json) -> Result<(), String> {
    let as_text = |v: &Json| match v {
        Json::String(s) => Json::String(s.clone()),
        Json::Null => Json::String(String::new()),
        Json::Bool(_) | Json::Number(_) => Json::String(v.to_string()),
        other => other.clone(),
    };
    let (p, r) = if is_scalar(pattern_value) {
        (as_text(pattern_value), as_text(resource_value))
    } else {
        (pattern_value.clone(), resource_value.clone())
    };
    pattern::validate(&r, &p).map_err(|m| m.message)
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Object(_) | Json::Array(_))
}

/// A list of maps: each element with anchors becomes one copy per resource element
/// it matches (named after it), and is itself removed later.
fn walk_list_of_maps(items: &mut Vec<Json>, resource: Option<&Json>) -> Result<(), AnchorError> {
    let resource_items = array_items(resource);
    let originals = items.len();
    for index in 0..originals {
        let element = &items[index];
        if !has_anchors(element, is_any_mutation_anchor) {
            continue;
        }
        let global = has_anchors(element, |a| a == Some(Anchor::Global));
        // One copy is resolved against every resource element in turn, as Kyverno does.
        let mut copy = element.clone();
        let mut global_passed = false;
        let mut last_global = None;
        for resource_item in resource_items {
            match walk(&mut copy, Some(resource_item)) {
                Ok(()) if global => global_passed = true,
                Ok(()) => {
                    if let Some(named) = named_copy(&copy, resource_item) {
                        items.push(named);
                    }
                }
                Err(AnchorError::Condition(_)) => {}
                Err(e @ AnchorError::Global(_)) => last_global = Some(e),
            }
        }
        if resource.is_none() {
            match walk(&mut copy, None) {
                Ok(()) => global_passed |= global,
                Err(AnchorError::Condition(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        if let (false, Some(e)) = (global_passed, last_global) {
            return Err(e);
        }
    }
    Ok(())
}

/// The resolved element, without its conditions, tied to the resource element by
/// `name`; nothing when the resource element has no name or nothing is left to patch.
fn named_copy(element: &Json, resource_item: &Json) -> Option<Json> {
    let name = resource_item.get("name").filter(|n| !is_empty_value(n))?;
    let mut copy = element.clone();
    if strip_anchors(&mut copy, true, false) {
        return None;
    }
    if let Json::Object(map) = &mut copy {
        map.insert("name".into(), name.clone());
    }
    Some(copy)
}

fn is_empty_value(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Whether a tree holds an anchor that `wanted` accepts (a scalar that reads as a
/// condition anchor counts, as in Kyverno).
fn has_anchors(node: &Json, wanted: fn(Option<Anchor>) -> bool) -> bool {
    match node {
        Json::Object(map) => map
            .iter()
            .any(|(k, v)| wanted(anchor_of(k)) || (!is_empty_value(v) && has_anchors(v, wanted))),
        Json::Array(items) => items.iter().any(|i| has_anchors(i, wanted)),
        Json::String(s) => is_condition(anchor_of(s)),
        _ => false,
    }
}

/// Removes conditions from the overlay; says whether `node` itself must go (it held
/// only conditions, or is a scalar under a condition when `delete_scalar`).
fn strip_anchors(node: &mut Json, delete_scalar: bool, traverse_maps: bool) -> bool {
    match node {
        Json::Object(map) => strip_in_map(map, traverse_maps),
        Json::Array(items) => strip_in_list(items, traverse_maps),
        _ => delete_scalar,
    }
}

fn strip_in_map(map: &mut Map<String, Json>, traverse_maps: bool) -> bool {
    if !strip_entries(map, condition_keys(map), true, traverse_maps) {
        for key in condition_keys(map) {
            if let (Some((_, bare)), Some(value)) = (anchors::parse(key.trim()), map.get(&key)) {
                let (bare, value) = (bare.to_string(), value.clone());
                map.remove(&key);
                map.insert(bare, value);
            }
        }
    }
    let keys: Vec<String> = map.keys().cloned().collect();
    strip_entries(map, keys, false, traverse_maps)
}

/// The keys of `map` that are condition anchors.
fn condition_keys(map: &Map<String, Json>) -> Vec<String> {
    map.keys()
        .filter(|k| is_condition(anchor_of(k)))
        .cloned()
        .collect()
}

/// Strips the conditions from the values of `keys` (a scalar goes when
/// `delete_scalar`) and removes the entries that must go; whether all went.
fn strip_entries(
    map: &mut Map<String, Json>,
    keys: Vec<String>,
    delete_scalar: bool,
    traverse_maps: bool,
) -> bool {
    let mut all_removed = true;
    for key in keys {
        let remove = map
            .get_mut(&key)
            .is_some_and(|v| strip_anchors(v, delete_scalar, traverse_maps));
        if remove {
            map.remove(&key);
        } else {
            all_removed = false;
        }
    }
    all_removed
}

/// Drops the list elements that held conditions. (Kyverno deletes by an index that
/// goes stale after the first deletion, which can drop the wrong element when two
/// elements hold conditions; this removes exactly the elements that should go.)
fn strip_in_list(items: &mut Vec<Json>, traverse_maps: bool) -> bool {
    let was_empty = items.is_empty();
    items.retain_mut(|item| {
        if has_anchors(item, is_any_mutation_anchor) {
            if traverse_maps && item.is_object() {
                !strip_anchors(item, true, traverse_maps)
            } else {
                false
            }
        } else {
            !strip_anchors(item, false, traverse_maps)
        }
    });
    items.is_empty() && !was_empty
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolved(overlay: Json, resource: Json) -> Result<Json, AnchorError> {
        let mut o = overlay;
        resolve(&mut o, &resource).map(|()| o)
    }

    #[test]
    fn add_if_absent_keeps_only_missing_keys() {
        let out = resolved(
            json!({"metadata": {"labels": {"+(a)": "new", "+(b)": "new"}}}),
            json!({"metadata": {"labels": {"a": "old"}}}),
        )
        .unwrap();
        assert_eq!(out, json!({"metadata": {"labels": {"b": "new"}}}));
    }

    #[test]
    fn conditional_anchor_on_a_map_gates_the_patch() {
        let overlay = json!({"metadata": {"(name)": "web-*", "labels": {"tier": "web"}}});
        let hit = resolved(overlay.clone(), json!({"metadata": {"name": "web-1"}})).unwrap();
        assert_eq!(hit, json!({"metadata": {"labels": {"tier": "web"}}}));
        let miss = resolved(overlay, json!({"metadata": {"name": "db-1"}}));
        assert!(matches!(miss, Err(AnchorError::Condition(_))));
    }

    #[test]
    fn conditional_anchor_in_a_list_names_each_matching_element() {
        let overlay =
            json!({"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}});
        let resource = json!({"spec": {"containers": [
            {"name": "a", "image": "nginx:latest"},
            {"name": "b", "image": "nginx:1.25"},
            {"name": "c", "image": "redis:latest"}
        ]}});
        let out = resolved(overlay, resource).unwrap();
        assert_eq!(
            out,
            json!({"spec": {"containers": [
                {"name": "a", "imagePullPolicy": "Always"},
                {"name": "c", "imagePullPolicy": "Always"}
            ]}})
        );
    }

    #[test]
    fn global_anchor_failure_stops_the_whole_patch() {
        let overlay = json!({"spec": {"containers": [{"<(image)": "*:latest"}], "priority": 1}});
        let resource = json!({"spec": {"containers": [{"name": "a", "image": "nginx:1"}]}});
        assert!(matches!(
            resolved(overlay.clone(), resource),
            Err(AnchorError::Global(_))
        ));
        let ok = json!({"spec": {"containers": [{"name": "a", "image": "nginx:latest"}]}});
        assert_eq!(
            resolved(overlay, ok).unwrap(),
            json!({"spec": {"priority": 1}})
        );
    }

    #[test]
    fn add_if_absent_inside_a_conditional_list_element() {
        let overlay =
            json!({"spec": {"volumes": [{"(emptyDir)": {"+(sizeLimit)": "20Mi"}, "name": "*"}]}});
        let resource = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
        let out = resolved(overlay, resource).unwrap();
        assert_eq!(
            out,
            json!({"spec": {"volumes": [{"emptyDir": {"sizeLimit": "20Mi"}, "name": "v"}]}})
        );
    }
}
