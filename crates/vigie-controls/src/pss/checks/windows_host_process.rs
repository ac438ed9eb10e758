//! ## What it does
//! Fails Windows pods and containers with `windowsOptions.hostProcess: true`.
//!
//! ## Why is this bad
//! A Windows HostProcess container runs directly on the node, with the node's
//! network and filesystem and as a node account: it is the Windows equivalent of a
//! privileged container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   windowsOptions:
//!     hostProcess: true   # fails
//! ```

use super::prelude::*;

/// How PSS-B11 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    pod.each_security_context("windowsOptions.hostProcess", |sc, path, who| {
        let Some(options) = sc.get("windowsOptions") else {
            return;
        };
        if options.get("hostProcess").is_some_and(Node::is_true) {
            out.push(Violation {
                subject: None,
                path,
                pos: key_pos(options, "hostProcess"),
                message: format!("{who} runs as a Windows HostProcess"),
            });
        }
    });
}
