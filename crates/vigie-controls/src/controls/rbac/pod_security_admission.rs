//! Pod Security Admission as namespaces configure it: the `enforce` label.

use vigie_resource::{Node, Pos, Resource};

use crate::pod::{key_pos, Violation};

pub(crate) const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// The namespace's enforced Pod Security level, when its label sets one.
pub(crate) fn enforced_level(namespace: &Resource) -> Option<&str> {
    labels(namespace)?.get(ENFORCE_LABEL).and_then(Node::as_str)
}

fn labels(namespace: &Resource) -> Option<&Node> {
    namespace.root.get_path(&["metadata", "labels"])
}

/// A violation on the namespace's enforce label (or on its labels, or its
/// metadata, when the label is missing).
pub(crate) fn enforce_violation(namespace: &Resource, message: String) -> Violation {
    let metadata = namespace.root.get("metadata").unwrap_or(Node::null());
    let pos: Pos = match labels(namespace) {
        Some(labels) if labels.get(ENFORCE_LABEL).is_some() => key_pos(labels, ENFORCE_LABEL),
        Some(_) => key_pos(metadata, "labels"),
        None => key_pos(&namespace.root, "metadata"),
    };
    Violation::new(format!("metadata.labels[{ENFORCE_LABEL}]"), pos, message)
}
