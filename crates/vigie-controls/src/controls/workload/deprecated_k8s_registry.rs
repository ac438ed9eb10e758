//! ## What it does
//! Flags containers whose image comes from `k8s.gcr.io`, the Kubernetes
//! project's former registry, frozen since April 2023.
//!
//! ## Why is this bad
//! The old registry receives no new images, so nothing pulled from it gets
//! security fixes, and it is being wound down: pulls will eventually fail.
//!
//! ## Example
//! ```yaml
//! image: k8s.gcr.io/pause:3.2   # flagged
//! ```
//! Use instead: the same image from `registry.k8s.io`, at a current version.
//!
//! ## References
//! Kubescape C-0253; CIS 5.5.1; NSA/CISA "Supply chain"; MITRE ATT&CK T1525
//! (Implant Internal Image).

use super::super::prelude::*;
use super::helpers::{judge_images, ImageRef};
use crate::controls::common::pod_evaluator;

/// How VG-W027 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |_, image| {
        let registry = ImageRef::parse(image).registry;
        // Regional mirrors (eu.gcr.io/k8s-artifacts-prod) are not the same registry.
        registry
            .is_some_and(|r| r.eq_ignore_ascii_case("k8s.gcr.io"))
            .then(|| {
                (
                    "image",
                    format!("uses image {image} from the frozen k8s.gcr.io registry"),
                )
            })
    });
}
