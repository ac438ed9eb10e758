//! ## What it does
//! Flags subjects (users, groups, service accounts) that a binding gives
//! administrative power: every verb on every resource (`*` on `*`), as the
//! built-in `cluster-admin` role does, whether through a ClusterRoleBinding or
//! a RoleBinding.
//!
//! ## Why is this bad
//! An administrator can read every Secret, create privileged pods on any node and
//! grant itself anything else. Each such subject is a full-cluster compromise
//! waiting for one stolen credential; there should be very few, and they should
//! be known.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: cluster-admin}
//! subjects:
//! - {kind: Group, name: developers}   # flagged
//! ```
//! Use instead: bind roles that grant the verbs and resources the group needs.
//!
//! ## References
//! Kubescape C-0035; CIS 5.1.1; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::FirstRule;

/// How VG-R001 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    out.evaluated.extend(
        inventory
            .of_kind(&["RoleBinding", "ClusterRoleBinding"])
            .map(|(i, _)| i),
    );
    // Every verb on every resource, in any API group: the core group alone
    // holds Secrets, Pods and ServiceAccounts, which is enough to own the cluster.
    let mut first_rule = FirstRule::new(rule_allows_everything);
    let mut reported = std::collections::HashSet::new();
    for resolved in inventory.bindings() {
        if first_rule.of(*inventory, resolved.role).is_none() {
            continue;
        }
        let binding = &inventory.resources[resolved.binding];
        let role = &inventory.resources[resolved.role];
        for bound in &resolved.subjects {
            if !reported.insert((resolved.binding, &bound.subject)) {
                continue;
            }
            let mut violation = Violation::new(
                "roleRef",
                key_pos(&binding.root, "roleRef"),
                format!(
                    "{} {} gets every verb on every resource through {} {}",
                    bound.subject.kind, bound.subject.name, role.kind, role.name
                ),
            );
            violation.subject = Some(bound.subject.clone());
            out.violations.push((resolved.binding, violation));
        }
    }
}

/// Whether a rule grants every verb on every resource.
pub(crate) fn rule_allows_everything(rule: &Node) -> bool {
    let wildcard = |field: &str| list_of(rule, field).iter().any(|v| v.as_str() == Some("*"));
    wildcard("verbs") && wildcard("resources")
}
