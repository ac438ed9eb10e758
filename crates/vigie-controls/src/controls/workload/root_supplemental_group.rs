//! ## What it does
//! Flags pods that list group 0 (root) in `securityContext.supplementalGroups`.
//!
//! ## Why is this bad
//! Every process of the pod then belongs to the root group, and may read or
//! write whatever the image and the node's mounts make group-accessible to root:
//! it undoes a careful non-root `runAsUser`/`runAsGroup`.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   supplementalGroups: [0]   # flagged
//! ```
//! Use instead: non-zero groups only, and only those the application needs.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W017 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let groups = pod
        .security_context()
        .and_then(|sc| sc.get("supplementalGroups"))
        .map(Node::items)
        .unwrap_or(&[]);
    for (i, group) in groups.iter().enumerate() {
        if group.as_i64() == Some(0) {
            out.push(Violation::new(
                pod.spec_path(&format!("securityContext.supplementalGroups[{i}]")),
                group.pos,
                "the pod adds its processes to the root group (supplementalGroups 0)",
            ));
        }
    }
}
