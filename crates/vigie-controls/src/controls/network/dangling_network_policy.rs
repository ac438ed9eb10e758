//! ## What it does
//! Flags NetworkPolicies whose non-empty `podSelector` selects no workload of
//! their namespace in the input (`matchLabels` and `matchExpressions` are
//! both honoured).
//!
//! ## Why is this bad
//! A policy that selects nothing protects nothing. It usually means a label was
//! renamed on the workload and not in the policy, so the pods it was written
//! for are now open, while the policy's presence suggests they are not.
//!
//! ## Example
//! ```yaml
//! kind: NetworkPolicy
//! spec:
//!   podSelector: {matchLabels: {app: web-v1}}   # flagged: the pods now say app=web
//! ```
//! Use instead: selectors kept in sync with the workload's labels (tested with
//! `kubectl get pods -l ...`).
//!
//! ## References
//! Kubescape C-0299; CIS 5.3.2; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1046 (Network Service Discovery).

use super::super::prelude::*;
use super::topology::{label_selector_is_empty, label_selector_selects_any};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N008 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["NetworkPolicy"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, policy) in inventory.of_kind(&["NetworkPolicy"]) {
        out.evaluated.push(i);
        let spec = policy.root.get("spec").unwrap_or(Node::null());
        let Some(selector) = spec.get("podSelector") else {
            continue;
        };
        if label_selector_is_empty(selector) {
            continue;
        }
        let namespace = namespace_of(policy);
        if !label_selector_selects_any(*inventory, namespace, selector) {
            out.violations.push((
                i,
                Violation::new(
                    "spec.podSelector",
                    key_pos(spec, "podSelector"),
                    format!(
                        "NetworkPolicy {} selects {} and no workload of namespace {namespace} matches",
                        policy.name,
                        selector.to_json()
                    ),
                ),
            ));
        }
    }
}
