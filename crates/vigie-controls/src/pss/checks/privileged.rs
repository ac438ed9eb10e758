//! ## What it does
//! Fails containers (of every kind) whose `securityContext.privileged` is `true`.
//!
//! ## Why is this bad
//! A privileged container runs with every capability, sees every device of the node
//! and is not confined by seccomp or AppArmor: escaping to the node takes one mount.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   securityContext:
//!     privileged: true   # fails
//! ```
//! Use instead: remove `privileged`, and grant only the capabilities the process needs.

use super::prelude::*;

/// How PSS-B02 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let Some(sc) = container.security_context() else {
            continue;
        };
        if sc.get("privileged").is_some_and(Node::is_true) {
            out.push(Violation {
                subject: None,
                path: pod.container_path(&container, "securityContext.privileged"),
                pos: key_pos(sc, "privileged"),
                message: format!(
                    "{} runs privileged (privileged: true)",
                    describe_container(&container)
                ),
            });
        }
    }
}
