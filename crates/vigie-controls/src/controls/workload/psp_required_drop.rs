//! ## What it does
//! Flags PodSecurityPolicies with no `requiredDropCapabilities`.
//!
//! ## Why is this bad
//! Container runtimes grant a default set of capabilities (`NET_RAW`, `CHOWN`,
//! `SETUID`...) that most applications never use.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   requiredDropCapabilities: []   # flagged
//! ```
//! Use instead: `requiredDropCapabilities: [ALL]` in the policy of ordinary workloads;
//! better, Pod Security Admission (`restricted`).
//!
//! ## References
//! Kubescape C-0220; CIS 5.2.10; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_field, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W045",
    title: "PodSecurityPolicy leaves default capabilities",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0220"],
        cis: &["5.2.10"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set requiredDropCapabilities: [ALL] in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_required_drop.rs"),
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
    let required = spec
        .get("requiredDropCapabilities")
        .map(Node::items)
        .unwrap_or(&[]);
    required.is_empty().then(|| {
        let (path, pos) = psp_field(spec, "requiredDropCapabilities");
        (
            path,
            pos,
            "the policy requires dropping no capability".to_string(),
        )
    })
}
