//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` includes `AlwaysAllow`,
//! or is not set (the default is `AlwaysAllow`).
//!
//! ## Why is this bad
//! Authorizers are consulted in order and the first one that decides wins:
//! `AlwaysAllow` says yes to everything, so any request it sees, from any
//! authenticated user, is allowed.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --authorization-mode=AlwaysAllow   # flagged
//! ```
//! Use instead: `--authorization-mode=Node,RBAC`.
//!
//! ## References
//! Kubescape C-0118; CIS 1.2.6; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1078.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "authorization-mode",
        check: Check::Excludes {
            item: "AlwaysAllow",
            default: &["AlwaysAllow"],
        },
        risk: "every authenticated request is allowed, whatever Roles and bindings say",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C006",
    title: "API server authorizes every request",
    severity: Severity::Critical,
    refs: Refs {
        kubescape: &["C-0118"],
        cis: &["1.2.6"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation: "Set kube-apiserver --authorization-mode to Node,RBAC (without AlwaysAllow).",
    doc: include_str!("api_server_authorization_always_allow.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
