//! ## What it does
//! Flags a kube-apiserver started with `--secure-port=0`.
//!
//! ## Why is this bad
//! Port 0 turns off the HTTPS listener: the only way left to reach the API is
//! unencrypted, where credentials and Secrets travel in clear text.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --secure-port=0   # flagged
//! ```
//! Use instead: `--secure-port=6443` (or leave the default).
//!
//! ## References
//! Kubescape C-0128; NSA/CISA "Control plane hardening"; MITRE ATT&CK T1040.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "secure-port",
            check: Check::Not {
                value: "0",
                default: "6443",
            },
            risk: "the API server serves no HTTPS, so clients are left with unencrypted, unauthenticated access",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C017",
    title: "API server disables its secure port",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0128"],
        cis: &[],
        nsa: &["Control plane hardening"],
        mitre: &["T1040"],
    },
    remediation:
        "Remove --secure-port=0 from kube-apiserver (or set it to the HTTPS port, usually 6443).",
    doc: include_str!("api_server_secure_port_disabled.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
