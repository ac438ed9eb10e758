//! ## What it does
//! Flags containers whose image comes from a registry that is not trusted. When
//! an allow-list is configured (`allowedRegistries`), it alone decides: images
//! from elsewhere are flagged. Without one, images from registries listed as
//! untrusted (`untrustedRegistries`) or public (`publicRegistries`: Docker Hub,
//! Quay, GitHub's registry by default) are flagged. Short Docker Hub names
//! (`nginx`) count as `docker.io`; registries are prefixes (`gcr.io`,
//! `registry.example.com/team/`).
//!
//! ## Why is this bad
//! Images from registries the organisation does not control escape its
//! scanning, signing and retention policies, and can change or disappear under
//! it. Public registries host anyone's images: typo-squats, abandoned images with
//! known vulnerabilities, tags that are re-pushed.
//!
//! ## Example
//! ```yaml
//! image: quay.io/someone/tool:1   # flagged: public registry
//! ```
//! Use instead: mirror the images you need into the organisation's registry,
//! and list it in `allowedRegistries`.
//!
//! ## References
//! Kubescape C-0078, C-0001; CIS 5.5.1; NSA/CISA "Supply chain: image
//! scanning"; MITRE ATT&CK T1525 (Implant Internal Image), T1195.002
//! (Compromise Software Supply Chain).

use super::super::prelude::*;
use super::helpers::{from_registry, judge_images};
use crate::controls::common::pod_evaluator;

/// How VG-W026 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Why `image` is not trusted, if it is not.
fn distrust(image: &str, config: &Config) -> Option<String> {
    if !config.allowed_registries.is_empty() {
        return from_registry(image, &config.allowed_registries)
            .is_none()
            .then(|| "from a registry outside the allow-list".to_string());
    }
    if let Some(registry) = from_registry(image, &config.untrusted_registries) {
        return Some(format!("from the untrusted registry {registry}"));
    }
    from_registry(image, &config.public_registries)
        .map(|registry| format!("from the public registry {registry}"))
}

fn evaluate(pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |_, image| {
        distrust(image, config).map(|why| ("image", format!("uses image {image}, {why}")))
    });
}
