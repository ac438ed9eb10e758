//! ## What it does
//! Flags containers that do not set `securityContext.readOnlyRootFilesystem: true`.
//!
//! ## Why is this bad
//! A writable root filesystem lets an intruder drop tools, modify binaries and
//! configuration of the running image, and persist across process restarts of
//! the container. Applications that need scratch space can be given an
//! `emptyDir` for exactly the paths they write.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   readOnlyRootFilesystem: false   # flagged
//! ```
//! Use instead: `readOnlyRootFilesystem: true`, with `emptyDir` volumes mounted
//! at `/tmp` or wherever the application writes.
//!
//! ## References
//! Kubescape C-0017, C-0211; NSA/CISA "Pod security: immutable container
//! filesystems"; MITRE ATT&CK T1036 (Masquerading), T1505 (Server Software
//! Component).

use super::super::prelude::*;
use super::helpers::missing_field;
use crate::controls::common::pod_evaluator;

/// How VG-W010 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let sc = container.security_context();
        match sc.and_then(|sc| sc.get("readOnlyRootFilesystem")) {
            Some(v) if v.is_true() => {}
            Some(v) => out.push(Violation::new(
                pod.container_path(&container, "securityContext.readOnlyRootFilesystem"),
                key_pos(sc.unwrap_or(container.node), "readOnlyRootFilesystem"),
                format!(
                    "{} sets readOnlyRootFilesystem {}",
                    describe_container(&container),
                    v.display_value()
                ),
            )),
            None => {
                out.push(missing_field(
                    pod,
                    &container,
                    "readOnlyRootFilesystem",
                    format!(
                        "{} has a writable root filesystem (readOnlyRootFilesystem not set)",
                        describe_container(&container)
                    ),
                ));
            }
        }
    }
}
