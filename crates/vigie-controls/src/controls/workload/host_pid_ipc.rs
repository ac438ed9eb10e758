//! ## What it does
//! Flags workloads whose pods share the node's process namespace (`hostPID`) or
//! its inter-process communication namespace (`hostIPC`).
//!
//! ## Why is this bad
//! With `hostPID` a container sees every process of the node, can read their
//! environment and memory maps, and signal or trace them; with `hostIPC` it can
//! read and write the shared memory segments and message queues of every process
//! on the node. Both break the isolation between the pod and the rest of the node.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostPID: true   # flagged
//!   hostIPC: true   # flagged
//! ```
//! Use instead: leave both unset (they default to `false`); debug node processes
//! with an ephemeral debug container or a node-level tool.
//!
//! ## References
//! Kubescape C-0038, C-0275, C-0276; CIS 5.2.3, 5.2.4; NSA/CISA "Pod security";
//! MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use super::helpers::pod_field;
use crate::controls::common::pod_evaluator;

/// How VG-W002 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for (field, namespace) in [("hostPID", "process ID"), ("hostIPC", "IPC")] {
        if pod.spec().get(field).is_some_and(Node::is_true) {
            out.push(pod_field(
                pod,
                field,
                format!("{field} is true: the pod shares the node's {namespace} namespace"),
            ));
        }
    }
}
