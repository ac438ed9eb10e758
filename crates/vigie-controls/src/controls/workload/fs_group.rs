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

/// How VG-W016 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let message = match pod.security_context().and_then(|sc| sc.get("fsGroup")) {
        Some(group) if group.as_i64().is_some_and(|g| g >= 0) => return,
        Some(group) => format!("the pod sets fsGroup {}", group.display_value()),
        None => "the pod sets no fsGroup".to_string(),
    };
    out.push(pod_security_context_field(pod, "fsGroup", message));
}
