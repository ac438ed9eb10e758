//! ## What it does
//! Flags a kube-apiserver that does not enable the `EventRateLimit` admission
//! plugin.
//!
//! ## Why is this bad
//! Events are written by every component and by any client allowed to create
//! them. Without a limit, a misbehaving controller or a malicious user can flood
//! the API server and etcd with Events until the control plane slows down for
//! everyone.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=NodeRestriction   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction,EventRateLimit`
//! and an `EventRateLimit` configuration in `--admission-control-config-file`.
//!
//! ## References
//! Kubescape C-0121; CIS 1.2.9; NSA/CISA "Control plane hardening"; MITRE ATT&CK
//! T1499.

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C009",
    title: "API server does not rate-limit events",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0121"],
        cis: &["1.2.9"],
        nsa: &["Control plane hardening"],
        mitre: &["T1499"],
    },
    remediation: "Add EventRateLimit to kube-apiserver --enable-admission-plugins and give it a configuration with --admission-control-config-file.",
    doc: include_str!("admission_event_rate_limit.rs"),
    evaluator: admission_plugin_evaluator!(
        enabled ["EventRateLimit"],
        "nothing limits the rate of Event writes, so a flood of them can overload the API server and etcd"
    ),
};
