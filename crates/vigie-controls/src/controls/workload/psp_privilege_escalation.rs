//! ## What it does
//! Flags PodSecurityPolicies with `allowPrivilegeEscalation: true`.
//!
//! ## Why is this bad
//! Such a policy admits containers whose processes may gain privileges through
//! setuid binaries.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   allowPrivilegeEscalation: true   # flagged
//! ```
//! Use instead: at least one policy with `allowPrivilegeEscalation: false`; better,
//! Pod Security Admission (`restricted`).
//!
//! ## References
//! Kubescape C-0217; CIS 5.2.6; NSA/CISA "Pod security"; MITRE ATT&CK T1548.001.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_flag_allowed, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W042",
    title: "PodSecurityPolicy allows privilege escalation",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0217"],
        cis: &["5.2.6"],
        nsa: &["Pod security"],
        mitre: &["T1548.001"],
    },
    remediation: "Set allowPrivilegeEscalation: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_privilege_escalation.rs"),
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
    psp_flag_allowed(spec, "allowPrivilegeEscalation", "privilege escalation")
}
