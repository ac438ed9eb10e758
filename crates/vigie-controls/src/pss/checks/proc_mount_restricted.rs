//! ## What it does
//! Fails containers whose `securityContext.procMount` is anything but `Default`,
//! whether or not the pod has its own user namespace. Part of the restricted level
//! from Kubernetes v1.35, where it replaces the baseline check PSS-B08.
//!
//! ## Why is this bad
//! Even inside a user namespace, an unmasked `/proc` widens what the container can
//! read and write of the kernel; the restricted level keeps the masks.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostUsers: false
//!   containers:
//!   - securityContext:
//!       procMount: Unmasked   # fails at restricted
//! ```
//! Use instead: leave `procMount` unset.

use super::prelude::*;

pub(crate) const CHECK: Check = Check {
    id: "PSS-R07",
    k8s_id: "procMount_restricted",
    control_name: "/proc Mount Type",
    title: "Unmasked /proc mount (restricted)",
    level: Level::Restricted,
    since: Version::v1(35),
    overrides: Some("procMount"),
    severity: Severity::Medium,
    remediation: "Remove securityContext.procMount or set it to Default.",
    doc: include_str!("proc_mount_restricted.rs"),
    evaluate,
};

fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    super::proc_mount::non_default_proc_mounts(pod, out);
}
