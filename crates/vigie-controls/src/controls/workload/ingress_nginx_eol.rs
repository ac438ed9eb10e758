//! ## What it does
//! Flags workloads running the community ingress-nginx controller
//! (`registry.k8s.io/ingress-nginx/controller`, or its former `k8s.gcr.io`
//! home), which the Kubernetes project retires in March 2026.
//!
//! ## Why is this bad
//! After its end of life the controller gets no security fixes, and it sits on
//! the cluster's edge, parsing untrusted traffic and, through annotations,
//! generating its own configuration: the place where an unpatched vulnerability
//! hurts most.
//!
//! ## Example
//! ```yaml
//! image: registry.k8s.io/ingress-nginx/controller:v1.8.0   # flagged
//! ```
//! Use instead: plan a migration to a maintained controller (Gateway API
//! implementations, or a vendor-supported NGINX controller).
//!
//! ## References
//! Kubescape C-0292; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1190 (Exploit Public-Facing Application).

use super::super::prelude::*;
use super::helpers::{judge_images, ImageRef};
use crate::controls::common::pod_evaluator;

/// How VG-W030 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// The community project's images, in either of its registries or a mirror
/// that keeps the `ingress-nginx/controller` path.
fn is_community_ingress_nginx(image: &str) -> bool {
    let reference = ImageRef::parse(image);
    reference.repository.contains("ingress-nginx/controller")
        || (matches!(reference.registry, Some("registry.k8s.io" | "k8s.gcr.io"))
            && reference.repository.starts_with("ingress-nginx/"))
}

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |_, image| {
        is_community_ingress_nginx(image).then(|| {
            let words = format!(
                "runs the community ingress-nginx controller ({image}), end of life in March 2026"
            );
            ("image", words)
        })
    });
}
