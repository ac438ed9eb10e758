//! ## What it does
//! Flags a kube-apiserver whose `--disable-admission-plugins` lists
//! `ServiceAccount` (it is on by default).
//!
//! ## Why is this bad
//! The ServiceAccount plugin gives every pod a service account, rejects pods
//! naming one that does not exist and mounts the matching token. Without it,
//! workloads lose the per-application identity RBAC policies are written
//! against.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --disable-admission-plugins=ServiceAccount   # flagged
//! ```
//! Use instead: leave the plugin enabled (do not list it in
//! `--disable-admission-plugins`).
//!
//! ## References
//! Kubescape C-0125; CIS 1.2.12; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C013",
    title: "API server disables the ServiceAccount plugin",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0125"],
        cis: &["1.2.12"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Remove ServiceAccount from kube-apiserver --disable-admission-plugins.",
    doc: include_str!("admission_service_account.rs"),
    evaluator: admission_plugin_evaluator!(
        not_disabled "ServiceAccount",
        "pods are neither given a service account nor checked for one that exists, which breaks per-workload identities"
    ),
};
