//! ## What it does
//! Fails pods and containers whose `seLinuxOptions` set a `user` or `role`, or a
//! `type` other than `container_t`, `container_init_t` or `container_kvm_t`.
//!
//! ## Why is this bad
//! The SELinux type decides what the container process may access; a custom type
//! (such as `spc_t`, "super privileged container") lifts the confinement that keeps
//! it away from the node's files and processes.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   seLinuxOptions:
//!     type: spc_t   # fails
//! ```
//! Use instead: leave `seLinuxOptions` unset, or set only `level`.

use super::prelude::*;

const ALLOWED_TYPES: [&str; 4] = ["", "container_t", "container_init_t", "container_kvm_t"];

/// How PSS-B07 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    pod.each_security_context("seLinuxOptions", |sc, path, who| {
        check(sc, &path, &who, out);
    });
}

fn check(security_context: &Node, path: &str, who: &str, out: &mut Vec<Violation>) {
    let Some(options) = security_context.get("seLinuxOptions") else {
        return;
    };
    if let Some(kind) = options.get("type") {
        if !kind.as_str().is_some_and(|t| ALLOWED_TYPES.contains(&t)) {
            out.push(Violation {
                subject: None,
                path: format!("{path}.type"),
                pos: key_pos(options, "type"),
                message: format!("{who} sets SELinux type {}", kind.display_value()),
            });
        }
    }
    for field in ["user", "role"] {
        if let Some(value) = options.get(field) {
            if value.as_str() != Some("") {
                out.push(Violation {
                    subject: None,
                    path: format!("{path}.{field}"),
                    pos: key_pos(options, field),
                    message: format!("{who} sets SELinux {field} {}", value.display_value()),
                });
            }
        }
    }
}
