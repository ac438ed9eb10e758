//! ## What it does
//! Flags containers whose image has a moving tag (`latest`, no tag at all, or a
//! tag listed in `floatingImageTags`) while `imagePullPolicy` is explicitly
//! `IfNotPresent` or `Never`.
//!
//! ## Why is this bad
//! With a moving tag and no pull, each node runs whatever version it happened to
//! pull first: pods of the same workload run different code, security fixes
//! pushed under the tag never arrive, and a rollback cannot be told apart from
//! the broken version.
//!
//! ## Example
//! ```yaml
//! image: example/app:latest
//! imagePullPolicy: IfNotPresent   # flagged
//! ```
//! Use instead: a fixed version tag or a digest (best), or
//! `imagePullPolicy: Always`.
//!
//! ## References
//! Kubescape C-0075; CIS 5.5.1; NSA/CISA "Supply chain"; MITRE ATT&CK T1525
//! (Implant Internal Image).

use super::super::prelude::*;
use super::helpers::{judge_images, ImageRef};
use crate::controls::common::pod_evaluator;

/// How VG-W029 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |container, image| {
        let policy = container.node.get("imagePullPolicy").and_then(Node::as_str);
        let Some(policy @ ("IfNotPresent" | "Never")) = policy else {
            return None;
        };
        let reference = ImageRef::parse(image);
        let moving = match (reference.tag, reference.digest) {
            (_, Some(_)) => None,
            (None, None) => Some("no tag (latest)".to_string()),
            (Some("latest"), None) => Some("the latest tag".to_string()),
            (Some(tag), None) if config.floating_image_tags.iter().any(|t| t == tag) => {
                Some(format!("the floating tag {tag}"))
            }
            _ => None,
        };
        moving.map(|moving| {
            (
                "imagePullPolicy",
                format!("uses image {image} with {moving} but imagePullPolicy {policy}"),
            )
        })
    });
}
