//! ## What it does
//! Flags a kube-apiserver without `--audit-log-path`.
//!
//! ## Why is this bad
//! The audit log is the record of who called the API, when, and with what
//! result. Without a destination for it, an intrusion or a mistake leaves no trace
//! to investigate.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-policy-file=/etc/kubernetes/audit-policy.yaml   # flagged: no log path
//! ```
//! Use instead: `--audit-log-path=/var/log/kubernetes/audit.log` (or an audit
//! webhook backend) with a policy.
//!
//! ## References
//! Kubescape C-0130; CIS 1.2.16; NSA/CISA "Audit logging and threat detection";
//! MITRE ATT&CK T1562.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "audit-log-path",
            check: Check::Set,
            risk: "API requests are not written to an audit log, so who did what cannot be established afterwards",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C018",
    title: "API server writes no audit log",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0130"],
        cis: &["1.2.16"],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1562"],
    },
    remediation: "Set kube-apiserver --audit-log-path to a file on a persistent volume (and --audit-policy-file).",
    doc: include_str!("api_server_audit_log_path.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
