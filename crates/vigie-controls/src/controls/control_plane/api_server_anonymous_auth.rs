//! ## What it does
//! Flags a kube-apiserver whose `--anonymous-auth` is not `false` (it defaults to
//! `true`).
//!
//! ## Why is this bad
//! With anonymous authentication on, any request without credentials is served
//! as `system:anonymous` in the group `system:unauthenticated`. A single careless
//! binding to either then opens the API to the whole network.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --anonymous-auth=true   # flagged (and so is leaving it out)
//! ```
//! Use instead: `--anonymous-auth=false` (health checks can use authenticated
//! probes or the `/livez` exemption of newer versions).
//!
//! ## References
//! Kubescape C-0113; CIS 1.2.1; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1190.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "anonymous-auth",
        check: Check::OneOf {
            values: &["false"],
            default: "true",
        },
        risk: "requests without credentials are served as system:anonymous",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C001",
    title: "API server accepts anonymous requests",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0113"],
        cis: &["1.2.1"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1190"],
    },
    remediation: "Start kube-apiserver with --anonymous-auth=false.",
    doc: include_str!("api_server_anonymous_auth.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
