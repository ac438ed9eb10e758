//! ## What it does
//! Flags containers of Windows pods (`spec.os.name: windows`) that name no Group
//! Managed Service Account credential spec
//! (`securityContext.windowsOptions.gmsaCredentialSpecName`), neither their own
//! nor the pod's.
//!
//! ## Why is this bad
//! Windows workloads that authenticate to Active Directory without a gMSA end up
//! with shared or embedded account passwords, or run under the node's own
//! identity. A gMSA gives the pod a managed, rotated domain identity of its own.
//!
//! ## Example
//! ```yaml
//! spec:
//!   os: {name: windows}
//!   containers:
//!   - name: web   # flagged: no gmsaCredentialSpecName
//! ```
//! Use instead: `windowsOptions: {gmsaCredentialSpecName: webapp-gmsa}` on the
//! pod or container.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::helpers::missing_windows_option;
use crate::controls::common::pod_evaluator;

/// How VG-W020 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    missing_windows_option(pod, "gmsaCredentialSpecName", out);
}
