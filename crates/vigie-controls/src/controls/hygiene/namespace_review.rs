//! ## What it does
//! Lists every Namespace, for review of the administrative boundaries they
//! draw; a namespace being deleted (`status.phase: Terminating`) is not listed.
//!
//! ## Why is this bad
//! Namespaces are where RBAC, NetworkPolicies, quotas and Pod Security levels
//! apply. A cluster whose applications share a few namespaces cannot give
//! each team or tier its own limits; reviewing the list shows whether the
//! boundaries match the organisation.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata: {name: shop}   # listed
//! ```
//! Use instead: one namespace per application or team; record the reviewed
//! ones as exceptions.
//!
//! ## References
//! Kubescape C-0209; CIS 5.7.1; NSA/CISA "Namespaces".

use super::super::prelude::*;
use crate::controls::common::object_field;

/// How VG-H004 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Namespace",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    // A namespace on its way out draws no boundary any more.
    let phase = resource
        .root
        .get_path(&["status", "phase"])
        .and_then(Node::as_str);
    if phase == Some("Terminating") {
        return;
    }
    out.push(object_field(
        resource,
        "metadata",
        "name",
        format!(
            "namespace {} is an administrative boundary to review",
            resource.name
        ),
    ));
}
