//! The merge of a MutatingPolicy's (or MutatingAdmissionPolicy's) apply
//! configuration into the object, as server-side apply merges it: maps merge
//! field by field (`null` removes a field), lists Kubernetes declares as maps
//! (`containers` by `name`, `volumeMounts` by `mountPath`, ... the table of
//! [`merge_keys`](super::merge_keys)) merge element by element, the object's
//! elements keeping their place and new ones going after them, sets of
//! scalars (`finalizers`) gain the new values, and every other list is
//! replaced whole (atomic). Unlike `patchStrategicMerge`, keys are plain
//! field names: there are no anchors nor `$patch` directives.

use serde_json::{Map, Value as Json};

use super::merge_keys::{list_merge, ListMerge};

/// The deepest configuration merged; deeper levels replace the object's
/// value whole rather than recurse further (the walk recurses per level).
pub const MAX_DEPTH: usize = 256;

/// Merges `config` into `object`.
pub fn apply_configuration(mut object: Json, config: &Json) -> Json {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (api_version, kind) = (text("/apiVersion"), text("/kind"));
    let mut walk = Walk {
        api_version: &api_version,
        kind: &kind,
        path: Vec::new(),
    };
    walk.merge(&mut object, config);
    object
}

/// Where the walk is: the object's kind (lists merge by its schema) and the
/// field names from the root (list indices left out).
struct Walk<'a> {
    api_version: &'a str,
    kind: &'a str,
    path: Vec<String>,
}

impl Walk<'_> {
    fn merge(&mut self, target: &mut Json, config: &Json) {
        if self.path.len() >= MAX_DEPTH {
            *target = config.clone();
            return;
        }
        match (target, config) {
            (Json::Object(target), Json::Object(fields)) => self.merge_map(target, fields),
            (Json::Array(list), Json::Array(items)) => {
                let mode = list_merge(self.api_version, self.kind, &self.path);
                self.merge_list(list, items, mode);
            }
            (target, config) => *target = config.clone(),
        }
    }

    fn merge_map(&mut self, target: &mut Map<String, Json>, fields: &Map<String, Json>) {
        for (key, value) in fields {
            if value.is_null() {
                target.remove(key);
                continue;
            }
            self.path.push(key.clone());
            match target.get_mut(key) {
                Some(existing) => self.merge(existing, value),
                None => {
                    // A new field still goes through the walk, so that a
                    // `null` inside it is dropped rather than stored.
                    let mut fresh = empty_like(value);
                    self.merge(&mut fresh, value);
                    target.insert(key.clone(), fresh);
                }
            }
            self.path.pop();
        }
    }

    fn merge_list(&mut self, list: &mut Vec<Json>, items: &[Json], mode: ListMerge) {
        match mode {
            ListMerge::Replace => *list = items.to_vec(),
            ListMerge::Primitive => {
                for item in items {
                    if !list.contains(item) {
                        list.push(item.clone());
                    }
                }
            }
            ListMerge::ByKey(key) => {
                for item in items {
                    let id = item.get(key);
                    let found = id.and_then(|id| list.iter().position(|e| e.get(key) == Some(id)));
                    match found {
                        Some(i) => self.merge(&mut list[i], item),
                        None => {
                            let mut fresh = empty_like(item);
                            self.merge(&mut fresh, item);
                            list.push(fresh);
                        }
                    }
                }
            }
        }
    }
}

/// An empty value of the same shape (a map to merge a new map into).
fn empty_like(v: &Json) -> Json {
    match v {
        Json::Object(_) => Json::Object(Map::new()),
        Json::Array(_) => Json::Array(Vec::new()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Json) -> Json {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    }

    #[test]
    fn merges_as_server_side_apply() {
        let cases = [
            (
                "maps merge field by field; null removes",
                pod(json!({"a": 1, "b": {"c": 2, "d": 3}})),
                json!({"spec": {"b": {"c": 9, "d": null}, "e": true}}),
                pod(json!({"a": 1, "b": {"c": 9}, "e": true})),
            ),
            (
                "containers merge by name; new ones go last",
                pod(json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}]})),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "a", "image": "y"}]}}),
                pod(
                    json!({"containers": [{"name": "a", "image": "y"}, {"name": "b"}, {"name": "c"}]}),
                ),
            ),
            (
                "volume mounts merge by mountPath inside a merged container",
                pod(
                    json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/x", "name": "v"}]}]}),
                ),
                json!({"spec": {"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/y", "name": "w"}]}]}}),
                pod(json!({"containers": [{"name": "a", "volumeMounts": [
                    {"mountPath": "/x", "name": "v"}, {"mountPath": "/y", "name": "w"}]}]})),
            ),
            (
                "atomic lists are replaced",
                pod(
                    json!({"tolerations": [{"key": "a"}], "containers": [{"name": "a", "args": ["1", "2"]}]}),
                ),
                json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "a", "args": ["3"]}]}}),
                pod(
                    json!({"tolerations": [{"key": "b"}], "containers": [{"name": "a", "args": ["3"]}]}),
                ),
            ),
            (
                "finalizers are a set",
                json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"finalizers": ["a"]}}),
                json!({"metadata": {"finalizers": ["b", "a"]}}),
                json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"finalizers": ["a", "b"]}}),
            ),
            (
                "keys are plain names, not anchors",
                pod(json!({})),
                json!({"metadata": {"labels": {"(x)": "1", "$patch": "delete"}}}),
                json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "labels": {"(x)": "1", "$patch": "delete"}}, "spec": {}}),
            ),
        ];
        for (why, object, config, want) in cases {
            assert_eq!(apply_configuration(object, &config), want, "{why}");
        }
    }
}
