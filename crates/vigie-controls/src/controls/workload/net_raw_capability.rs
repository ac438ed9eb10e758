//! ## What it does
//! Flags containers that keep the `NET_RAW` capability: they add it, or drop
//! neither `NET_RAW` nor `ALL`. Container runtimes grant `NET_RAW` by default.
//!
//! ## Why is this bad
//! `NET_RAW` lets a process craft any packet: spoof addresses, ARP and DNS
//! poisoning of neighbours on the node's network, and a long history of kernel
//! vulnerabilities reachable through raw sockets. Almost no application needs it
//! (`ping` works through unprivileged ICMP sockets).
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: [NET_ADMIN]   # flagged: NET_RAW is kept
//! ```
//! Use instead: `drop: [ALL]`, then add back only what the process needs.
//!
//! ## References
//! Kubescape C-0211; CIS 5.2.8; NSA/CISA "Pod security"; MITRE ATT&CK T1557
//! (Adversary-in-the-Middle).

use super::super::prelude::*;
use super::helpers::missing_in_container;
use crate::controls::common::pod_evaluator;

/// How VG-W011 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Capability names as the runtimes accept them: any case, `CAP_` optional.
fn is_capability(node: &Node, wanted: &str) -> bool {
    node.as_str().is_some_and(|name| {
        let name = name.to_ascii_uppercase();
        name.strip_prefix("CAP_").unwrap_or(&name) == wanted
    })
}

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let who = describe_container(&container);
        let capabilities = container
            .security_context()
            .and_then(|sc| sc.get("capabilities"));
        let list = |key: &str| {
            capabilities
                .and_then(|c| c.get(key))
                .map(Node::items)
                .unwrap_or(&[])
        };
        if let Some((i, added)) = list("add")
            .iter()
            .enumerate()
            .find(|(_, c)| is_capability(c, "NET_RAW") || is_capability(c, "ALL"))
        {
            out.push(Violation::new(
                pod.container_path(
                    &container,
                    &format!("securityContext.capabilities.add[{i}]"),
                ),
                added.pos,
                format!("{who} adds {}", added.display_value()),
            ));
            continue;
        }
        let dropped = list("drop")
            .iter()
            .any(|c| is_capability(c, "NET_RAW") || is_capability(c, "ALL"));
        if dropped {
            continue;
        }
        let (path, pos) = match capabilities {
            Some(c) => (
                pod.container_path(&container, "securityContext.capabilities.drop"),
                key_pos(c, "drop"),
            ),
            None => missing_in_container(pod, &container, "capabilities"),
        };
        out.push(Violation::new(
            path,
            pos,
            format!("{who} does not drop NET_RAW (nor ALL)"),
        ));
    }
}
