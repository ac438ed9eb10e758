//! ## What it does
//! Flags PodSecurityPolicies that allow `hostPID: true`.
//!
//! ## Why is this bad
//! Pods in the host PID namespace see, trace and signal every process of the
//! node.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   hostPID: true   # flagged
//! ```
//! Use instead: at least one policy with `hostPID: false`; better, Pod Security
//! Admission (`baseline`).
//!
//! ## References
//! Kubescape C-0214; CIS 5.2.3; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_flag_allowed, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W041",
    title: "PodSecurityPolicy allows the host PID namespace",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0214"],
        cis: &["5.2.3"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set hostPID: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_host_pid.rs"),
    evaluator: Evaluator::Object {
        applies: |r| r.kind == "PodSecurityPolicy",
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    psp_grants(resource, out, grants);
}

/// What the policy grants, and where.
fn grants(spec: &Node) -> Option<(String, vigie_resource::Pos, String)> {
    psp_flag_allowed(spec, "hostPID", "hostPID")
}
