//! ## What it does
//! Flags a kube-apiserver started with `--token-auth-file`.
//!
//! ## Why is this bad
//! The token file holds long-lived bearer tokens in clear text on the control
//! plane node. They cannot expire, and revoking one means editing the file and
//! restarting the API server, so a leaked token tends to stay valid.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --token-auth-file=/etc/kubernetes/tokens.csv   # flagged
//! ```
//! Use instead: client certificates, an OIDC provider or a webhook
//! authenticator, whose credentials expire and can be revoked.
//!
//! ## References
//! Kubescape C-0114; CIS 1.2.2; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1078.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "token-auth-file",
            check: Check::Absent,
            risk: "static tokens never expire and are only revoked by editing the file and restarting the API server",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C002",
    title: "API server accepts static bearer tokens",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0114"],
        cis: &["1.2.2"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation: "Remove --token-auth-file from kube-apiserver and authenticate users with certificates, OIDC or a webhook.",
    doc: include_str!("api_server_token_auth_file.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
