//! ## What it does
//! Flags Namespaces without a `pod-security.kubernetes.io/enforce` label when
//! the input shows no other admission policy engine (no admission webhook
//! matching namespaced objects, as Kyverno, Gatekeeper or Kubewarden register).
//!
//! ## Why is this bad
//! Without an enforcing admission policy, nothing stops a privileged pod, a
//! `hostPath` mount or a host-network pod from being created; every other
//! workload control in this list becomes advice.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata: {name: shop}   # flagged: no enforce label, no policy webhook
//! ```
//! Use instead:
//! ```yaml
//! metadata:
//!   name: shop
//!   labels: {pod-security.kubernetes.io/enforce: baseline}
//! ```
//!
//! ## References
//! Kubescape C-0192; CIS 5.2.1; NSA/CISA "Pod security"; MITRE ATT&CK T1610
//! (Deploy Container).

use super::super::prelude::*;
use super::pod_security_admission::{enforce_violation, ENFORCE_LABEL};
use crate::controls::common::{judge_namespaces, metadata_keys};

/// How VG-R025 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &[
        "Namespace",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let policy_engine = inventory
        .of_kind(&[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ])
        .any(|(_, config)| matches_namespaced_objects(config));
    judge_namespaces(inventory, out, |namespace| {
        // `enforce-version` alone pins a version of nothing; kept as a sign of intent.
        let labelled = metadata_keys(namespace, "labels").any(|key| key.starts_with(ENFORCE_LABEL));
        if policy_engine || labelled {
            return None;
        }
        Some(enforce_violation(
            namespace,
            format!(
                "Namespace {} has no {ENFORCE_LABEL} label and no policy webhook admits its pods",
                namespace.name
            ),
        ))
    });
}

/// Whether a webhook configuration has a rule for namespaced objects (a rule's
/// `scope` is `*` by default; only `Cluster` excludes them).
fn matches_namespaced_objects(config: &Resource) -> bool {
    list_of(&config.root, "webhooks")
        .iter()
        .flat_map(|hook| list_of(hook, "rules"))
        .any(|rule| rule.get("scope").and_then(Node::as_str) != Some("Cluster"))
}
