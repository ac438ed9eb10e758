//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` does not include `Node`.
//!
//! ## Why is this bad
//! The Node authorizer confines each kubelet to the objects bound to its own
//! node. Without it, kubelets need broad RBAC rights, and one compromised node can
//! read every Secret in the cluster.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --authorization-mode=RBAC   # flagged
//! ```
//! Use instead: `--authorization-mode=Node,RBAC` (with the NodeRestriction
//! admission plugin).
//!
//! ## References
//! Kubescape C-0119; CIS 1.2.7; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "authorization-mode",
        check: Check::Includes {
            items: &["Node"],
            default: &["AlwaysAllow"],
        },
        risk: "kubelets are not limited to the Secrets, ConfigMaps and pods of their own node",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C007",
    title: "API server does not use the Node authorizer",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0119"],
        cis: &["1.2.7"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Include Node in kube-apiserver --authorization-mode (Node,RBAC).",
    doc: include_str!("api_server_authorization_node.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
