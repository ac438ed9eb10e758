//! ## What it does
//! Flags workloads whose pods no NetworkPolicy of their namespace selects.
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
//! Kubescape C-0030; CIS 5.3.2; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1046 (Network Service Discovery).

use super::super::prelude::*;
use super::topology::{
    label_selector_is_empty, pod_labels_path, workload_labels_pos,
    workloads_selected_by_label_selector,
};
use crate::controls::rbac::service_accounts::{namespace_of, WORKLOAD_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-N006",
    title: "Workload selected by no NetworkPolicy",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0030"],
        cis: &["5.3.2"],
        nsa: &["Network separation and hardening"],
        mitre: &["T1046"],
    },
    remediation: "Add a NetworkPolicy selecting the workload's pods (a namespace-wide default-deny policy covers them all).",
    doc: include_str!("workload_without_network_policy.rs"),
    evaluator: Evaluator::Cluster {
        needs: workloads_and!["NetworkPolicy"],
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    // Work from the policies' side: a policy with an empty selector covers its
    // whole namespace; the others find the workloads they select through the
    // label index, so the cost is the number of matches.
    let mut whole_namespaces = std::collections::HashSet::new();
    let mut selected = std::collections::HashSet::new();
    for (_, policy) in inventory.of_kind(&["NetworkPolicy"]) {
        let namespace = namespace_of(policy);
        match policy.root.get_path(&["spec", "podSelector"]) {
            Some(selector) if !label_selector_is_empty(selector) => selected.extend(
                workloads_selected_by_label_selector(*inventory, namespace, selector)
                    .into_iter()
                    .map(|(i, _)| i),
            ),
            _ => {
                whole_namespaces.insert(namespace);
            }
        }
    }
    for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
        out.evaluated.push(i);
        let namespace = namespace_of(workload);
        if !whole_namespaces.contains(namespace) && !selected.contains(&i) {
            out.violations.push((
                i,
                Violation::new(
                    pod_labels_path(workload),
                    workload_labels_pos(workload),
                    format!(
                        "{} {} has pods that no NetworkPolicy of namespace {namespace} selects",
                        workload.kind, workload.name
                    ),
                ),
            ));
        }
    }
}
