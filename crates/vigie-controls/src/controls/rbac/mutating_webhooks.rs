//! ## What it does
//! Lists MutatingWebhookConfigurations and where they send admitted objects,
//! for review.
//!
//! ## Why is this bad
//! A mutating webhook rewrites every object it matches before it is stored:
//! an unknown one can add containers, mount host paths or swap images in every
//! pod, invisibly to the manifests in version control. Each should be known
//! and owned.
//!
//! ## Example
//! ```yaml
//! kind: MutatingWebhookConfiguration
//! webhooks:
//! - clientConfig: {url: "https://hooks.example.com/mutate"}   # listed
//! ```
//! Use instead: record reviewed webhooks as exceptions; restrict who may
//! create or change webhook configurations (VG-R010).
//!
//! ## References
//! Kubescape C-0039; NSA/CISA "Threat detection"; MITRE ATT&CK T1546
//! (Event Triggered Execution).

use super::super::prelude::*;
use super::validating_webhooks::list_webhook_targets;

/// How VG-R031 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "MutatingWebhookConfiguration",
    evaluate: list_webhook_targets,
};
