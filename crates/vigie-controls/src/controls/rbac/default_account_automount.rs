//! ## What it does
//! Flags `default` ServiceAccounts that do not set
//! `automountServiceAccountToken: false`.
//!
//! ## Why is this bad
//! Pods that name no service account run as `default` and, unless the account
//! or the pod says otherwise, get its token mounted. Few of them call the API;
//! for the rest the token is only something to steal.
//!
//! ## Example
//! ```yaml
//! kind: ServiceAccount
//! metadata: {name: default, namespace: shop}   # flagged: automount not disabled
//! ```
//! Use instead:
//! ```yaml
//! kind: ServiceAccount
//! metadata: {name: default, namespace: shop}
//! automountServiceAccountToken: false
//! ```
//!
//! ## References
//! Kubescape C-0189, C-0225; CIS 5.1.5; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1528 (Steal Application Access Token).

use super::super::prelude::*;
use super::service_accounts::account_disables_automount;

/// How VG-R019 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "ServiceAccount" && r.name == "default",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if account_disables_automount(resource) {
        return;
    }
    let namespace = resource.namespace.as_deref().unwrap_or("default");
    out.push(match resource.root.get("automountServiceAccountToken") {
        Some(value) => Violation::new(
            "automountServiceAccountToken",
            key_pos(&resource.root, "automountServiceAccountToken"),
            format!(
                "default service account of namespace {namespace} sets automountServiceAccountToken: {}",
                value.display_value()
            ),
        ),
        None => Violation::new(
            "automountServiceAccountToken",
            resource.pos,
            format!(
                "default service account of namespace {namespace} does not set automountServiceAccountToken: false"
            ),
        ),
    });
}
