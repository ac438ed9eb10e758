//! ## What it does
//! Flags containers with no SELinux options, neither their own
//! (`securityContext.seLinuxOptions`) nor the pod's.
//!
//! ## Why is this bad
//! On nodes that enforce SELinux, the labels decide which files, devices and
//! other processes a container may touch. Without options the runtime picks a
//! default label, which may be more permissive than the workload needs and is
//! not visible in the manifest.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   securityContext: {allowPrivilegeEscalation: false}   # flagged: no seLinuxOptions
//! ```
//! Use instead: `seLinuxOptions: {level: "s0:c123,c456"}` (and a `type` where the
//! node policy defines one for the workload), on the pod or the container.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use super::helpers::{effective, missing_field};
use crate::controls::common::pod_evaluator;

/// How VG-W015 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        if effective(pod, &container, "seLinuxOptions").is_some() {
            continue;
        }
        out.push(missing_field(
            pod,
            &container,
            "seLinuxOptions",
            format!(
                "{} has no seLinuxOptions (nor has the pod)",
                describe_container(&container)
            ),
        ));
    }
}
