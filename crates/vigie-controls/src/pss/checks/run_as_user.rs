//! ## What it does
//! Fails pods and containers that set `runAsUser: 0`. Part of the restricted level
//! from Kubernetes v1.23.
//!
//! ## Why is this bad
//! UID 0 is root: `runAsNonRoot` cannot protect a container that names root
//! explicitly.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   runAsUser: 0   # fails
//! ```
//! Use instead: a non-zero UID such as `runAsUser: 10001`.

use super::prelude::*;

/// How PSS-R04 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    pod.each_security_context("runAsUser", |sc, path, who| {
        if sc.get("runAsUser").and_then(Node::as_i64) == Some(0) {
            out.push(Violation {
                subject: None,
                path,
                pos: key_pos(sc, "runAsUser"),
                message: format!("{who} runs as UID 0 (runAsUser: 0)"),
            });
        }
    });
}
