//! Each node's kubelet configuration, read through the API server
//! (`/api/v1/nodes/NAME/proxy/configz`), as the `KubeletConfiguration` object
//! the same settings in a file would be: the kubelet controls judge both alike.

use std::sync::Arc;

use serde_json::{Map, Value};
use vigie_resource::{load_text, Limits, Resource};

use crate::convert::with_cluster_origin;

/// The `apiVersion` configz answers in (it does not say so itself).
pub(crate) const API_VERSION: &str = "kubelet.config.k8s.io/v1beta1";

/// The kind the configuration is handed over as.
pub(crate) const KIND: &str = "KubeletConfiguration";

/// The most bytes of configz read for one node: a kubelet's whole
/// configuration is a few KiB; anything much larger is not one.
pub(crate) const MAX_CONFIGZ_BYTES: usize = 1 << 20;

/// The path of a node's configz.
pub(crate) fn configz_path(node: &str) -> String {
    format!("/api/v1/nodes/{node}/proxy/configz")
}

/// The answer of `node`'s configz (`{"kubeletconfig": {...}}`) as the JSON of
/// a `KubeletConfiguration` named after the node, or why it is not one.
pub(crate) fn configz_object(text: &str, node: &str) -> Result<Value, String> {
    if text.len() > MAX_CONFIGZ_BYTES {
        return Err(format!(
            "the answer is {} bytes, more than the {MAX_CONFIGZ_BYTES} a kubelet configuration may take",
            text.len()
        ));
    }
    let answer: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Some(Value::Object(settings)) = answer.get("kubeletconfig") else {
        return Err("no `kubeletconfig` object in the answer".into());
    };
    let mut object = Map::with_capacity(settings.len() + 3);
    object.insert("apiVersion".into(), API_VERSION.into());
    object.insert("kind".into(), KIND.into());
    object.insert("metadata".into(), serde_json::json!({ "name": node }));
    for (key, value) in settings {
        // configz carries no identity of its own; what it says of one is dropped.
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            object.insert(key.clone(), value.clone());
        }
    }
    Ok(Value::Object(object))
}

/// The same as a resource of the cluster of `context`.
pub(crate) fn configz_resource(
    text: &str,
    node: &str,
    context: &Arc<str>,
    source: &str,
) -> Result<Resource, String> {
    let text = configz_object(text, node)?.to_string();
    let loaded = load_text(&text, source, &Limits::default());
    if let Some(problem) = loaded.diagnostics.iter().find(|d| d.is_error()) {
        return Err(problem.reason.clone());
    }
    let resource = loaded
        .resources
        .into_iter()
        .next()
        .ok_or_else(|| "the configuration holds no object".to_string())?;
    Ok(with_cluster_origin(resource, context))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_resource::Node;

    fn read(text: &str) -> Result<Resource, String> {
        configz_resource(text, "node-1", &Arc::from("dev"), "cluster:dev")
    }

    #[test]
    fn configz_becomes_a_kubelet_configuration_named_after_its_node() {
        let r = read(r#"{"kubeletconfig":{"kind":"ignored","readOnlyPort":10255,"authentication":{"anonymous":{"enabled":true}}}}"#)
            .unwrap();
        assert_eq!(
            (r.api_version.as_str(), r.kind.as_str(), r.name.as_str()),
            (API_VERSION, KIND, "node-1")
        );
        assert_eq!(r.namespace, None);
        assert_eq!(
            r.root.get("readOnlyPort").and_then(Node::as_i64),
            Some(10255)
        );
        assert_eq!(
            r.root
                .get_path(&["authentication", "anonymous", "enabled"])
                .and_then(Node::as_bool),
            Some(true)
        );
        assert_eq!(r.origin.cluster.as_ref().map(|c| &*c.context), Some("dev"));
    }

    #[test]
    fn what_is_not_a_configuration_says_why() {
        for (text, reason) in [
            ("<html>", "not JSON"),
            (r#"{"kubeletconfig": 3}"#, "no `kubeletconfig` object"),
            (r#"{"other": {}}"#, "no `kubeletconfig` object"),
        ] {
            let error = read(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
        let huge = format!(
            r#"{{"kubeletconfig":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CONFIGZ_BYTES)
        );
        assert!(read(&huge).unwrap_err().contains("more than"));
    }
}
