//! ## What it does
//! Flags a kube-controller-manager or kube-scheduler whose `--bind-address` is not
//! a loopback address (it defaults to `0.0.0.0`).
//!
//! ## Why is this bad
//! These components only need to talk to the API server. Their own HTTPS port
//! serves health checks, metrics and, with profiling on, debug data; bound to
//! every interface, it is one more service exposed from the control plane
//! nodes.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-scheduler
//! - --bind-address=0.0.0.0   # flagged (and so is leaving it out)
//! ```
//! Use instead: `--bind-address=127.0.0.1`.
//!
//! ## References
//! Kubescape C-0150, C-0152; CIS 1.3.7, 1.4.2; NSA/CISA "Control plane hardening".

use super::super::prelude::*;
use super::flag_rule::{
    flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER,
};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
    requirements: &[
        Requirement {
            flag: "bind-address",
            check: Check::OneOf {
                values: &["127.0.0.1", "::1", "localhost"],
                default: "0.0.0.0",
            },
            risk: "its health, metrics and debug endpoints are reachable from the network, not only from the node",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C033",
    title: "Controller manager or scheduler listens beyond localhost",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0150", "C-0152"],
        cis: &["1.3.7", "1.4.2"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation: "Start kube-controller-manager and kube-scheduler with --bind-address=127.0.0.1.",
    doc: include_str!("bind_address_not_localhost.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
