//! ## What it does
//! Flags Namespaces without a default-deny NetworkPolicy: a
//! policy whose empty `podSelector` selects every pod of the namespace and that
//! lists `Ingress` among its `policyTypes` (explicitly, or by having no egress
//! part) without allowing any ingress.
//!
//! ## Why is this bad
//! Without a NetworkPolicy, every pod accepts connections from every other pod
//! of the cluster. One compromised pod can then reach databases, internal
//! admin ports and the other tenants' services, which is how intrusions move
//! laterally.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata: {name: shop}   # flagged unless shop has a default-deny policy
//! ```
//! Use instead:
//! ```yaml
//! kind: NetworkPolicy
//! metadata: {name: default-deny, namespace: shop}
//! spec: {podSelector: {}, policyTypes: [Ingress]}
//! ```
//! plus policies allowing the flows each application needs.
//!
//! ## References
//! Kubescape C-0054, C-0206; CIS 5.3.2; NSA/CISA "Network separation and
//! hardening"; MITRE ATT&CK T1046 (Network Service Discovery).

use super::super::prelude::*;
use super::topology::label_selector_is_empty;
use crate::controls::common::{judge_namespaces, namespace_lacks};

/// How VG-N005 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Namespace", "NetworkPolicy"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    judge_namespaces(inventory, out, |namespace| {
        let name = namespace.name.as_str();
        let policies: Vec<&Resource> = inventory
            .in_namespace(&["NetworkPolicy"], name)
            .map(|(_, p)| p)
            .collect();
        if policies.iter().any(|p| denies_all_ingress(p)) {
            return None;
        }
        let message = if policies.is_empty() {
            format!("Namespace {name} has no NetworkPolicy: its pods accept traffic from anywhere")
        } else {
            format!(
                "Namespace {name} has NetworkPolicies ({}) but none denies ingress to all its pods by default",
                policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        Some(namespace_lacks(namespace, message))
    });
}

/// Whether the policy selects every pod and allows them no ingress.
fn denies_all_ingress(policy: &Resource) -> bool {
    let spec = policy.root.get("spec").unwrap_or(Node::null());
    let selects_all = spec.get("podSelector").is_none_or(label_selector_is_empty);
    let types: Vec<&str> = list_of(spec, "policyTypes")
        .iter()
        .filter_map(Node::as_str)
        .collect();
    // Without policyTypes, a policy always covers Ingress.
    let covers_ingress = types.is_empty() || types.contains(&"Ingress");
    let allows_none = list_of(spec, "ingress").is_empty();
    selects_all && covers_ingress && allows_none
}
