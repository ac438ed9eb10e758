//! ## What it does
//! Flags a kube-apiserver whose `--audit-log-maxsize` is not set to at least 100
//! (megabytes).
//!
//! ## Why is this bad
//! Audit files rotate when they reach this size, and only `--audit-log-maxbackup`
//! of them are kept: small files mean little history.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-log-maxsize=10   # flagged
//! ```
//! Use instead: `--audit-log-maxsize=100` or more.
//!
//! ## References
//! Kubescape C-0133; CIS 1.2.19; NSA/CISA "Audit logging and threat detection";
//! MITRE ATT&CK T1562.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "audit-log-maxsize",
            check: Check::AtLeast { min: 100 },
            risk: "small audit files rotate quickly, and with a fixed number of backups less history is kept",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C021",
    title: "API server rotates audit logs below 100 MB",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0133"],
        cis: &["1.2.19"],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1562"],
    },
    remediation: "Set kube-apiserver --audit-log-maxsize to 100 or more (megabytes).",
    doc: include_str!("api_server_audit_log_maxsize.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
