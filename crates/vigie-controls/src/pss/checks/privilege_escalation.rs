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
        let key = "allowPrivilegeEscalation";
        out.push(match value {
            Some(v) => Violation::new(
                pod.container_path(&container, &format!("securityContext.{key}")),
                key_pos(sc.unwrap_or(container.node), key),
                format!(
                    "{} sets {key} {}",
                    describe_container(&container),
                    v.display_value()
                ),
            ),
            None => unset_in_container(
                pod,
                &container,
                key,
                "does not set allowPrivilegeEscalation to false",
            ),
        });
    }
}
