//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` does not include `RBAC`.
//!
//! ## Why is this bad
//! Without the RBAC authorizer, Roles, ClusterRoles and their bindings have no
//! effect: access is whatever the remaining authorizers (or the `AlwaysAllow`
//! default) decide, and least privilege cannot be expressed.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --authorization-mode=Node   # flagged
//! ```
//! Use instead: `--authorization-mode=Node,RBAC`.
//!
//! ## References
//! Kubescape C-0120, C-0088; CIS 1.2.8; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1078.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "authorization-mode",
        check: Check::Includes {
            items: &["RBAC"],
            default: &["AlwaysAllow"],
        },
        risk: "Roles and bindings are not enforced",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C008",
    title: "API server does not enforce RBAC",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0120", "C-0088"],
        cis: &["1.2.8"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation: "Include RBAC in kube-apiserver --authorization-mode (Node,RBAC).",
    doc: include_str!("api_server_authorization_rbac.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
