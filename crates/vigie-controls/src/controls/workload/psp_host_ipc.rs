//! ## What it does
//! Flags PodSecurityPolicies that allow `hostIPC: true`.
//!
//! ## Why is this bad
//! Pods in the host IPC namespace read and write the shared memory segments and
//! message queues of every process on the node.
//! A restrictive policy elsewhere does not help the pods allowed to use
//! this one (policies are granted per service account through RBAC `use`).
//!
//! ## Example
//! ```yaml
//! kind: PodSecurityPolicy
//! spec:
//!   hostIPC: true   # flagged
//! ```
//! Use instead: `hostIPC: false` in the policies of ordinary workloads; better,
//! Pod Security Admission (`baseline`).
//!
//! ## References
//! Kubescape C-0215; CIS 5.2.4; NSA/CISA "Pod security"; MITRE ATT&CK T1611.
//! PodSecurityPolicy was removed in Kubernetes v1.25.

use super::super::prelude::*;
use super::helpers::{psp_flag_allowed, psp_grants};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W058",
    title: "PodSecurityPolicy allows the host IPC namespace",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0215"],
        cis: &["5.2.4"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set hostIPC: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
    doc: include_str!("psp_host_ipc.rs"),
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
    psp_flag_allowed(spec, "hostIPC", "hostIPC")
}
