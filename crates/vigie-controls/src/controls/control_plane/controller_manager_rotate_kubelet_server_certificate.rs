//! ## What it does
//! Flags a kube-controller-manager whose `--feature-gates` set
//! `RotateKubeletServerCertificate=false`.
//!
//! ## Why is this bad
//! With the gate on, kubelets request their serving certificates from the
//! cluster CA and renew them before they expire. Turning it off leaves nodes with
//! long-lived or self-signed serving certificates.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-controller-manager
//! - --feature-gates=RotateKubeletServerCertificate=false   # flagged
//! ```
//! Use instead: leave the gate at its default (`true`).
//!
//! ## References
//! Kubescape C-0149; CIS 1.3.6; NSA/CISA "Control plane hardening".

use super::super::prelude::*;
use super::flag_rule::{
    flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_CONTROLLER_MANAGER,
};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_CONTROLLER_MANAGER],
    requirements: &[
        Requirement {
            flag: "feature-gates",
            check: Check::Excludes {
                item: "RotateKubeletServerCertificate=false",
                default: &[],
            },
            risk: "kubelets' serving certificates are not renewed through the cluster CA, so they expire or outlive a compromise",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C032",
    title: "Controller manager turns off kubelet serving certificate rotation",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0149"],
        cis: &["1.3.6"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation:
        "Remove RotateKubeletServerCertificate=false from kube-controller-manager --feature-gates.",
    doc: include_str!("controller_manager_rotate_kubelet_server_certificate.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
