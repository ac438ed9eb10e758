//! ## What it does
//! Flags a kube-apiserver without `--audit-policy-file`.
//!
//! ## Why is this bad
//! The policy decides which requests are audited and in how much detail; with
//! none, the API server audits nothing, whatever log backend is configured. Nobody
//! can then tell who read a Secret or created a privileged pod.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-log-path=/var/log/kubernetes/audit.log   # flagged: nothing is audited
//! ```
//! Use instead: `--audit-policy-file=/etc/kubernetes/audit-policy.yaml` with a
//! policy that records at least metadata for every request and bodies for Secrets,
//! RBAC and pod changes.
//!
//! ## References
//! Kubescape C-0067, C-0160; CIS 3.2.1; NSA/CISA "Audit logging and threat
//! detection"; MITRE ATT&CK T1562.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "audit-policy-file",
        check: Check::Set,
        risk: "without an audit policy the API server records no audit events at all",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C030",
    title: "API server has no audit policy",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0067", "C-0160"],
        cis: &["3.2.1"],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1562"],
    },
    remediation: "Write an audit Policy and pass it with kube-apiserver --audit-policy-file (plus --audit-log-path or an audit webhook).",
    doc: include_str!("api_server_audit_policy.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
