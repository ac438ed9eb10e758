//! ## What it does
//! Fails containers that add a Linux capability outside the default set a container
//! runtime grants anyway: `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`,
//! `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`,
//! `SYS_CHROOT`.
//!
//! ## Why is this bad
//! Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE` or `SYS_MODULE` give a
//! container powers over the node's kernel that most escapes start from.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: ["SYS_ADMIN"]   # fails
//! ```
//! Use instead: add nothing beyond the default set; better, drop `ALL`.

use super::prelude::*;

const ALLOWED: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// How PSS-B03 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        for (path, capability) in pod.added_capabilities(&container) {
            let name = capability
                .as_str()
                .map_or_else(|| capability.display_value(), str::to_string);
            if !ALLOWED.contains(&name.as_str()) {
                let who = describe_container(&container);
                out.push(Violation::new(
                    path,
                    capability.pos,
                    format!("{who} adds capability {name}"),
                ));
            }
        }
    }
}
