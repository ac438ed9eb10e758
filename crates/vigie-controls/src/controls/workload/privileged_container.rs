//! ## What it does
//! Flags workloads with a container that runs privileged, or that adds the
//! `SYS_ADMIN` capability, which is privileged in all but name.
//!
//! ## Why is this bad
//! A privileged container has every capability and every device of the node;
//! `SYS_ADMIN` alone allows mounting filesystems, loading BPF programs and most
//! known container escapes. Either one turns a compromised container into a
//! compromised node.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: ["SYS_ADMIN"]   # flagged
//! ```
//! Use instead: no `privileged`, no `SYS_ADMIN`; grant the narrow capability the
//! process needs, or move the privileged work to a node-level agent.
//!
//! ## References
//! Kubescape C-0057; CIS 5.2.2; NSA/CISA "Pod security: non-root, immutable,
//! unprivileged containers"; MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W001 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let Some(sc) = container.security_context() else {
            continue;
        };
        if sc.get("privileged").is_some_and(Node::is_true) {
            out.push(Violation::new(
                pod.container_path(&container, "securityContext.privileged"),
                key_pos(sc, "privileged"),
                format!("{} runs privileged", describe_container(&container)),
            ));
        }
        for (path, capability) in pod.added_capabilities(&container) {
            if capability.as_str() == Some("SYS_ADMIN") {
                out.push(Violation::new(
                    path,
                    capability.pos,
                    format!("{} adds SYS_ADMIN", describe_container(&container)),
                ));
            }
        }
    }
}
