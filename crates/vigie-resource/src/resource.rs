//! A Kubernetes object and where it came from.

use std::sync::Arc;

use crate::field_types;
use crate::node::{Node, Pos};
use crate::workload::{template_keys, TemplateAt};

/// A file (or stdin, or a kustomize rendering) that objects were read from.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as the user named it, `<stdin>`, or the kustomization directory.
    pub path: String,
    /// Set when the objects are the output of a renderer rather than the file
    /// itself (`kubectl kustomize`): their lines then refer to that output.
    pub rendered_by: Option<String>,
}

/// Where an object was read: file, document, and item of a `List`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file (or stdin, or kustomize rendering) the object was read from.
    pub file: Arc<SourceFile>,
    /// 0-based index of the document in the file.
    pub document: u32,
    /// 0-based index in the `items` of a `List` document.
    pub item: Option<u32>,
    /// Set for an object listed from a live cluster: which cluster, and which
    /// object there. Its fields then have no position (line 0).
    pub cluster: Option<Arc<ClusterOrigin>>,
}

/// The live cluster object a resource was read from.
#[derive(Debug, PartialEq, Eq)]
pub struct ClusterOrigin {
    /// The kubeconfig context the cluster was reached through, `in-cluster`
    /// for a Pod's service account.
    pub context: Arc<str>,
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.resourceVersion` of the version read.
    pub resource_version: String,
}

/// One Kubernetes object.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Where the object was read.
    pub origin: Origin,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`, or `metadata.generateName` followed by `*`, or empty.
    pub name: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// Position of the object itself (its first key).
    pub pos: Pos,
    /// The whole object, with positions.
    pub root: Node,
    /// Where the pod template is, for workloads: derived from `kind` and `root`
    /// when the object is built.
    pub(crate) template: Option<TemplateAt>,
}

impl Resource {
    /// Builds a resource from an object node, or says why it is not one.
    pub fn from_node(root: Node, origin: Origin) -> Result<Self, (Pos, String)> {
        if root.as_map().is_none() {
            return Err((
                root.pos,
                format!(
                    "expected a Kubernetes object (a mapping), found {}",
                    describe(&root)
                ),
            ));
        }
        let api_version = string_field(&root, "apiVersion")?;
        let kind = string_field(&root, "kind")?;
        let (api_version, kind) = match (api_version, kind) {
            (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => (a.to_string(), k.to_string()),
            (a, k) => {
                let missing: Vec<&str> = [("apiVersion", a), ("kind", k)]
                    .into_iter()
                    .filter(|(_, v)| v.is_none_or(str::is_empty))
                    .map(|(name, _)| name)
                    .collect();
                return Err((
                    root.pos,
                    format!(
                        "object has no {}: not a Kubernetes object",
                        missing.join(" and no ")
                    ),
                ));
            }
        };
        field_types::check(&root, template_keys(&kind))?;
        let metadata = root.get("metadata");
        let name = match metadata {
            Some(m) => match (
                m.get("name").and_then(Node::as_str),
                m.get("generateName").and_then(Node::as_str),
            ) {
                (Some(n), _) => n.to_string(),
                (None, Some(g)) => format!("{g}*"),
                (None, None) => String::new(),
            },
            None => String::new(),
        };
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .map(str::to_string);
        let template = TemplateAt::find(&kind, &root);
        Ok(Self {
            origin,
            api_version,
            kind,
            name,
            namespace,
            pos: root.pos,
            template,
            root,
        })
    }

    /// `metadata.annotations[key]` as a string.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get_path(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }
}

/// A top-level string field (`apiVersion`, `kind`): absent, or a string, or an
/// error saying what it holds instead.
fn string_field<'a>(root: &'a Node, key: &str) -> Result<Option<&'a str>, (Pos, String)> {
    match root.get(key) {
        None => Ok(None),
        Some(node) => match node.as_str() {
            Some(text) => Ok(Some(text)),
            None => Err((
                node.pos,
                format!(
                    "`{key}` must be a string, found {} ({}): not a Kubernetes object",
                    describe(node),
                    node.display_value()
                ),
            )),
        },
    }
}

pub(crate) fn describe(node: &Node) -> &'static str {
    use crate::node::Value;
    match node.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}
