//! ## What it does
//! Flags PodSecurityPolicies with a non-empty `allowedCapabilities`.
//!
//! ## Why is this bad
//! Each allowed capability is kernel privilege a container may ask for beyond
//! the runtime's defaults.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   allowedCapabilities: [NET_ADMIN]   # flagged
//! ```
//! Use instead: an empty `allowedCapabilities` in the policy of ordinary workloads;
//! better, Pod Security Admission (`restricted`).
//!
//! ## References
//! Kubescape C-0219; CIS 5.2.9; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_field, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W044",
    title: "PodSecurityPolicy allows added capabilities",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0219"],
        cis: &["5.2.9"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Empty allowedCapabilities in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_allowed_capabilities.rs"),
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
    let allowed = spec.get("allowedCapabilities")?;
    (!allowed.items().is_empty()).then(|| {
        let (path, pos) = psp_field(spec, "allowedCapabilities");
        (
            path,
            pos,
            format!(
                "the policy allows adding capabilities {}",
                allowed.display_value()
            ),
        )
    })
}
