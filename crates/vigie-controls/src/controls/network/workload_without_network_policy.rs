//! ## What it does
//! Flags workloads whose pods no NetworkPolicy of their namespace selects, nor
//! any Cilium policy (`CiliumNetworkPolicy` of the namespace,
//! `CiliumClusterwideNetworkPolicy`) through its `endpointSelector`.
//!
//! ## Why is this bad
//! A pod that no policy selects is not isolated: it accepts connections from,
//! and opens connections to, anything in the cluster and beyond. If it is
//! compromised nothing limits where the intruder goes next.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! metadata: {name: api, namespace: shop}   # flagged: no NetworkPolicy in shop selects app=api
//! ```
//! Use instead: a default-deny policy for the namespace (`podSelector: {}`)
//! and policies allowing the flows the workload needs.
//!
//! ## References
//! Kubescape C-0030, C-0260; CIS 5.3.2; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1046 (Network Service Discovery).

use std::collections::{BTreeMap, HashSet};

use super::super::prelude::*;
use super::cilium::{
    endpoint_selectors, selector_namespace, CILIUM_CLUSTERWIDE_POLICY, CILIUM_POLICY,
};
use super::selector::Selector;
use super::topology::{label_selector_is_empty, workload_violation};
use crate::controls::rbac::service_accounts::{namespace_of, WORKLOAD_KINDS};

/// How VG-N006 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and![
        "NetworkPolicy",
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy"
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    // Work from the policies' side: a policy with an empty selector covers its
    // whole namespace; the others are read once and evaluated together against
    // the distinct pod label sets of their namespace.
    let labels = inventory.pod_labels();
    let mut whole_namespaces = HashSet::new();
    let mut selectors: BTreeMap<&str, Vec<Selector>> = BTreeMap::new();
    for (_, policy) in inventory.of_kind(&["NetworkPolicy"]) {
        let namespace = namespace_of(policy);
        match policy.root.get_path(&["spec", "podSelector"]) {
            Some(selector) if !label_selector_is_empty(selector) => selectors
                .entry(namespace)
                .or_default()
                .push(Selector::label_selector(selector, labels)),
            _ => {
                whole_namespaces.insert(namespace);
            }
        }
    }
    for (_, policy) in inventory.of_kind(&[CILIUM_POLICY]) {
        let namespace = namespace_of(policy);
        for selector in endpoint_selectors(policy) {
            if label_selector_is_empty(selector) {
                whole_namespaces.insert(namespace);
            } else {
                selectors
                    .entry(namespace)
                    .or_default()
                    .push(Selector::label_selector(selector, labels));
            }
        }
    }
    // A cluster-wide policy's selector applies in every namespace.
    let mut cluster_wide = Vec::new();
    for (_, policy) in inventory.of_kind(&[CILIUM_CLUSTERWIDE_POLICY]) {
        for selector in endpoint_selectors(policy) {
            if label_selector_is_empty(selector) {
                // Every pod of the cluster is selected.
                whole_namespaces.extend(
                    inventory
                        .of_kind(WORKLOAD_KINDS)
                        .map(|(_, w)| namespace_of(w)),
                );
            } else if let Some(namespace) = selector_namespace(selector) {
                whole_namespaces.insert(namespace);
            } else {
                cluster_wide.push(selector);
            }
        }
    }
    if !cluster_wide.is_empty() {
        let namespaces: HashSet<&str> = inventory
            .of_kind(WORKLOAD_KINDS)
            .map(|(_, w)| namespace_of(w))
            .collect();
        for namespace in namespaces {
            let entry = selectors.entry(namespace).or_default();
            entry.extend(
                cluster_wide
                    .iter()
                    .map(|selector| Selector::label_selector(selector, labels)),
            );
        }
    }
    let mut selected = vec![false; inventory.resources.len()];
    for (namespace, selectors) in &selectors {
        if !whole_namespaces.contains(namespace) {
            labels.selected_by_any(namespace, selectors, &mut selected);
        }
    }
    for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
        out.evaluated.push(i);
        let namespace = namespace_of(workload);
        if !whole_namespaces.contains(namespace) && !selected[i] {
            out.violations.push((
                i,
                workload_violation(
                    workload,
                    format_args!(
                        "has pods that no NetworkPolicy (nor Cilium policy) of namespace {namespace} selects"
                    ),
                ),
            ));
        }
    }
}
