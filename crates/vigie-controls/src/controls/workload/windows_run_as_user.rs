//! ## What it does
//! Flags containers of Windows pods (`spec.os.name: windows`) that name no user
//! to run as (`securityContext.windowsOptions.runAsUserName`), neither their own
//! nor the pod's.
//!
//! ## Why is this bad
//! Without it, the container runs as the image's default user, often
//! `ContainerAdministrator`, the Windows equivalent of root in the container.
//!
//! ## Example
//! ```yaml
//! spec:
//!   os: {name: windows}
//!   containers:
//!   - name: web   # flagged: no runAsUserName
//! ```
//! Use instead: `windowsOptions: {runAsUserName: ContainerUser}`.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security: non-root containers";
//! MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::helpers::missing_windows_option;
use crate::controls::common::pod_evaluator;

/// How VG-W021 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    missing_windows_option(pod, "runAsUserName", out);
}
