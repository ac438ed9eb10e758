//! ## What it does
//! Flags a kube-apiserver whose `--request-timeout` is not a positive duration
//! (`60s`, `5m`, `1h30m`).
//!
//! ## Why is this bad
//! The request timeout bounds how long the API server works on one request. A
//! value it cannot parse stops it from starting; a value of zero or less takes the
//! bound away, letting slow clients hold the server's resources.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --request-timeout=300   # flagged: no unit
//! ```
//! Use instead: `--request-timeout=300s`, or leave the 60s default.
//!
//! ## References
//! Kubescape C-0134; CIS 1.2.20; NSA/CISA "Control plane hardening".

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};
use vigie_resource::duration_seconds;

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "request-timeout",
        check: Check::Valid {
            problem: timeout_problem,
        },
        risk: "requests need a time limit the API server can read (the default is 60s)",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C022",
    title: "API server request timeout is not a valid duration",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0134"],
        cis: &["1.2.20"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation: "Set kube-apiserver --request-timeout to a positive duration such as 60s or 5m, or leave the 60s default.",
    doc: include_str!("api_server_request_timeout.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};

/// What is wrong with a `--request-timeout` value, if anything.
fn timeout_problem(value: &str) -> Option<String> {
    match duration_seconds(value) {
        Some(seconds) if seconds > 0.0 => None,
        Some(_) => Some("which is not a positive duration".to_string()),
        None => Some("which is not a duration such as 60s or 5m".to_string()),
    }
}
