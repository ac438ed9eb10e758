//! ## What it does
//! Flags an etcd whose `--client-cert-auth` is not `true` (it defaults to
//! `false`).
//!
//! ## Why is this bad
//! etcd's API gives full read and write access to the cluster state. Without
//! client certificate authentication, anything that can reach port 2379 can read
//! every Secret or make itself cluster administrator.
//!
//! ## Example
//! ```yaml
//! command:
//! - etcd
//! - --client-cert-auth=false   # flagged (and so is leaving it out)
//! ```
//! Use instead: `--client-cert-auth=true` with `--trusted-ca-file`.
//!
//! ## References
//! Kubescape C-0154; CIS 2.2; NSA/CISA "Etcd"; MITRE ATT&CK T1190.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, ETCD};

const RULE: FlagRule = FlagRule {
    components: &[ETCD],
    requirements: &[Requirement {
        flag: "client-cert-auth",
        check: Check::OneOf {
            values: &["true"],
            default: "false",
        },
        risk: "etcd serves any client that reaches it, without a certificate from its CA",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C037",
    title: "etcd does not authenticate clients by certificate",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0154"],
        cis: &["2.2"],
        nsa: &["Etcd"],
        mitre: &["T1190"],
    },
    remediation: "Start etcd with --client-cert-auth=true and --trusted-ca-file.",
    doc: include_str!("etcd_client_cert_auth.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
