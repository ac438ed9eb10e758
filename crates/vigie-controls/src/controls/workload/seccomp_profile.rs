//! ## What it does
//! Flags containers with no seccomp profile, neither their own
//! (`securityContext.seccompProfile`) nor the pod's, or with the `Unconfined`
//! profile.
//!
//! ## Why is this bad
//! Without a seccomp profile a container may make every system call the kernel
//! offers, including the rarely used ones behind many kernel privilege
//! escalations. Kubernetes does not apply the runtime's default profile unless
//! asked to.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   securityContext: {}   # flagged: no seccompProfile here or on the pod
//! ```
//! Use instead: `seccompProfile: {type: RuntimeDefault}` on the pod (or a
//! `Localhost` profile tailored to the application).
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.2; NSA/CISA "Pod security"; MITRE ATT&CK T1068
//! (Exploitation for Privilege Escalation).

use super::super::prelude::*;
use super::helpers::judge_seccomp_type;
use crate::controls::common::pod_evaluator;

/// How VG-W013 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let unconfined = |kind: Option<&Node>| {
        (kind.and_then(Node::as_str) == Some("Unconfined"))
            .then(|| "runs with the Unconfined seccomp profile".to_string())
    };
    judge_seccomp_type(pod, "seccompProfile", unconfined, out);
}
