//! A page of a list, as the API server wrote it, to resources.

use std::sync::Arc;

use serde::Deserialize;
use vigie_resource::{load_text, ClusterOrigin, Entry, Limits, Node, Origin, Resource, Value};

use crate::discovery::ApiType;

/// The objects of one page and what comes next.
pub(crate) struct Page {
    pub(crate) resources: Vec<Resource>,
    /// Objects that could not be read, in words.
    pub(crate) problems: Vec<String>,
    /// The token of the next page; `None` on the last.
    pub(crate) continue_token: Option<String>,
}

/// What is read of a list besides its items.
#[derive(Deserialize)]
struct ListHead {
    #[serde(default)]
    metadata: ListMeta,
}

#[derive(Default, Deserialize)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    continue_token: Option<String>,
}

/// Reads a page with vigie's own loader, so that an object from a cluster
/// becomes exactly the resource the same object in a file would (the items
/// of a typed list take its kind, as `kubectl get -o yaml` output does).
pub(crate) fn read_page(
    text: &str,
    api_type: &ApiType,
    context: &Arc<str>,
    source: &str,
) -> Result<Page, String> {
    let head: ListHead = serde_json::from_str(text).map_err(|e| format!("not a list: {e}"))?;
    let loaded = load_text(text, source, &Limits::default());
    let mut problems: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", api_type.qualified(), d.reason))
        .collect();
    let mut resources = Vec::with_capacity(loaded.resources.len());
    for resource in loaded.resources {
        let resource = if api_type.metadata_only() {
            match as_type(resource, api_type) {
                Ok(r) => r,
                Err(reason) => {
                    problems.push(format!("{}: {reason}", api_type.qualified()));
                    continue;
                }
            }
        } else {
            resource
        };
        resources.push(with_cluster_origin(resource, context));
    }
    Ok(Page {
        resources,
        problems,
        continue_token: head.metadata.continue_token.filter(|t| !t.is_empty()),
    })
}

/// A `PartialObjectMetadata` item as an object of its type: apiVersion, kind
/// and metadata, nothing else (there is nothing else).
fn as_type(resource: Resource, api_type: &ApiType) -> Result<Resource, String> {
    let pos = resource.pos;
    let metadata = resource
        .root
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| Node::new(Value::Map(Box::new([])), pos));
    let entry = |key: &str, value: Node| Entry {
        key: key.into(),
        key_pos: pos,
        value,
    };
    let root = Node::new(
        Value::Map(Box::new([
            entry(
                "apiVersion",
                Node::new(Value::String(api_type.api_version().into()), pos),
            ),
            entry(
                "kind",
                Node::new(Value::String(api_type.kind.as_str().into()), pos),
            ),
            entry("metadata", metadata),
        ])),
        pos,
    );
    Resource::from_node(root, resource.origin).map_err(|(_, reason)| reason)
}

/// `resource` as an object of the cluster of `context`, with its uid and
/// resourceVersion (what a report written back to the cluster names it by).
pub(crate) fn with_cluster_origin(mut resource: Resource, context: &Arc<str>) -> Resource {
    let field = |name: &str| {
        resource
            .root
            .get_path(&["metadata", name])
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string()
    };
    let cluster = ClusterOrigin {
        context: context.clone(),
        uid: field("uid"),
        resource_version: field("resourceVersion"),
    };
    resource.origin = Origin {
        cluster: Some(Arc::new(cluster)),
        ..resource.origin
    };
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` read as a page of the namespaced type `kind` (`plural`, in
    /// API group `group`, version v1) of the cluster of context `dev`.
    fn dev_page(text: &str, group: &str, kind: &str, plural: &str) -> Page {
        let api_type = ApiType {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced: true,
        };
        read_page(text, &api_type, &Arc::from("dev"), "cluster:dev").unwrap()
    }

    #[test]
    fn typed_list_items_take_the_list_kind_and_name_the_cluster_object() {
        let text = r#"{"apiVersion":"apps/v1","kind":"DeploymentList","metadata":{"resourceVersion":"9","continue":"abc"},"items":[{"metadata":{"name":"web","namespace":"prod","uid":"u-1","resourceVersion":"7"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}]}"#;
        let page = dev_page(text, "apps", "Deployment", "deployments");
        assert!(page.problems.is_empty(), "{:?}", page.problems);
        assert_eq!(page.continue_token.as_deref(), Some("abc"));
        let r = &page.resources[0];
        assert_eq!(
            (r.api_version.as_str(), r.kind.as_str()),
            ("apps/v1", "Deployment")
        );
        assert_eq!(r.namespace.as_deref(), Some("prod"));
        let cluster = r.origin.cluster.as_ref().unwrap();
        assert_eq!(
            (
                &*cluster.context,
                cluster.uid.as_str(),
                cluster.resource_version.as_str()
            ),
            ("dev", "u-1", "7")
        );
    }

    #[test]
    fn secrets_read_as_metadata_become_secrets_without_values() {
        let text = r#"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadataList","metadata":{},"items":[{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":{"name":"db","namespace":"prod","uid":"u-2","resourceVersion":"3"}}]}"#;
        let page = dev_page(text, "", "Secret", "secrets");
        assert_eq!(page.continue_token, None);
        let r = &page.resources[0];
        assert_eq!(
            (r.api_version.as_str(), r.kind.as_str(), r.name.as_str()),
            ("v1", "Secret", "db")
        );
        assert!(r.root.get("data").is_none());
        assert_eq!(r.root.get("kind").and_then(Node::as_str), Some("Secret"));
    }

    #[test]
    fn an_invalid_object_is_a_problem_and_the_rest_is_read() {
        let text = r#"{"apiVersion":"v1","kind":"PodList","metadata":{},"items":[{"metadata":{"name":"a"},"spec":{"hostNetwork":"yes"}},{"metadata":{"name":"b"},"spec":{}}]}"#;
        let page = dev_page(text, "", "Pod", "pods");
        assert_eq!(page.resources.len(), 1);
        assert_eq!(page.problems.len(), 1);
        assert!(
            page.problems[0].contains("hostNetwork"),
            "{:?}",
            page.problems
        );
    }
}
