//! ## What it does
//! Flags Pods created directly, with no controller owning them (no
//! `metadata.ownerReferences`).
//!
//! ## Why is this bad
//! Nothing recreates a naked pod when its node fails or is drained, nothing rolls
//! it out again when its spec must change, and it cannot be scaled. In a manifest
//! it usually means a Deployment, Job or DaemonSet was meant.
//!
//! ## Example
//! ```yaml
//! kind: Pod
//! metadata: {name: web}   # flagged
//! ```
//! Use instead: a Deployment (or StatefulSet, DaemonSet, Job) with the pod as its
//! template.
//!
//! ## References
//! Kubescape C-0073; NSA/CISA "Pod security"; MITRE ATT&CK T1610 (Deploy
//! Container).

use super::super::prelude::*;

/// How VG-W034 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Pod",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let metadata = resource.root.get("metadata").unwrap_or(Node::null());
    let owned = metadata
        .get("ownerReferences")
        .is_some_and(|o| !o.items().is_empty());
    if !owned {
        out.push(Violation::new(
            "metadata",
            resource
                .root
                .entry("metadata")
                .map_or(resource.pos, |e| e.key_pos),
            format!("Pod {} has no owning controller", resource.name),
        ));
    }
}
