//! ## What it does
//! Flags a kube-apiserver that does not enable the `DenyServiceExternalIPs`
//! admission plugin.
//!
//! ## Why is this bad
//! `spec.externalIPs` lets a Service claim any IP address: kube-proxy then
//! routes the cluster's traffic for that address to the Service's pods. A user who
//! can create Services in any namespace can thereby intercept traffic meant for
//! another workload or an outside host (CVE-2020-8554).
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=NodeRestriction   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs`.
//!
//! ## References
//! Kubescape C-0283; CIS 1.2.3; NSA/CISA "Network separation and hardening"; MITRE
//! ATT&CK T1557.

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C003",
    title: "API server lets Services claim external IPs",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0283"],
        cis: &["1.2.3"],
        nsa: &["Network separation and hardening"],
        mitre: &["T1557"],
    },
    remediation: "Add DenyServiceExternalIPs to kube-apiserver --enable-admission-plugins (unless Services legitimately use spec.externalIPs).",
    doc: include_str!("api_server_deny_service_external_ips.rs"),
    evaluator: admission_plugin_evaluator!(
        enabled ["DenyServiceExternalIPs"],
        "anyone who may create a Service can set spec.externalIPs and capture traffic meant for those addresses (CVE-2020-8554)"
    ),
};
