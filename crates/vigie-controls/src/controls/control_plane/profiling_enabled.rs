//! ## What it does
//! Flags a kube-apiserver, kube-controller-manager or kube-scheduler whose
//! `--profiling` is not `false` (it defaults to `true`).
//!
//! ## Why is this bad
//! Profiling exposes `/debug/pprof`: stack traces, memory and CPU profiles of
//! the component. It helps debugging and little else in production, where it
//! tells an attacker about the program and lets them make it work hard.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-scheduler
//! - --profiling=true   # flagged (and so is leaving it out)
//! ```
//! Use instead: `--profiling=false` on each component.
//!
//! ## References
//! Kubescape C-0129, C-0145, C-0151; CIS 1.2.15, 1.3.2, 1.4.1; NSA/CISA "Control
//! plane hardening".

use super::super::prelude::*;
use super::flag_rule::{
    flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER,
    KUBE_SCHEDULER,
};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
    requirements: &[
        Requirement {
            flag: "profiling",
            check: Check::OneOf {
                values: &["false"],
                default: "true",
            },
            risk: "the /debug/pprof endpoints reveal program internals and can be used to load the component",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C016",
    title: "Control plane component serves profiling data",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0129", "C-0145", "C-0151"],
        cis: &["1.2.15", "1.3.2", "1.4.1"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation:
        "Start kube-apiserver, kube-controller-manager and kube-scheduler with --profiling=false.",
    doc: include_str!("profiling_enabled.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
