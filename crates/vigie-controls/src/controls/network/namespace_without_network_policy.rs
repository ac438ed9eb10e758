//! ## What it does
//! Flags namespaces that no network policy applies to: no NetworkPolicy and no
//! `CiliumNetworkPolicy` in the namespace, and no
//! `CiliumClusterwideNetworkPolicy` selecting all pods (or all pods of the
//! namespace). VG-N005 goes further and asks for a default-deny policy.
//!
//! ## Why is this bad
//! Without any policy every pod of the namespace accepts connections from
//! every other pod of the cluster and can open connections anywhere: nothing
//! separates it from a compromised neighbour, and nothing maps which flows the
//! application really needs.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata: {name: shop}   # flagged when no policy lives in shop
//! ```
//! Use instead: a NetworkPolicy per namespace, starting with a default-deny
//! one, then the flows each application needs.
//!
//! ## References
//! Kubescape C-0054, C-0049, C-0206; CIS 5.3.2; NSA/CISA "Network separation
//! and hardening"; MITRE ATT&CK T1046 (Network Service Discovery).

use std::collections::HashSet;

use super::super::prelude::*;
use super::cilium::{
    endpoint_selectors, selector_namespace, CILIUM_CLUSTERWIDE_POLICY, CILIUM_POLICY,
};
use super::topology::label_selector_is_empty;
use crate::controls::common::{judge_namespaces, namespace_lacks};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N016 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &[
        "Namespace",
        "NetworkPolicy",
        CILIUM_POLICY,
        CILIUM_CLUSTERWIDE_POLICY,
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let mut covered: HashSet<&str> = inventory
        .of_kind(&["NetworkPolicy", CILIUM_POLICY])
        .map(|(_, policy)| namespace_of(policy))
        .collect();
    let mut everywhere = false;
    for (_, policy) in inventory.of_kind(&[CILIUM_CLUSTERWIDE_POLICY]) {
        for selector in endpoint_selectors(policy) {
            if label_selector_is_empty(selector) {
                everywhere = true;
            } else if let Some(namespace) = selector_namespace(selector) {
                covered.insert(namespace);
            }
        }
    }
    judge_namespaces(inventory, out, |namespace| {
        if everywhere || covered.contains(namespace.name.as_str()) {
            return None;
        }
        Some(namespace_lacks(
            namespace,
            format!(
                "Namespace {} has no network policy: its pods accept traffic from anywhere",
                namespace.name
            ),
        ))
    });
}
