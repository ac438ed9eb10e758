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
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "disable-admission-plugins",
            check: Check::Excludes {
                item: "NamespaceLifecycle",
                default: &[],
            },
            risk: "objects can be created in namespaces that do not exist or are being deleted, and system namespaces can be deleted",
        },
    ],
};

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
    evaluator: flag_rule_evaluator!(RULE),
};
