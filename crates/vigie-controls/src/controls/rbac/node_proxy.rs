//! ## What it does
//! Flags subjects that a binding gives the `nodes/proxy` subresource (`get`,
//! `create` or `connect`, wildcards included).
//!
//! ## Why is this bad
//! `nodes/proxy` forwards requests to the kubelet API of any node. The kubelet
//! runs commands in every container of its node (`/exec`, `/run`) and such calls
//! bypass the API server's audit log and admission control: whoever holds this
//! permission can run code in any pod of the cluster without a trace.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}   # flagged when bound
//! ```
//! Use instead: scrape node metrics through the metrics API or `nodes/metrics`,
//! which do not reach the kubelet's exec endpoints.
//!
//! ## References
//! Kubescape C-0279; CIS 5.1.10; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1609 (Container Administration Command).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R003",
    title: "Subject can proxy to the kubelet (nodes/proxy)",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0279"],
        cis: &["5.1.10"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1609"],
    },
    remediation:
        "Remove nodes/proxy from the role; use nodes/metrics or the metrics API for monitoring.",
    doc: include_str!("node_proxy.rs"),
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
        |rule| rule_allows(rule, &[""], &["nodes/proxy"], &["get", "create", "connect"]),
        "proxy requests to kubelets (nodes/proxy)",
    );
}
