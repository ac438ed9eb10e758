//! ## What it does
//! Fails containers that do not drop `ALL` capabilities, or that add any capability
//! but `NET_BIND_SERVICE`. Part of the restricted level from Kubernetes v1.22, where
//! it replaces the baseline capabilities check (PSS-B03); from v1.25 Windows pods
//! are exempt.
//!
//! ## Why is this bad
//! The runtime's default capabilities (`CHOWN`, `DAC_OVERRIDE`, `SETUID`, `NET_RAW`
//! on some runtimes, ...) are more than almost any application needs; each is a
//! tool for an attacker who gets code execution in the container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: ["NET_RAW"]   # fails: ALL is not dropped
//! ```
//! Use instead: `drop: ["ALL"]`, adding back `NET_BIND_SERVICE` only if needed.

use super::prelude::*;

/// How PSS-R06 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    if linux_only_passes(pod, version) {
        return;
    }
    for container in pod.containers() {
        let sc = container.security_context();
        let capabilities = sc.and_then(|sc| sc.get("capabilities"));
        let drop = capabilities.and_then(|c| c.get("drop"));
        let drops_all = drop.is_some_and(|d| d.items().iter().any(|c| c.as_str() == Some("ALL")));
        if !drops_all {
            let (path, pos) = match (drop, capabilities) {
                (Some(drop), _) => ("securityContext.capabilities.drop", drop.pos),
                (None, Some(c)) => ("securityContext.capabilities", c.pos),
                (None, None) => (
                    "securityContext.capabilities",
                    sc.map_or(container.node.pos, |sc| sc.pos),
                ),
            };
            out.push(Violation {
                subject: None,
                path: pod.container_path(&container, path),
                pos,
                message: format!(
                    "{} does not drop ALL capabilities{}",
                    describe_container(&container),
                    drop.map(|d| format!(" (drops {})", d.display_value()))
                        .unwrap_or_default()
                ),
            });
        }
        for (path, capability) in pod.added_capabilities(&container) {
            if capability.as_str() != Some("NET_BIND_SERVICE") {
                let who = describe_container(&container);
                let name = capability.display_value();
                out.push(Violation::new(
                    path,
                    capability.pos,
                    format!("{who} adds capability {name}"),
                ));
            }
        }
    }
}
