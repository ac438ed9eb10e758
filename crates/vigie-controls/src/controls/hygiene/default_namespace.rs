//! What the default-namespace controls share: where an object lands, and how
//! to report it.

use vigie_resource::{Node, Resource};

use crate::pod::{key_pos, Violation};

/// A violation when `resource` is in the `default` namespace, or names no
/// namespace at all (it then lands in `default`, or in whatever namespace the
/// deploying context points at).
pub(crate) fn check_namespace(resource: &Resource, out: &mut Vec<Violation>) {
    let metadata = resource.root.get("metadata");
    match resource.namespace.as_deref() {
        Some("default") => out.push(Violation::new(
            "metadata.namespace",
            key_pos(metadata.unwrap_or(Node::null()), "namespace"),
            format!(
                "{} {} is in the default namespace",
                resource.kind, resource.name
            ),
        )),
        None => out.push(Violation::new(
            "metadata.namespace",
            metadata.map_or(resource.pos, |m| m.pos),
            format!(
                "{} {} sets no namespace: it lands in default",
                resource.kind, resource.name
            ),
        )),
        Some(_) => {}
    }
}
