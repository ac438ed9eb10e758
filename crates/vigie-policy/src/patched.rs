//! `patchedResources` in `kyverno test` suites: the mutated object is compared with
//! the expected one as Kyverno's CLI does. Both are tidied first (null values,
//! empty maps and empty lists removed, recursively) and numbers compare by value,
//! so `1` equals `1.0`; key order never matters, list order does. An object of a
//! namespaced kind without a namespace is in `default`, on both sides, as Kyverno's
//! CLI reads every file.

use serde_json::{Map, Value as Json};

/// How the expected patched object compares with the mutated one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchedComparison {
    /// They are the same.
    Same,
    /// They differ: the first differing path, and both values there.
    Differs(String),
    /// The file holds no object with the mutated object's apiVersion, kind,
    /// namespace and name: Kyverno's CLI leaves such an entry out.
    NotInFile,
}

fn text<'a>(object: &'a Json, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
}

/// Compares `actual` with the object of the same identity among `expected_docs`.
pub fn compare(actual: &Json, expected_docs: &[Json]) -> PatchedComparison {
    let identity = |o: &Json| {
        (
            text(o, "/apiVersion").to_string(),
            text(o, "/kind").to_string(),
            text(o, "/metadata/namespace").to_string(),
            text(o, "/metadata/name").to_string(),
        )
    };
    let actual = in_default_namespace(actual);
    let wanted = identity(&actual);
    let Some(expected) = expected_docs
        .iter()
        .map(in_default_namespace)
        .find(|d| identity(d) == wanted)
    else {
        return PatchedComparison::NotInFile;
    };
    let (a, e) = (tidy(&actual), tidy(&expected));
    match first_difference(&e, &a, &mut String::new()) {
        None => PatchedComparison::Same,
        Some(d) => PatchedComparison::Differs(d),
    }
}

/// Kinds of the built-in API that are not namespaced (custom kinds count as namespaced).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "APIService",
    "CertificateSigningRequest",
    "ComponentStatus",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "ClusterPolicy",
    "ClusterCleanupPolicy",
];

fn in_default_namespace(object: &Json) -> Json {
    let mut object = object.clone();
    let kind = text(&object, "/kind").to_string();
    let builtin = crate::patch::merge_keys::is_builtin(text(&object, "/apiVersion"))
        || text(&object, "/apiVersion").starts_with("kyverno.io/");
    let cluster_scoped = builtin && CLUSTER_SCOPED.contains(&kind.as_str());
    if !cluster_scoped && text(&object, "/metadata/namespace").is_empty() {
        if let Some(Json::Object(meta)) = object.get_mut("metadata") {
            meta.insert("namespace".into(), Json::String("default".into()));
        }
    }
    object
}

/// Removes nulls, empty maps and empty lists (which then count as absent).
pub fn tidy(value: &Json) -> Json {
    fn inner(value: &Json) -> Option<Json> {
        match value {
            Json::Null => None,
            Json::Object(m) => {
                let out: Map<String, Json> = m
                    .iter()
                    .filter_map(|(k, v)| inner(v).map(|v| (k.clone(), v)))
                    .collect();
                (!out.is_empty()).then_some(Json::Object(out))
            }
            Json::Array(items) => {
                let out: Vec<Json> = items.iter().filter_map(inner).collect();
                (!out.is_empty()).then_some(Json::Array(out))
            }
            other => Some(other.clone()),
        }
    }
    inner(value).unwrap_or(Json::Null)
}

fn scalar_equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The first path where `expected` and `actual` differ, with both values.
fn first_difference(expected: &Json, actual: &Json, path: &mut String) -> Option<String> {
    let here = |path: &str| {
        if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        }
    };
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) => {
            for key in e.keys().chain(a.keys().filter(|k| !e.contains_key(*k))) {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                let found = match (e.get(key), a.get(key)) {
                    (Some(ev), Some(av)) => first_difference(ev, av, path),
                    (Some(_), None) => Some(format!("{path}: only in expected")),
                    (None, _) => Some(format!("{path}: only in actual")),
                };
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Json::Array(e), Json::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                let found = first_difference(ev, av, path);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (e, a) if scalar_equal(e, a) => None,
        (e, a) => Some(format!(
            "{}: expected {}, actual {}",
            here(path),
            crate::json::display(e),
            crate::json::display(a)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tidied_objects_compare_by_value() {
        let actual = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {}},
                             "spec": {"replicas": 1, "x": null}});
        let expected = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"}, "spec": {"replicas": 1.0}});
        assert_eq!(compare(&actual, &[expected]), PatchedComparison::Same);
    }

    #[test]
    fn a_difference_names_its_path_and_a_missing_object_is_reported() {
        let actual = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"a": [1, 2]}});
        let other = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"a": [1, 3]}});
        assert_eq!(
            compare(&actual, std::slice::from_ref(&other)),
            PatchedComparison::Differs("/spec/a/1: expected 3, actual 2".into())
        );
        let renamed = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}});
        assert_eq!(compare(&actual, &[renamed]), PatchedComparison::NotInFile);
    }

    #[test]
    fn namespaced_objects_without_a_namespace_are_in_default() {
        let actual =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}});
        let expected = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"}});
        assert_eq!(compare(&actual, &[expected]), PatchedComparison::Same);
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
        let in_default = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "namespace": "default"}});
        assert_eq!(compare(&ns, &[in_default]), PatchedComparison::NotInFile);
    }
}
