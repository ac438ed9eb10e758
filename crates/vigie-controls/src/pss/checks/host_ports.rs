//! ## What it does
//! Fails containers that declare a `hostPort` other than 0.
//!
//! ## Why is this bad
//! A host port binds the container to a port of the node's own interfaces, bypassing
//! Services and NetworkPolicies, and limits where the pod can be scheduled.
//!
//! ## Example
//! ```yaml
//! ports:
//! - containerPort: 8080
//!   hostPort: 8080   # fails
//! ```
//! Use instead: expose the pod through a Service.

use super::prelude::*;

/// How PSS-B05 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let Some(ports) = container.node.get("ports") else {
            continue;
        };
        for (i, port) in ports.items().iter().enumerate() {
            let Some(host_port) = port.get("hostPort") else {
                continue;
            };
            if host_port.as_i64() != Some(0) {
                out.push(Violation {
                    subject: None,
                    path: pod.container_path(&container, &format!("ports[{i}].hostPort")),
                    pos: key_pos(port, "hostPort"),
                    message: format!(
                        "{} binds host port {}",
                        describe_container(&container),
                        host_port.display_value()
                    ),
                });
            }
        }
    }
}
