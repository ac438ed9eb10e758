//! ## What it does
//! Flags pods whose security context sets no `fsGroupChangePolicy` (or a
//! value other than `Always` and `OnRootMismatch`).
//!
//! ## Why is this bad
//! `fsGroupChangePolicy` says when the kubelet re-applies the pod's `fsGroup`
//! ownership and permissions to its volumes. Stating it makes the ownership of
//! mounted data a reviewed decision: `OnRootMismatch` keeps large volumes
//! from being walked at every start, `Always` guarantees files written by
//! another owner are brought back under the pod's group. An unknown value is
//! rejected by the API server.
//!
//! ## Example
//! ```yaml
//! spec:
//!   securityContext:
//!     fsGroup: 2000        # no fsGroupChangePolicy: flagged
//! ```
//! Use instead: `fsGroupChangePolicy: OnRootMismatch` (or `Always`).
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1222
//! (File and Directory Permissions Modification).

use super::super::prelude::*;
use super::helpers::pod_security_context_field;
use crate::controls::common::pod_evaluator;

/// How VG-W050 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let policy = pod
        .security_context()
        .and_then(|sc| sc.get("fsGroupChangePolicy"));
    let message = match policy.and_then(Node::as_str) {
        Some("Always" | "OnRootMismatch") => return,
        Some(other) => format!(
            "the pod sets fsGroupChangePolicy {other}, which is neither Always nor OnRootMismatch"
        ),
        None => "the pod sets no fsGroupChangePolicy".to_string(),
    };
    out.push(pod_security_context_field(
        pod,
        "fsGroupChangePolicy",
        message,
    ));
}
