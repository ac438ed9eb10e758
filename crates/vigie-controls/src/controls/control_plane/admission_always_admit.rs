//! ## What it does
//! Flags a kube-apiserver whose `--enable-admission-plugins` lists `AlwaysAdmit`.
//!
//! ## Why is this bad
//! `AlwaysAdmit` exists for testing: it admits every request. It is deprecated,
//! and enabling it signals that admission control is not being relied on to enforce
//! anything.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=AlwaysAdmit,NodeRestriction   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction`.
//!
//! ## References
//! Kubescape C-0122; CIS 1.2.10; NSA/CISA "Control plane hardening".

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C010",
    title: "API server enables the AlwaysAdmit plugin",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0122"],
        cis: &["1.2.10"],
        nsa: &["Control plane hardening"],
        mitre: &[],
    },
    remediation: "Remove AlwaysAdmit from kube-apiserver --enable-admission-plugins.",
    doc: include_str!("admission_always_admit.rs"),
    evaluator: admission_plugin_evaluator!(
        not_enabled "AlwaysAdmit",
        "AlwaysAdmit is a testing plugin that admits every request, weakening admission control as a whole"
    ),
};
