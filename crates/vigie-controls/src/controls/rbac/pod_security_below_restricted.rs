//! ## What it does
//! Flags Namespaces whose `pod-security.kubernetes.io/enforce` label is not
//! `restricted`.
//!
//! ## Why is this bad
//! Only the restricted level requires pods to run as non-root, to drop all
//! capabilities, to forbid privilege escalation and to use a seccomp profile.
//! Below it, a compromised container keeps root and the kernel attack surface
//! that container escapes rely on.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   labels: {pod-security.kubernetes.io/enforce: baseline}   # flagged
//! ```
//! Use instead: `pod-security.kubernetes.io/enforce: restricted`, with the
//! namespaces of system components exempted explicitly.
//!
//! ## References
//! Kubescape C-0197, C-0198, C-0200, C-0201; CIS 5.2.5 to 5.2.8; NSA/CISA "Pod
//! security"; MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use super::pod_security_admission::{enforce_violation, enforced_level};

/// How VG-R027 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Namespace",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let message = match enforced_level(resource) {
        Some("restricted") => return,
        Some(level) => format!(
            "Namespace {} enforces Pod Security level {level}",
            resource.name
        ),
        None => format!("Namespace {} enforces no Pod Security level", resource.name),
    };
    out.push(enforce_violation(resource, message));
}
