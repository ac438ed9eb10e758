//! ## What it does
//! Fails containers that do not set `securityContext.allowPrivilegeEscalation` to
//! `false`. Part of the restricted level from Kubernetes v1.8; from v1.25 Windows
//! pods (`spec.os.name: windows`) are exempt.
//!
//! ## Why is this bad
//! Unless it is turned off, a process can gain more privileges than its parent
//! through setuid binaries or file capabilities (`no_new_privs` is not set).
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   securityContext: {}   # fails: allowPrivilegeEscalation not set to false
//! ```
//! Use instead: `allowPrivilegeEscalation: false`.

use super::prelude::*;

/// How PSS-R02 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    if linux_only_passes(pod, version) {
        return;
    }
    for container in pod.containers() {
        let sc = container.security_context();
        let value = sc.and_then(|sc| sc.get("allowPrivilegeEscalation"));
        if value.and_then(Node::as_bool) == Some(false) {
            continue;
        }
        let (pos, message) = match value {
            Some(v) => (
                key_pos(sc.unwrap_or(container.node), "allowPrivilegeEscalation"),
                format!(
                    "{} sets allowPrivilegeEscalation {}",
                    describe_container(&container),
                    v.display_value()
                ),
            ),
            None => (
                sc.map_or(container.node.pos, |sc| sc.pos),
                format!(
                    "{} does not set allowPrivilegeEscalation to false",
                    describe_container(&container)
                ),
            ),
        };
        out.push(Violation {
            subject: None,
            path: pod.container_path(&container, "securityContext.allowPrivilegeEscalation"),
            pos,
            message,
        });
    }
}
