//! ## What it does
//! Flags containers of Agent Sandbox `SandboxTemplate`s whose image does not
//! come from a registry of the `allowedRegistries` setting (when it lists
//! any). A registry matches up to a path boundary: `gcr.io` does not admit
//! `gcr.io:5000/...` nor `gcr.io.example.com/...`.
//!
//! ## Why is this bad
//! A sandbox image runs untrusted code next to the tools an agent is given;
//! pulled from an unvetted registry, the image itself can carry an implant,
//! and nothing in the sandbox will notice.
//!
//! ## Example
//! ```yaml
//! kind: SandboxTemplate
//! spec:
//!   podTemplate:
//!     spec:
//!       containers:
//!       - {name: runtime, image: untrusted.example.com/agent:1}   # flagged
//! ```
//! Use instead: images from the approved registries, or add the registry to
//! `allowedRegistries` after review.
//!
//! ## References
//! Kubescape C-0304; NSA/CISA "Supply chain"; MITRE ATT&CK T1525 (Implant
//! Internal Image).

use super::super::prelude::*;
use super::helpers::{from_registry, judge_images};
use super::sandbox::is_sandbox_template;
use crate::controls::common::object_pod_evaluator;

/// How VG-W062 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = object_pod_evaluator!(is_sandbox_template, evaluate);

fn evaluate(resource: &Resource, pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    if config.allowed_registries.is_empty() {
        return;
    }
    judge_images(pod, out, |_, image| {
        from_registry(image, &config.allowed_registries)
            .is_none()
            .then(|| {
                let words = format!(
                    "of SandboxTemplate {} runs {image}, from a registry not in allowedRegistries",
                    resource.name
                );
                ("image", words)
            })
    });
}
