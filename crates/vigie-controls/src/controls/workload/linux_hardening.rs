//! ## What it does
//! Flags containers confined by no Linux security module: no seccomp profile, no
//! SELinux options and no AppArmor profile, on the container or the pod.
//! Dropping capabilities does not count: it narrows privileges, not the kernel
//! interface a compromised process can reach.
//!
//! ## Why is this bad
//! Each of these mechanisms narrows what a compromised process can ask of the
//! kernel. A container with none of them relies on namespaces alone, and every
//! kernel vulnerability reachable through a system call is reachable from it.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: example/app:1   # flagged: no seccomp, SELinux or AppArmor profile
//! ```
//! Use instead: at least `seccompProfile: {type: RuntimeDefault}` on the pod.
//!
//! ## References
//! Kubescape C-0055; NSA/CISA "Pod security: hardening container
//! applications"; MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for
//! Privilege Escalation).

use super::super::prelude::*;
use super::helpers::report_unset;
use crate::controls::common::pod_evaluator;

/// How VG-W012 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Security context fields that each confine a process.
const CONFINING: [&str; 3] = ["seccompProfile", "seLinuxOptions", "appArmorProfile"];

fn confines(sc: Option<&Node>) -> bool {
    sc.is_some_and(|sc| CONFINING.iter().any(|key| sc.get(key).is_some()))
}

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    // The AppArmor annotations predate the appArmorProfile field.
    let app_armor_annotation = pod
        .template
        .annotations()
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .any(|e| {
            e.key
                .starts_with("container.apparmor.security.beta.kubernetes.io/")
        });
    if app_armor_annotation {
        return;
    }
    let words = "has no seccomp profile, SELinux options or AppArmor profile";
    report_unset(pod, confines, "seccompProfile", words, out);
}
