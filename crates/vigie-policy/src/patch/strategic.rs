//! A strategic merge of an overlay into an object, with the semantics Kyverno gets
//! from kustomize: maps merge key by key, `null` removes a key, `$patch: delete` /
//! `$patch: replace` / `$patch: merge` directives apply, lists whose schema says so
//! merge element by element (see [`merge_keys`](super::merge_keys)) with the patch's
//! elements first, and every other list is replaced. Only the overlay is walked:
//! the cost grows with the overlay, not with the object.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as Json};

use super::merge_keys::{list_merge, type_of, ListMerge};

/// Why an overlay could not be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The overlay has a map where the object has a list, say.
    #[error("at {path}: cannot merge {patch} into {object}")]
    KindMismatch {
        /// Dotted path of the field.
        path: String,
        /// What the overlay holds there.
        patch: &'static str,
        /// What the object holds there.
        object: &'static str,
    },
    /// A `$patch` directive other than delete, replace or merge.
    #[error("at {path}: unknown $patch directive {value:?} (expected delete, replace or merge)")]
    UnknownDirective {
        /// Dotted path of the field.
        path: String,
        /// The directive's value.
        value: String,
    },
    /// The overlay deletes the object itself.
    #[error("the patch deletes the whole object")]
    DeletesObject,
}

const DIRECTIVE: &str = "$patch";

/// The schema context of a merge: which kind the object is.
struct Walk<'a> {
    api_version: &'a str,
    kind: &'a str,
    path: Vec<String>,
}

/// Merges `overlay` into `object`, in place.
pub fn merge(object: &mut Json, overlay: &Json) -> Result<(), MergeError> {
    let (api_version, kind) = type_of(object);
    let mut walk = Walk {
        api_version: &api_version,
        kind: &kind,
        path: Vec::new(),
    };
    let taken = std::mem::take(object);
    *object = walk
        .value(Some(taken), overlay)?
        .ok_or(MergeError::DeletesObject)?;
    Ok(())
}

fn shape(v: &Json) -> &'static str {
    match v {
        Json::Object(_) => "a map",
        Json::Array(_) => "a list",
        Json::Null => "null",
        _ => "a scalar",
    }
}

fn same_shape(a: &Json, b: &Json) -> bool {
    matches!(
        (a, b),
        (Json::Object(_), Json::Object(_)) | (Json::Array(_), Json::Array(_))
    ) || (!a.is_object() && !a.is_array() && !b.is_object() && !b.is_array())
}

impl Walk<'_> {
    fn path_text(&self) -> String {
        if self.path.is_empty() {
            "the root".into()
        } else {
            self.path.join(".")
        }
    }

    /// The merged value, or `None` when the field is to be removed.
    fn value(&mut self, dest: Option<Json>, patch: &Json) -> Result<Option<Json>, MergeError> {
        let dest = dest.filter(|d| !d.is_null());
        if patch.is_null() {
            return Ok(None);
        }
        if let Some(d) = &dest {
            if !same_shape(d, patch) {
                return Err(MergeError::KindMismatch {
                    path: self.path_text(),
                    patch: shape(patch),
                    object: shape(d),
                });
            }
        }
        match (dest, patch) {
            (Some(Json::Object(d)), Json::Object(p)) => self.map(Some(d), p),
            (None, Json::Object(p)) => self.map(None, p),
            (Some(Json::Array(d)), Json::Array(p)) => self.list(d, p),
            (_, other) => Ok(Some(other.clone())),
        }
    }

    fn directive(&self, value: &Json) -> Result<&'static str, MergeError> {
        match value.as_str() {
            Some("delete") => Ok("delete"),
            Some("replace") => Ok("replace"),
            Some("merge") => Ok("merge"),
            _ => Err(MergeError::UnknownDirective {
                path: self.path_text(),
                value: crate::json::display(value),
            }),
        }
    }

    fn map(
        &mut self,
        dest: Option<Map<String, Json>>,
        patch: &Map<String, Json>,
    ) -> Result<Option<Json>, MergeError> {
        let directive = match patch.get(DIRECTIVE) {
            Some(d) => self.directive(d)?,
            None => "merge",
        };
        if directive == "delete" {
            return Ok(None);
        }
        let mut out = match (directive, dest) {
            ("merge", Some(d)) => d,
            _ => Map::new(),
        };
        for (key, value) in patch {
            if key == DIRECTIVE {
                continue;
            }
            self.path.push(key.clone());
            let merged = self.value(out.remove(key), value);
            self.path.pop();
            if let Some(v) = merged? {
                out.insert(key.clone(), v);
            }
        }
        Ok(Some(Json::Object(out)))
    }

    fn list(&mut self, dest: Vec<Json>, patch: &[Json]) -> Result<Option<Json>, MergeError> {
        let mode = list_merge(self.api_version, self.kind, &self.path);
        if mode == ListMerge::Replace {
            return Ok(Some(Json::Array(patch.to_vec())));
        }
        // A `{$patch: ...}` element speaks for the whole list.
        let mut patch: Vec<&Json> = patch.iter().collect();
        if let Some(i) = patch.iter().position(|e| {
            e.as_object()
                .is_some_and(|m| m.len() == 1 && m.contains_key(DIRECTIVE))
        }) {
            let directive = self.directive(&patch[i][DIRECTIVE])?;
            patch.remove(i);
            match directive {
                "delete" => return Ok(None),
                "replace" => return Ok(Some(Json::Array(patch.into_iter().cloned().collect()))),
                _ => {}
            }
        }
        match mode {
            ListMerge::ByKey(key) => self.list_by_key(dest, &patch, key).map(Some),
            _ => Ok(Some(primitive_union(&dest, &patch))),
        }
    }

    fn list_by_key(
        &mut self,
        dest: Vec<Json>,
        patch: &[&Json],
        key: &str,
    ) -> Result<Json, MergeError> {
        let key_of = |e: &Json| e.get(key).map(key_text).unwrap_or_default();
        // First element of each key on each side (hash maps keep this linear).
        let dest_keys: Vec<String> = dest.iter().map(key_of).collect();
        let mut dest: Vec<Option<Json>> = dest.into_iter().map(Some).collect();
        let mut dest_index: HashMap<&str, usize> = HashMap::new();
        for (i, k) in dest_keys.iter().enumerate() {
            dest_index.entry(k.as_str()).or_insert(i);
        }
        let patch_keys: Vec<String> = patch.iter().map(|e| key_of(e)).collect();
        let mut patch_index: HashMap<&str, usize> = HashMap::new();
        for (i, k) in patch_keys.iter().enumerate() {
            patch_index.entry(k.as_str()).or_insert(i);
        }
        // The patch's elements come first, then the object's others, as kustomize orders them.
        let mut seen: HashSet<&str> = HashSet::new();
        let order: Vec<&str> = patch_keys
            .iter()
            .chain(&dest_keys)
            .map(String::as_str)
            .filter(|k| seen.insert(k))
            .collect();
        let mut out = Vec::with_capacity(order.len());
        for k in order {
            let d = dest_index.get(k).and_then(|&i| dest[i].take());
            let merged = match patch_index.get(k) {
                Some(&i) => self.value(d, patch[i])?,
                None => d,
            };
            match merged {
                None => {}
                Some(Json::Object(m)) if m.is_empty() => {}
                Some(mut v) => {
                    if let Json::Object(m) = &mut v {
                        if !m.contains_key(key) && !k.is_empty() {
                            m.insert(key.to_string(), Json::String(k.to_string()));
                        }
                    }
                    out.push(v);
                }
            }
        }
        Ok(Json::Array(out))
    }
}

/// The text a merge key is compared by.
fn key_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// A set of scalars: the patch's first, then the object's others.
fn primitive_union(dest: &[Json], patch: &[&Json]) -> Json {
    let mut seen: HashSet<String> = HashSet::new();
    let out = patch
        .iter()
        .copied()
        .chain(dest.iter())
        .filter(|v| seen.insert(key_text(v)))
        .cloned()
        .collect();
    Json::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merge(object: &Json, overlay: &Json) -> Result<Json, MergeError> {
        let mut out = object.clone();
        super::merge(&mut out, overlay).map(|()| out)
    }

    fn pod(spec: Json) -> Json {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    }

    #[test]
    fn maps_merge_and_null_removes() {
        let out = merge(
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"a": "1", "b": "2"}}}),
            &json!({"metadata": {"labels": {"a": null, "c": "3"}}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"b": "2", "c": "3"}));
    }

    #[test]
    fn containers_merge_by_name_patch_elements_first() {
        let object =
            pod(json!({"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}));
        let out = merge(
            &object,
            &json!({"spec": {"containers": [{"name": "b", "imagePullPolicy": "Always"}]}}),
        )
        .unwrap();
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "b", "image": "y", "imagePullPolicy": "Always"}, {"name": "a", "image": "x"}])
        );
    }

    #[test]
    fn other_lists_are_replaced() {
        let object = pod(
            json!({"tolerations": [{"key": "a"}], "containers": [{"name": "a", "args": ["1", "2"]}]}),
        );
        let out = merge(
            &object,
            &json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "a", "args": ["3"]}]}}),
        )
        .unwrap();
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
        assert_eq!(out["spec"]["containers"][0]["args"], json!(["3"]));
    }

    #[test]
    fn directives_delete_and_replace() {
        let object = pod(
            json!({"containers": [{"name": "a"}, {"name": "b"}], "securityContext": {"runAsUser": 1}}),
        );
        let out = merge(
            &object,
            &json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}],
                              "securityContext": {"$patch": "replace", "runAsGroup": 2}}}),
        )
        .unwrap();
        assert_eq!(out["spec"]["containers"], json!([{"name": "b"}]));
        assert_eq!(out["spec"]["securityContext"], json!({"runAsGroup": 2}));
    }

    #[test]
    fn a_map_into_a_scalar_is_an_error() {
        let err = merge(
            &pod(json!({"hostNetwork": true})),
            &json!({"spec": {"hostNetwork": {"a": 1}}}),
        );
        assert!(matches!(err, Err(MergeError::KindMismatch { .. })));
    }

    #[test]
    fn a_long_keyed_list_merges_element_by_element() {
        let n = 20_000;
        let env: Vec<Json> = (0..n)
            .map(|i| json!({"name": format!("V{i}"), "value": "a"}))
            .collect();
        let object = pod(json!({"containers": [{"name": "c", "env": env}]}));
        let patch_env: Vec<Json> = (0..n)
            .map(|i| json!({"name": format!("V{i}"), "value": "b"}))
            .collect();
        let out = merge(
            &object,
            &json!({"spec": {"containers": [{"name": "c", "env": patch_env}]}}),
        )
        .unwrap();
        let merged = out["spec"]["containers"][0]["env"].as_array().unwrap();
        assert_eq!(merged.len(), n);
        assert!(merged.iter().all(|e| e["value"] == "b"));
    }

    #[test]
    fn finalizers_are_a_set() {
        let object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"finalizers": ["a", "b"]}});
        let out = merge(&object, &json!({"metadata": {"finalizers": ["c", "a"]}})).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
    }
}
