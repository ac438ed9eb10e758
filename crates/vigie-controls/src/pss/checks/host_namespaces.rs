//! ## What it does
//! Fails pods that set `hostNetwork`, `hostPID` or `hostIPC` to `true`.
//!
//! ## Why is this bad
//! A pod in the node's network namespace sees and can bind every interface of the
//! node, including services listening on localhost; in its PID namespace it sees and
//! can signal every process of the node; in its IPC namespace it can read shared
//! memory of other workloads. Each one removes an isolation boundary between the
//! container and the node.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostNetwork: true   # fails
//! ```
//! Use instead: leave the three fields unset (they default to `false`).

use super::prelude::*;

/// How PSS-B01 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let spec = pod.spec();
    for (field, what) in [
        ("hostNetwork", "network"),
        ("hostPID", "process"),
        ("hostIPC", "IPC"),
    ] {
        if spec.get(field).is_some_and(Node::is_true) {
            out.push(Violation {
                subject: None,
                path: pod.spec_path(field),
                pos: key_pos(spec, field),
                message: format!("{field} is true: the pod shares the node's {what} namespace"),
            });
        }
    }
}
