//! ## What it does
//! Flags PodSecurityPolicies that let containers run as root: `runAsUser.rule`
//! is neither `MustRunAsNonRoot` nor `MustRunAs` with ranges starting above 0.
//!
//! ## Why is this bad
//! Root in a container is root on the node's kernel once anything else goes
//! wrong.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   runAsUser: {rule: RunAsAny}   # flagged
//! ```
//! Use instead: `runAsUser: {rule: MustRunAsNonRoot}`; better, Pod Security Admission
//! (`restricted`).
//!
//! ## References
//! Kubescape C-0218; CIS 5.2.7; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_field, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W043",
    title: "PodSecurityPolicy admits root containers",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0218"],
        cis: &["5.2.7"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set runAsUser.rule: MustRunAsNonRoot in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_root_user.rs"),
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
    let run_as_user = spec.get("runAsUser");
    let rule = run_as_user
        .and_then(|r| r.get("rule"))
        .and_then(Node::as_str);
    let refuses_root = match rule {
        Some("MustRunAsNonRoot") => true,
        Some("MustRunAs") => {
            let ranges = run_as_user
                .and_then(|r| r.get("ranges"))
                .map(Node::items)
                .unwrap_or(&[]);
            !ranges.is_empty()
                && ranges
                    .iter()
                    .all(|r| r.get("min").and_then(Node::as_i64).is_some_and(|m| m > 0))
        }
        _ => false,
    };
    if refuses_root {
        return None;
    }
    let (path, pos) = match run_as_user {
        Some(r) => ("spec.runAsUser.rule".to_string(), key_pos(r, "rule")),
        None => psp_field(spec, "runAsUser"),
    };
    Some((
        path,
        pos,
        format!(
            "the policy admits root containers (runAsUser rule {})",
            rule.unwrap_or("unset")
        ),
    ))
}
