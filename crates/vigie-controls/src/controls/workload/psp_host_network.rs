//! ## What it does
//! Flags PodSecurityPolicies that allow `hostNetwork: true`.
//!
//! ## Why is this bad
//! Pods with the host network see every connection of the node, can bind its
//! ports and reach services listening on localhost, such as the kubelet's
//! read-only port.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   hostNetwork: true   # flagged
//! ```
//! Use instead: at least one policy (the one bound to ordinary workloads) with
//! `hostNetwork: false`; better, Pod Security Admission (`baseline`).
//!
//! ## References
//! Kubescape C-0216; CIS 5.2.5; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_flag_allowed, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W040",
    title: "PodSecurityPolicy allows the host network",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0216"],
        cis: &["5.2.5"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set hostNetwork: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_host_network.rs"),
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
    psp_flag_allowed(spec, "hostNetwork", "hostNetwork")
}
