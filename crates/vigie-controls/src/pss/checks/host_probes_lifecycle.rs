//! ## What it does
//! Fails probes and lifecycle hooks (`httpGet` or `tcpSocket`) that set `host`.
//! Part of the baseline level from Kubernetes v1.34.
//!
//! ## Why is this bad
//! The kubelet runs probes and hooks from the node. A `host` field makes it connect to
//! an arbitrary address on the workload's behalf: a way to reach services only the
//! node can reach (server-side request forgery through the kubelet).
//!
//! ## Example
//! ```yaml
//! livenessProbe:
//!   httpGet:
//!     host: 169.254.169.254   # fails
//!     port: 80
//! ```
//! Use instead: leave `host` unset; the kubelet then probes the pod's own IP.

use super::prelude::*;

/// How PSS-B12 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let handlers = ["livenessProbe", "readinessProbe", "startupProbe"]
            .into_iter()
            .filter_map(|probe| container.node.get(probe).map(|n| (probe.to_string(), n)))
            .chain(["postStart", "preStop"].into_iter().filter_map(|hook| {
                container
                    .node
                    .get_path(&["lifecycle", hook])
                    .map(|n| (format!("lifecycle.{hook}"), n))
            }));
        for (handler_path, handler) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                let Some(action_node) = handler.get(action) else {
                    continue;
                };
                let Some(host) = action_node.get("host") else {
                    continue;
                };
                if host.as_str() == Some("") {
                    continue;
                }
                out.push(Violation {
                    subject: None,
                    path: pod.container_path(&container, &format!("{handler_path}.{action}.host")),
                    pos: key_pos(action_node, "host"),
                    message: format!(
                        "{} {handler_path} connects to host {}",
                        describe_container(&container),
                        host.display_value()
                    ),
                });
            }
        }
    }
}
