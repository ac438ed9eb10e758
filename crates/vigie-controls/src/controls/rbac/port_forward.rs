//! ## What it does
//! Flags subjects that a binding lets open port-forwarding tunnels to pods
//! (`pods/portforward`, with `create`, or `get` for the websocket upgrade).
//!
//! ## Why is this bad
//! A port-forward reaches any port of a pod from the subject's machine,
//! through the API server: no Service, Ingress or NetworkPolicy sees or limits
//! it. Internal admin endpoints and databases become reachable from outside.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [pods/portforward], verbs: [create]}   # flagged when bound
//! ```
//! Use instead: expose what must be reachable through reviewed Services;
//! keep port-forwarding to break-glass roles.
//!
//! ## References
//! Kubescape C-0063; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1572 (Protocol Tunneling).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R028",
    title: "Subject can port-forward to pods",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0063"],
        cis: &[],
        nsa: &["Authentication and authorization"],
        mitre: &["T1572"],
    },
    remediation: "Remove pods/portforward from the role; keep it to break-glass roles.",
    doc: include_str!("port_forward.rs"),
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
        |rule| rule_allows(rule, &[""], &["pods/portforward"], &["create", "get"]),
        "port-forward to pods",
    );
}
