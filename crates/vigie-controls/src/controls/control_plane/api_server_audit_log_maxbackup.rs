//! ## What it does
//! Flags a kube-apiserver whose `--audit-log-maxbackup` is not set to at least
//! 10.
//!
//! ## Why is this bad
//! Only this many rotated audit files are kept; older ones are deleted however
//! recent they are. A low number on a busy cluster means only hours of history.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-log-maxbackup=2   # flagged
//! ```
//! Use instead: `--audit-log-maxbackup=10` or more.
//!
//! ## References
//! Kubescape C-0132; CIS 1.2.18; NSA/CISA "Audit logging and threat detection";
//! MITRE ATT&CK T1562.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "audit-log-maxbackup",
        check: Check::AtLeast { min: 10 },
        risk: "few rotated audit log files are kept, so older events are lost early",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C020",
    title: "API server keeps fewer than 10 audit log files",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0132"],
        cis: &["1.2.18"],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1562"],
    },
    remediation: "Set kube-apiserver --audit-log-maxbackup to 10 or more.",
    doc: include_str!("api_server_audit_log_maxbackup.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
