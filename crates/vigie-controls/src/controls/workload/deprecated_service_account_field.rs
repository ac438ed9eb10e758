//! ## What it does
//! Flags pod specs that use the deprecated `serviceAccount` field.
//!
//! ## Why is this bad
//! `serviceAccount` is a deprecated alias of `serviceAccountName`. When both
//! are given and differ, which account the pod runs as depends on the API
//! server's defaulting, and tools that read only `serviceAccountName` (policy
//! engines, RBAC reviews) reason about the wrong identity.
//!
//! ## Example
//! ```yaml
//! spec:
//!   serviceAccount: builder   # flagged
//! ```
//! Use instead: `serviceAccountName: builder`.
//!
//! ## References
//! Kubescape C-0294; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::helpers::pod_field;
use crate::controls::common::pod_evaluator;

/// How VG-W052 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let Some(account) = pod.spec().get("serviceAccount") else {
        return;
    };
    if account.is_null() {
        return;
    }
    let message = match pod.spec().get("serviceAccountName").and_then(Node::as_str) {
        Some(name) if Some(name) != account.as_str() => format!(
            "the pod sets the deprecated serviceAccount {} and serviceAccountName {name}",
            account.display_value()
        ),
        _ => format!(
            "the pod names its service account {} with the deprecated serviceAccount field",
            account.display_value()
        ),
    };
    out.push(pod_field(pod, "serviceAccount", message));
}
