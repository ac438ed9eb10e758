//! ## What it does
//! Fails containers whose `securityContext.procMount` is anything but `Default`.
//! From Kubernetes v1.35 the baseline level allows `Unmasked` in pods that run in
//! their own user namespace (`hostUsers: false`), where the unmasked `/proc` belongs
//! to that namespace rather than to the node; the restricted level still refuses it
//! (see PSS-R07).
//!
//! ## Why is this bad
//! The default proc mount masks parts of `/proc` that reveal or control the node's
//! kernel; `Unmasked` exposes them to the container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   procMount: Unmasked   # fails unless hostUsers is false (v1.35+)
//! ```
//! Use instead: leave `procMount` unset.

use super::prelude::*;

/// How PSS-B08 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    let own_user_namespace = pod.spec().get("hostUsers").and_then(Node::as_bool) == Some(false);
    if version >= Version::v1(35) && own_user_namespace {
        return;
    }
    non_default_proc_mounts(pod, out);
}

/// Reports every container whose procMount is set to something other than `Default`.
pub(crate) fn non_default_proc_mounts(pod: &Pod<'_>, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let Some(sc) = container.security_context() else {
            continue;
        };
        let Some(proc_mount) = sc.get("procMount") else {
            continue;
        };
        if proc_mount.as_str() != Some("Default") {
            out.push(Violation {
                subject: None,
                path: pod.container_path(&container, "securityContext.procMount"),
                pos: key_pos(sc, "procMount"),
                message: format!(
                    "{} sets procMount {}",
                    describe_container(&container),
                    proc_mount.display_value()
                ),
            });
        }
    }
}
