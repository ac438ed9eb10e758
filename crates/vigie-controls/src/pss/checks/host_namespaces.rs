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

pub(crate) const CHECK: Check = Check {
    id: "PSS-B01",
    k8s_id: "hostNamespaces",
    control_name: "Host Namespaces",
    title: "Host namespaces shared",
    level: Level::Baseline,
    since: Version::v1(0),
    overrides: None,
    severity: Severity::High,
    remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.",
    doc: include_str!("host_namespaces.rs"),
    evaluate,
};

fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
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
