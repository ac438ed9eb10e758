//! ## What it does
//! Flags containers that mount a `hostPath` volume without `readOnly: true`.
//!
//! ## Why is this bad
//! Writing to the node's filesystem lets a container plant binaries, cron jobs
//! or kubelet configuration that run outside any container, or tamper with other
//! pods' data: the usual first step of an escape to the node.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: agent
//!   volumeMounts:
//!   - {name: host-var, mountPath: /host/var}   # flagged: writable
//! volumes:
//! - name: host-var
//!   hostPath: {path: /var}
//! ```
//! Use instead: `readOnly: true` on the mount, or no hostPath at all.
//!
//! ## References
//! Kubescape C-0045; CIS 5.2.12; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use super::helpers::{host_path_volumes, mounts_of};
use crate::controls::common::pod_evaluator;

/// How VG-W004 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for (volume, path) in host_path_volumes(pod) {
        for mount in mounts_of(pod, volume.name) {
            if mount.node.get("readOnly").is_some_and(Node::is_true) {
                continue;
            }
            out.push(Violation::new(
                pod.container_path(
                    &mount.container,
                    &format!("volumeMounts[{}].readOnly", mount.index),
                ),
                key_pos(mount.node, "readOnly"),
                format!(
                    "{} mounts host path {path} (volume \"{}\") writable",
                    describe_container(&mount.container),
                    volume.name
                ),
            ));
        }
    }
}
