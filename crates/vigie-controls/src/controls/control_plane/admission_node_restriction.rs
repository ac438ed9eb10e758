//! ## What it does
//! Flags a kube-apiserver that does not enable the `NodeRestriction` admission
//! plugin.
//!
//! ## Why is this bad
//! NodeRestriction limits each kubelet to modifying its own Node object and the
//! pods bound to it, and forbids it from setting `node-restriction.kubernetes.io/`
//! labels. Without it, a compromised node can tamper with other nodes and relabel
//! itself to attract workloads it should never run.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=ServiceAccount   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction` together with
//! `--authorization-mode=Node,RBAC`.
//!
//! ## References
//! Kubescape C-0127; CIS 1.2.14; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C015",
    title: "API server does not restrict what kubelets may modify",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0127"],
        cis: &["1.2.14"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Add NodeRestriction to kube-apiserver --enable-admission-plugins (with --authorization-mode including Node).",
    doc: include_str!("admission_node_restriction.rs"),
    evaluator: admission_plugin_evaluator!(
        enabled ["NodeRestriction"],
        "a kubelet can modify other Nodes and pods not bound to it, and label its Node to attract sensitive workloads"
    ),
};
