//! ## What it does
//! Flags a kube-controller-manager whose `--terminated-pod-gc-threshold` is not
//! set to a positive number.
//!
//! ## Why is this bad
//! Finished pods are only deleted once their number exceeds this threshold.
//! The default, 12500, lets a small cluster accumulate thousands of dead pods, and
//! zero or less disables the collection altogether; both slow the API server and
//! grow etcd.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-controller-manager   # flagged: no --terminated-pod-gc-threshold
//! ```
//! Use instead: `--terminated-pod-gc-threshold=1000`, or another value that fits
//! the cluster.
//!
//! ## References
//! Kubescape C-0144; CIS 1.3.1; NSA/CISA "Control plane hardening".

use super::super::prelude::*;
use super::flag_rule::{
    flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_CONTROLLER_MANAGER,
};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_CONTROLLER_MANAGER],
    requirements: &[
        Requirement {
            flag: "terminated-pod-gc-threshold",
            check: Check::AtLeast { min: 1 },
            risk: "terminated pods pile up to the default 12500 before they are garbage-collected, weighing on etcd and the API server (0 or less disables collection)",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C034",
    title: "Controller manager has no terminated pod threshold",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0144"],
        cis: &["1.3.1"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation: "Set kube-controller-manager --terminated-pod-gc-threshold to a positive number suited to the cluster (e.g. 10 per node).",
    doc: include_str!("controller_manager_terminated_pod_gc.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
