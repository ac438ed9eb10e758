//! ## What it does
//! Lists every ValidatingWebhookConfiguration that declares webhooks, for
//! review: each webhook names a service or URL that the API server calls with
//! the objects it admits.
//!
//! ## Why is this bad
//! A validating webhook receives the full content of the objects it matches,
//! Secrets included, and can block their creation. A webhook planted by an
//! intruder harvests credentials; a broken one with `failurePolicy: Fail`
//! blocks deployments. Each should be known and owned.
//!
//! ## Example
//! ```yaml
//! kind: ValidatingWebhookConfiguration
//! metadata: {name: policy.example.com}   # listed for review
//! ```
//! Use instead: keep an inventory of expected webhooks and raise an exception
//! for each reviewed one.
//!
//! ## References
//! Kubescape C-0036; NSA/CISA "Threat detection"; MITRE ATT&CK T1552
//! (Unsecured Credentials).

use super::super::prelude::*;

/// How VG-R024 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "ValidatingWebhookConfiguration",
    evaluate: list_webhook_targets,
};

/// Lists where a webhook configuration (validating or mutating) sends the
/// objects it admits, as one finding on its `webhooks`.
pub(crate) fn list_webhook_targets(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let webhooks = resource.root.get("webhooks");
    let targets: Vec<String> = webhooks
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(|hook| {
            let config = hook.get("clientConfig").unwrap_or(Node::null());
            match (
                config.get("url").and_then(Node::as_str),
                config.get_path(&["service", "name"]).and_then(Node::as_str),
            ) {
                (Some(url), _) => url.to_string(),
                (None, Some(service)) => {
                    let ns = config
                        .get_path(&["service", "namespace"])
                        .and_then(Node::as_str)
                        .unwrap_or("default");
                    format!("service {ns}/{service}")
                }
                (None, None) => "an unnamed endpoint".to_string(),
            }
        })
        .collect();
    // A configuration without webhooks calls nothing: nothing to review.
    if targets.is_empty() {
        return;
    }
    out.push(Violation::new(
        "webhooks",
        key_pos(&resource.root, "webhooks"),
        format!(
            "{} {} sends admitted objects to {}",
            resource.kind,
            resource.name,
            targets.join(", ")
        ),
    ));
}
