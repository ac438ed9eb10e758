//! ## What it does
//! Flags containers that may run as the root user or the root group: neither
//! `runAsNonRoot: true` nor a non-zero `runAsUser`, or no non-zero `runAsGroup`,
//! in the container's security context or, failing that, the pod's.
//!
//! ## Why is this bad
//! Root in a container is root on the node's kernel, held back only by the
//! remaining isolation: any escape, writable hostPath or mis-set capability
//! becomes a full node compromise. Group 0 also owns many files of the image and
//! of mounted volumes.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   runAsNonRoot: false   # flagged
//! ```
//! Use instead:
//! ```yaml
//! securityContext:
//!   runAsNonRoot: true
//!   runAsUser: 10001
//!   runAsGroup: 10001
//! ```
//!
//! ## References
//! Kubescape C-0013, C-0211; CIS 5.2.7; NSA/CISA "Pod security: non-root
//! containers"; MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use super::helpers::{effective, effective_location, missing_field, missing_in_container};
use crate::controls::common::pod_evaluator;

/// How VG-W009 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let who = describe_container(&container);
        let user = effective(pod, &container, "runAsUser");
        let non_root = effective(pod, &container, "runAsNonRoot");
        let user_id = user.and_then(|(v, _)| v.as_i64());
        let user_ok = match user_id {
            Some(id) => id > 0,
            None => non_root.is_some_and(|(v, _)| v.is_true()),
        };
        if !user_ok {
            let (path, pos, message) = match (user, non_root) {
                (Some((v, level)), _) if user_id.is_some() => {
                    let (path, pos) = effective_location(pod, &container, level, "runAsUser");
                    (
                        path,
                        pos,
                        format!("{who} runs as user {}", v.display_value()),
                    )
                }
                (_, Some((v, level))) => {
                    let (path, pos) = effective_location(pod, &container, level, "runAsNonRoot");
                    (
                        path,
                        pos,
                        format!("{who} sets runAsNonRoot {}", v.display_value()),
                    )
                }
                _ => {
                    let (path, pos) = missing_in_container(pod, &container, "runAsNonRoot");
                    (
                        path,
                        pos,
                        format!("{who} sets neither runAsNonRoot nor a non-zero runAsUser"),
                    )
                }
            };
            out.push(Violation::new(path, pos, message));
        }
        match effective(pod, &container, "runAsGroup") {
            Some((v, _)) if v.as_i64().is_some_and(|g| g > 0) => {}
            Some((v, level)) => {
                let (path, pos) = effective_location(pod, &container, level, "runAsGroup");
                out.push(Violation::new(
                    path,
                    pos,
                    format!("{who} runs as group {}", v.display_value()),
                ));
            }
            None => {
                out.push(missing_field(
                    pod,
                    &container,
                    "runAsGroup",
                    format!(
                        "{who} sets no runAsGroup: it runs as the image's group, root by default"
                    ),
                ));
            }
        }
    }
}
