//! ## What it does
//! Flags containers whose seccomp profile is not `RuntimeDefault`: none at all,
//! `Unconfined`, or a `Localhost` profile. The container's own
//! `securityContext.seccompProfile` wins over the pod's.
//!
//! ## Why is this bad
//! The CIS Benchmark asks for the container runtime's default profile, which is
//! maintained with the runtime and blocks the system calls containers should
//! never need. A `Localhost` profile lives on each node, outside the manifest,
//! and cannot be reviewed here: vigie reports it for a human to check.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   seccompProfile: {type: Localhost, localhostProfile: custom.json}   # flagged
//! ```
//! Use instead: `seccompProfile: {type: RuntimeDefault}`; keep Localhost
//! profiles for reviewed exceptions.
//!
//! ## References
//! Kubescape C-0210; CIS 5.7.2; NSA/CISA "Pod security"; MITRE ATT&CK T1068
//! (Exploitation for Privilege Escalation).

use super::super::prelude::*;
use super::helpers::judge_seccomp_type;
use crate::controls::common::pod_evaluator;

/// How VG-W014 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let not_runtime_default = |kind: Option<&Node>| {
        (kind.and_then(Node::as_str) != Some("RuntimeDefault")).then(|| {
            let kind = kind.map_or_else(|| "(none)".to_string(), Node::display_value);
            format!("uses the seccomp profile type {kind}")
        })
    };
    judge_seccomp_type(pod, "seccompProfile.type", not_runtime_default, out);
}
