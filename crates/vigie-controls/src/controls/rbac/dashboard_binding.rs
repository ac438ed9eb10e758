//! ## What it does
//! Flags subjects other than the dashboard's own service account that a
//! binding gives the Kubernetes dashboard's role (`kubernetes-dashboard`).
//!
//! ## Why is this bad
//! The dashboard's role is sized for the dashboard; anyone else bound to it
//! gets the dashboard's view of the cluster, and its rights to change
//! resources, without going through the dashboard's login.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: kubernetes-dashboard}
//! subjects:
//! - {kind: User, name: jane}   # flagged
//! ```
//! Use instead: bind the dashboard role only to the `kubernetes-dashboard`
//! service account; give people roles of their own.
//!
//! ## References
//! Kubescape C-0014; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::{describe_subject, subject, subjects, BINDINGS};

/// How VG-R030 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| BINDINGS.contains(&r.kind.as_str()),
    evaluate,
};

/// The name the dashboard's install gives its role and its service account.
const DASHBOARD: &str = "kubernetes-dashboard";

fn evaluate(binding: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let role = binding
        .root
        .get_path(&["roleRef", "name"])
        .and_then(Node::as_str);
    if role != Some(DASHBOARD) {
        return;
    }
    for (index, node) in subjects(binding).iter().enumerate() {
        let Some(bound) = subject(node, binding) else {
            continue;
        };
        if bound.kind == "ServiceAccount" && bound.name == DASHBOARD {
            continue;
        }
        let mut violation = Violation::new(
            format!("subjects[{index}]"),
            node.pos,
            format!(
                "{} gets the dashboard's role {DASHBOARD} through {} {}",
                describe_subject(&bound),
                binding.kind,
                binding.name
            ),
        );
        violation.subject = Some(bound);
        out.push(violation);
    }
}
