//! ## What it does
//! Flags a kube-apiserver whose `--disable-admission-plugins` lists
//! `NamespaceLifecycle` (it is on by default).
//!
//! ## Why is this bad
//! NamespaceLifecycle refuses objects in namespaces that do not exist or are
//! terminating, and protects `default`, `kube-system` and `kube-public` from
//! deletion. Without it, objects can escape the cleanup of their namespace and the
//! system namespaces can be removed.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --disable-admission-plugins=NamespaceLifecycle   # flagged
//! ```
//! Use instead: leave the plugin enabled.
//!
//! ## References
//! Kubescape C-0126; CIS 1.2.13; NSA/CISA "Namespaces".

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C014",
    title: "API server disables the NamespaceLifecycle plugin",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0126"],
        cis: &["1.2.13"],
        nsa: &["Namespaces"],
        mitre: &[],
    },
    remediation: "Remove NamespaceLifecycle from kube-apiserver --disable-admission-plugins.",
    doc: include_str!("admission_namespace_lifecycle.rs"),
    evaluator: admission_plugin_evaluator!(
        not_disabled "NamespaceLifecycle",
        "objects can be created in namespaces that do not exist or are being deleted, and system namespaces can be deleted"
    ),
};
