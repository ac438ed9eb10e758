//! ## What it does
//! Flags containers that add a capability of the `insecureCapabilities`
//! setting (by default `SYS_ADMIN`, `NET_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`,
//! `NET_RAW`, `BPF`, `ALL` and others that reach beyond the container).
//!
//! ## Why is this bad
//! These capabilities let a process load kernel modules, mount filesystems,
//! trace other processes, reconfigure the network or load eBPF programs: with
//! them a compromised container can take over the node or spy on its
//! neighbours. `ALL` grants every one of them.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: [SYS_ADMIN]   # flagged
//! ```
//! Use instead: `drop: [ALL]` and add back only narrow capabilities the
//! process needs (`NET_BIND_SERVICE`).
//!
//! ## References
//! Kubescape C-0046; CIS 5.2.9; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W048 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// A capability name as the runtimes read it: any case, `CAP_` optional.
fn bare(name: &str) -> &str {
    let name = name.trim();
    match name.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("CAP_") => &name[4..],
        _ => name,
    }
}

fn evaluate(pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    let insecure = |name: &str| {
        config
            .insecure_capabilities
            .iter()
            .any(|c| bare(c).eq_ignore_ascii_case(bare(name)))
    };
    for container in pod.containers() {
        for (path, capability) in pod.added_capabilities(&container) {
            let Some(name) = capability.as_str() else {
                continue;
            };
            if insecure(name) {
                out.push(Violation::new(
                    path,
                    capability.pos,
                    format!(
                        "{} adds the insecure capability {name}",
                        describe_container(&container)
                    ),
                ));
            }
        }
    }
}
