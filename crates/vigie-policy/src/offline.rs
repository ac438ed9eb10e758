//! Answering `apiCall` GETs and `globalReference` entries offline, from the objects
//! given (a `kyverno test` Context file's `spec.resources`, and the suite's
//! resources), as Kyverno's CLI answers them from its fake cluster.
//!
//! Only what the objects can answer is answered: a URL naming a kind of which no
//! object was given is left to values and defaults, so that an absent object is
//! never mistaken for an empty cluster.

use serde_json::{json, Value as Json};

/// The most objects one answer lists.
pub const MAX_LISTED: usize = 100_000;

fn text<'a>(o: &'a Json, pointer: &str) -> &'a str {
    o.pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
}

pub use vigie_resource::plural_of_kind as plural;

/// What a URL path names: group/version, namespace, resource (plural), name.
struct Url<'a> {
    api_version: String,
    namespace: Option<&'a str>,
    resource: &'a str,
    name: Option<&'a str>,
}

fn parse_url(path: &str) -> Option<Url<'_>> {
    let path = path.split('?').next()?.trim_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let (api_version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => (version.to_string(), rest),
        ["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, more @ ..] if !more.is_empty() => (Some(*ns), more),
        _ => (None, rest),
    };
    match rest {
        [resource] => Some(Url {
            api_version,
            namespace,
            resource,
            name: None,
        }),
        [resource, name] => Some(Url {
            api_version,
            namespace,
            resource,
            name: Some(name),
        }),
        _ => None,
    }
}

/// The answer to `GET urlPath` from `objects`: the object, or a `<Kind>List`.
/// `Ok(None)` when no object of that kind was given; an error when the object
/// named is not among them.
pub(crate) fn api_get(url_path: &str, objects: &[Json]) -> Result<Option<Json>, String> {
    let Some(url) = parse_url(url_path) else {
        return Ok(None);
    };
    let of_kind: Vec<&Json> = objects
        .iter()
        .filter(|o| {
            text(o, "/apiVersion") == url.api_version && plural(text(o, "/kind")) == url.resource
        })
        .collect();
    let Some(first) = of_kind.first() else {
        return Ok(None);
    };
    let kind = text(first, "/kind").to_string();
    let in_namespace = |o: &&Json| {
        url.namespace
            .is_none_or(|ns| text(o, "/metadata/namespace") == ns)
    };
    match url.name {
        Some(name) => of_kind
            .iter()
            .copied()
            .filter(in_namespace)
            .find(|o| text(o, "/metadata/name") == name)
            .map(|o| Some(o.clone()))
            .ok_or_else(|| format!("{url_path}: {kind} {name} not found among the objects given")),
        None => {
            let items: Vec<Json> = of_kind
                .iter()
                .copied()
                .filter(in_namespace)
                .take(MAX_LISTED)
                .cloned()
                .collect();
            Ok(Some(json!({
                "apiVersion": url.api_version,
                "kind": format!("{kind}List"),
                "metadata": {},
                "items": items,
            })))
        }
    }
}

/// The data of the GlobalContextEntry named `name` among `objects`: the objects
/// its `kubernetesResource` names (a list), or the answer to its `apiCall` GET.
pub fn global_reference(name: &str, objects: &[Json]) -> Option<Json> {
    let entry = objects
        .iter()
        .find(|o| text(o, "/kind") == "GlobalContextEntry" && text(o, "/metadata/name") == name)?;
    if let Some(r) = entry.pointer("/spec/kubernetesResource") {
        let (group, version) = (text(r, "/group"), text(r, "/version"));
        let api_version = vigie_resource::api_version(group, version);
        let (resource, namespace) = (text(r, "/resource"), text(r, "/namespace"));
        let items: Vec<Json> = objects
            .iter()
            .filter(|o| {
                text(o, "/apiVersion") == api_version
                    && plural(text(o, "/kind")) == resource
                    && (namespace.is_empty() || text(o, "/metadata/namespace") == namespace)
            })
            .take(MAX_LISTED)
            .cloned()
            .collect();
        return Some(Json::Array(items));
    }
    let url = entry
        .pointer("/spec/apiCall/urlPath")
        .and_then(Json::as_str)?;
    api_get(url, objects).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects() -> Vec<Json> {
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}, "data": {"k": "1"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "y"}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n", "namespace": "x"}}),
            json!({"apiVersion": "kyverno.io/v2alpha1", "kind": "GlobalContextEntry", "metadata": {"name": "maps"},
                   "spec": {"kubernetesResource": {"group": "", "version": "v1", "resource": "configmaps"}}}),
        ]
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("NetworkPolicy"), "networkpolicies");
        assert_eq!(plural("Ingress"), "ingresses");
        assert_eq!(plural("Gateway"), "gateways");
        assert_eq!(plural("Endpoints"), "endpoints");
        assert_eq!(plural("Pod"), "pods");
    }

    #[test]
    fn gets_and_lists_answer_from_the_objects() {
        let o = objects();
        let one = api_get("/api/v1/namespaces/x/configmaps/a", &o)
            .unwrap()
            .unwrap();
        assert_eq!(one["data"]["k"], "1");
        let list = api_get("/api/v1/configmaps", &o).unwrap().unwrap();
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let ns = api_get(
            "/apis/networking.k8s.io/v1/namespaces/x/networkpolicies",
            &o,
        )
        .unwrap()
        .unwrap();
        assert_eq!(ns["items"][0]["metadata"]["name"], "n");
        assert!(api_get("/api/v1/namespaces/x/configmaps/zzz", &o)
            .unwrap_err()
            .contains("ConfigMap zzz not found"));
        // No Secret given: not answered (values and defaults decide).
        assert_eq!(api_get("/api/v1/namespaces/x/secrets", &o).unwrap(), None);
        assert_eq!(api_get("not a path", &o).unwrap(), None);
    }

    #[test]
    fn global_references_list_their_resources() {
        let maps = global_reference("maps", &objects()).unwrap();
        assert_eq!(maps.as_array().unwrap().len(), 2);
        assert_eq!(global_reference("other", &objects()), None);
    }
}
