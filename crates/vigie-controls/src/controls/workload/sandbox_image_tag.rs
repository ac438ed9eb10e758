//! ## What it does
//! Flags containers of Agent Sandbox `SandboxTemplate`s whose image is not
//! pinned: no tag and no digest, `:latest`, or a tag of the
//! `floatingImageTags` setting (`dev`, `nightly`...). A digest always pins.
//!
//! ## Why is this bad
//! Every sandbox started from the template pulls whatever the moving tag
//! points to at that moment: a pushed or hijacked tag changes the code all
//! new sandboxes run, with no change to the template to review.
//!
//! ## Example
//! ```yaml
//! containers:
//! - {name: runtime, image: gcr.io/project/agent:latest}   # flagged
//! ```
//! Use instead: a version tag (`:1.4.2`) or a digest (`@sha256:...`).
//!
//! ## References
//! Kubescape C-0304; NSA/CISA "Supply chain"; MITRE ATT&CK T1525 (Implant
//! Internal Image).

use super::super::prelude::*;
use super::helpers::{judge_images, ImageRef};
use super::sandbox::is_sandbox_template;
use crate::controls::common::object_pod_evaluator;

/// How VG-W063 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = object_pod_evaluator!(is_sandbox_template, evaluate);

fn evaluate(resource: &Resource, pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |_, image| {
        let reference = ImageRef::parse(image);
        if reference.digest.is_some() {
            return None;
        }
        let why = match reference.tag {
            None => "has no tag".to_string(),
            Some("latest") => "uses the moving tag latest".to_string(),
            Some(tag) if config.floating_image_tags.iter().any(|t| t == tag) => {
                format!("uses the floating tag {tag}")
            }
            Some(_) => return None,
        };
        let words = format!(
            "of SandboxTemplate {} runs {image}, which {why}",
            resource.name
        );
        Some(("image", words))
    });
}
