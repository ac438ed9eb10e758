//! ## What it does
//! Flags RoleBindings and ClusterRoleBindings that give a role to a namespace's
//! `default` service account, except the bindings Kubernetes itself creates
//! (labelled `kubernetes.io/bootstrapping: rbac-defaults`).
//!
//! ## Why is this bad
//! Every pod that names no service account runs as `default`. Permissions given
//! to it go to all those pods at once, including ones deployed later by people
//! who never asked for them.
//!
//! ## Example
//! ```yaml
//! kind: RoleBinding
//! subjects:
//! - {kind: ServiceAccount, name: default, namespace: shop}   # flagged
//! ```
//! Use instead: a dedicated service account per application, named in its pod
//! spec, and the binding on that account.
//!
//! ## References
//! Kubescape C-0189, C-0225, C-0239; CIS 5.1.5; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::{subjects, BINDINGS};

/// How VG-R018 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| BINDINGS.contains(&r.kind.as_str()),
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let labels = resource.root.get_path(&["metadata", "labels"]);
    let built_in = labels
        .and_then(|l| l.get("kubernetes.io/bootstrapping"))
        .and_then(Node::as_str)
        == Some("rbac-defaults");
    if built_in {
        return;
    }
    for (i, subject) in subjects(resource).iter().enumerate() {
        let field = |key| subject.get(key).and_then(Node::as_str);
        if field("kind") == Some("ServiceAccount") && field("name") == Some("default") {
            let namespace = field("namespace")
                .or(resource.namespace.as_deref())
                .unwrap_or("default");
            out.push(Violation::new(
                format!("subjects[{i}].name"),
                key_pos(subject, "name"),
                format!(
                    "{} {} binds the default service account of namespace {namespace}",
                    resource.kind, resource.name
                ),
            ));
        }
    }
}
