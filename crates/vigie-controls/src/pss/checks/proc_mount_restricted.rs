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

/// How PSS-R07 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    super::proc_mount::non_default_proc_mounts(pod, out);
}
