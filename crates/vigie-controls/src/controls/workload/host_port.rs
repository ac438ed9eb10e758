//! ## What it does
//! Flags containers that bind a port of the node (`ports[].hostPort`).
//!
//! ## Why is this bad
//! A host port bypasses Services and NetworkPolicies applied to pod IPs, exposes
//! the container on the node's address, and limits scheduling to one such pod
//! per node. It is rarely needed outside node agents and ingress controllers.
//!
//! ## Example
//! ```yaml
//! ports:
//! - containerPort: 8080
//!   hostPort: 8080   # flagged
//! ```
//! Use instead: a Service (ClusterIP, NodePort or LoadBalancer) in front of the
//! pod.
//!
//! ## References
//! Kubescape C-0044; CIS 5.2.13; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1133 (External Remote Services).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W007 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let ports = list_of(container.node, "ports");
        for (i, port) in ports.iter().enumerate() {
            let Some(host_port) = port.get("hostPort") else {
                continue;
            };
            // 0 is the API's "no host port".
            if host_port.as_i64() == Some(0) {
                continue;
            }
            out.push(Violation::new(
                pod.container_path(&container, &format!("ports[{i}].hostPort")),
                key_pos(port, "hostPort"),
                format!(
                    "{} binds host port {}",
                    describe_container(&container),
                    host_port.display_value()
                ),
            ));
        }
    }
}
