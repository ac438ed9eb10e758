//! ## What it does
//! Flags Namespaces whose `pod-security.kubernetes.io/enforce` label is not
//! `baseline` or `restricted` (missing, or `privileged`).
//!
//! ## Why is this bad
//! The baseline level is what keeps pods from running privileged, sharing the
//! host's network, PID or IPC namespaces, mounting `hostPath` volumes, opening
//! host ports or adding dangerous capabilities. Below it, any of those is
//! admitted.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   labels: {pod-security.kubernetes.io/enforce: privileged}   # flagged
//! ```
//! Use instead: `pod-security.kubernetes.io/enforce: baseline` at least.
//!
//! ## References
//! Kubescape C-0193, C-0194, C-0195, C-0196, C-0199, C-0202, C-0203, C-0204;
//! CIS 5.2.2 to 5.2.4, 5.2.9, 5.2.11 to 5.2.13; NSA/CISA "Pod security"; MITRE
//! ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use super::pod_security_admission::{enforce_violation, enforced_level};

/// How VG-R026 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Namespace",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let message = match enforced_level(resource) {
        Some("baseline" | "restricted") => return,
        Some(level) => format!(
            "Namespace {} enforces Pod Security level {level}",
            resource.name
        ),
        None => format!("Namespace {} enforces no Pod Security level", resource.name),
    };
    out.push(enforce_violation(resource, message));
}
