//! ## What it does
//! Flags a kube-apiserver without `--service-account-key-file`.
//!
//! ## Why is this bad
//! Without a dedicated key, the API server verifies service account tokens with
//! its TLS serving key. The two then cannot be rotated independently, and
//! rotating the serving certificate invalidates every token in the cluster.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver   # flagged: no --service-account-key-file
//! ```
//! Use instead: `--service-account-key-file=/etc/kubernetes/pki/sa.pub`.
//!
//! ## References
//! Kubescape C-0136; CIS 1.2.22; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "service-account-key-file",
            check: Check::Set,
            risk: "service account tokens are checked against the serving TLS key, which then cannot be rotated without invalidating every token",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C024",
    title: "API server has no service account verification key",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0136"],
        cis: &["1.2.22"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Set kube-apiserver --service-account-key-file to the public key matching the controller manager's --service-account-private-key-file.",
    doc: include_str!("api_server_service_account_key_file.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
