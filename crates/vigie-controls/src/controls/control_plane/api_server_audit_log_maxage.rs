//! ## What it does
//! Flags a kube-apiserver whose `--audit-log-maxage` is not set to at least 30
//! days.
//!
//! ## Why is this bad
//! Intrusions are often noticed weeks after they start. Audit logs deleted in
//! the meantime take the evidence with them.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-log-maxage=7   # flagged
//! ```
//! Use instead: `--audit-log-maxage=30` or more, or ship the logs to storage
//! with its own retention.
//!
//! ## References
//! Kubescape C-0131; CIS 1.2.17; NSA/CISA "Audit logging and threat detection";
//! MITRE ATT&CK T1562.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "audit-log-maxage",
        check: Check::AtLeast { min: 30 },
        risk: "rotated audit logs may be deleted before an investigation needs them",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C019",
    title: "API server keeps audit logs for less than 30 days",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0131"],
        cis: &["1.2.17"],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1562"],
    },
    remediation: "Set kube-apiserver --audit-log-maxage to 30 or more (days).",
    doc: include_str!("api_server_audit_log_maxage.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
