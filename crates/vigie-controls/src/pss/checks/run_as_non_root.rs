//! ## What it does
//! Fails pods whose containers may run as root: `runAsNonRoot` must be `true` at the
//! pod level (and not overridden with `false` by a container), or set to `true` on
//! every container.
//!
//! ## Why is this bad
//! Root in a container is root on the node's kernel: one kernel bug or one
//! misconfigured mount away from root on the node. `runAsNonRoot: true` makes the
//! kubelet refuse to start a container whose image would run as UID 0.
//!
//! ## Example
//! ```yaml
//! spec:
//!   containers:
//!   - name: app
//!     image: nginx   # fails: nothing requires a non-root user
//! ```
//! Use instead: `securityContext: {runAsNonRoot: true}` on the pod.

use super::prelude::*;

/// How PSS-R03 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let pod_sc = pod.security_context();
    let pod_value = pod_sc.and_then(|sc| sc.get("runAsNonRoot"));
    let pod_requires_non_root = pod_value.and_then(Node::as_bool) == Some(true);
    if let (Some(sc), Some(value)) = (pod_sc, pod_value) {
        if !pod_requires_non_root {
            out.push(Violation {
                subject: None,
                path: pod.spec_path("securityContext.runAsNonRoot"),
                pos: key_pos(sc, "runAsNonRoot"),
                message: format!("the pod sets runAsNonRoot {}", value.display_value()),
            });
        }
    }
    let unset = "may run as root: neither it nor the pod sets runAsNonRoot: true";
    for container in pod.containers() {
        let sc = container.security_context();
        match sc.and_then(|sc| sc.get("runAsNonRoot")) {
            Some(value) if value.as_bool() == Some(true) => {}
            Some(value) => out.push(Violation {
                subject: None,
                path: pod.container_path(&container, "securityContext.runAsNonRoot"),
                pos: key_pos(sc.unwrap_or(container.node), "runAsNonRoot"),
                message: format!(
                    "{} sets runAsNonRoot {}",
                    describe_container(&container),
                    value.display_value()
                ),
            }),
            None if pod_requires_non_root => {}
            None => out.push(unset_in_container(pod, &container, "runAsNonRoot", unset)),
        }
    }
}
