//! ## What it does
//! Flags subjects that a binding lets change the CoreDNS configuration:
//! `update` or `patch` on ConfigMaps, either on every ConfigMap (no
//! `resourceNames`) or naming `coredns`.
//!
//! ## Why is this bad
//! CoreDNS reads its Corefile from the `coredns` ConfigMap. Rewriting it lets a
//! subject answer any in-cluster DNS query with an address of its choosing and
//! send other workloads' traffic (and credentials) to itself.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [configmaps], verbs: [update]}   # flagged when bound
//! ```
//! Use instead: list the ConfigMaps a subject may change in `resourceNames`,
//! leaving `coredns` to cluster administrators.
//!
//! ## References
//! Kubescape C-0037; NSA/CISA "Authentication and authorization"; MITRE ATT&CK
//! T1557 (Adversary-in-the-Middle).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, strings, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R011",
    title: "Subject can modify the CoreDNS ConfigMap",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0037"],
        cis: &[],
        nsa: &["Authentication and authorization"],
        mitre: &["T1557"],
    },
    remediation:
        "Restrict update and patch on configmaps with resourceNames that do not include coredns.",
    doc: include_str!("modify_coredns.rs"),
    evaluator: Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| {
            let names: Vec<&str> = strings(rule, "resourceNames").collect();
            rule_allows(rule, &[""], &["configmaps"], &["update", "patch"])
                && (names.is_empty() || names.contains(&"coredns"))
        },
        "modify the coredns ConfigMap",
    );
}
