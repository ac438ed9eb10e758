//! ## What it does
//! Flags PodSecurityPolicies that allow `privileged: true`.
//!
//! ## Why is this bad
//! A privileged container has every capability and every device of the node:
//! it is root on the node in all but name.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   privileged: true   # flagged
//! ```
//! Use instead: `privileged: false` in the policies of ordinary workloads; better,
//! Pod Security Admission (`baseline`).
//!
//! ## References
//! Kubescape C-0213; CIS 5.2.1; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_flag_allowed, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W059",
    title: "PodSecurityPolicy allows privileged containers",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0213"],
        cis: &["5.2.1"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set privileged: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_privileged.rs"),
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
    psp_flag_allowed(spec, "privileged", "privileged containers")
}
