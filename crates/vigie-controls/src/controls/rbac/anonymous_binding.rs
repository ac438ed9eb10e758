//! ## What it does
//! Flags RoleBindings and ClusterRoleBindings whose subjects include the
//! anonymous user `system:anonymous` or the group `system:unauthenticated`.
//!
//! ## Why is this bad
//! Requests without credentials are served as `system:anonymous`, member of
//! `system:unauthenticated`, whenever the API server allows anonymous
//! authentication (the default). Anything bound to them is granted to everyone
//! who can reach the API endpoint, including the internet for public clusters.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! subjects:
//! - {kind: Group, name: "system:unauthenticated"}   # flagged
//! ```
//! Use instead: bind `system:authenticated` at most, or named users and groups;
//! run the API server with `--anonymous-auth=false`.
//!
//! ## References
//! Kubescape C-0262; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1190 (Exploit Public-Facing Application).

use super::super::prelude::*;
use super::model::{subjects, BINDINGS};

/// How VG-R015 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| BINDINGS.contains(&r.kind.as_str()),
    evaluate,
};

const ANONYMOUS: &[&str] = &["system:anonymous", "system:unauthenticated"];

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    for (i, subject) in subjects(resource).iter().enumerate() {
        let Some(name) = subject.get("name").and_then(Node::as_str) else {
            continue;
        };
        if ANONYMOUS.contains(&name) {
            out.push(Violation::new(
                format!("subjects[{i}].name"),
                key_pos(subject, "name"),
                format!(
                    "{} {} binds {name}: anyone who reaches the API server gets its role",
                    resource.kind, resource.name
                ),
            ));
        }
    }
}
