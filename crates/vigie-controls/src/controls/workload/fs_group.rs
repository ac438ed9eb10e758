//! ## What it does
//! Flags pods that set no `securityContext.fsGroup`, or a negative one.
//!
//! ## Why is this bad
//! `fsGroup` is the group that owns the pod's volumes; without it, volumes keep
//! the ownership they come with, which pushes teams to run as root to be able to
//! write to them.
//!
//! ## Example
//! ```yaml
//! spec:
//!   securityContext: {runAsUser: 10001}   # flagged: no fsGroup
//! ```
//! Use instead: `fsGroup: 10001` (a non-negative group ID), with
//! `fsGroupChangePolicy: OnRootMismatch` for large volumes.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use super::helpers::pod_security_context_field;
use crate::controls::common::pod_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W016",
    title: "No fsGroup for the pod's volumes",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0211"],
        cis: &["5.7.3"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Set spec.securityContext.fsGroup to a non-negative group ID.",
    doc: include_str!("fs_group.rs"),
    evaluator: pod_evaluator!(evaluate),
};

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let message = match pod.security_context().and_then(|sc| sc.get("fsGroup")) {
        Some(group) if group.as_i64().is_some_and(|g| g >= 0) => return,
        Some(group) => format!("the pod sets fsGroup {}", group.display_value()),
        None => "the pod sets no fsGroup".to_string(),
    };
    out.push(pod_security_context_field(pod, "fsGroup", message));
}
