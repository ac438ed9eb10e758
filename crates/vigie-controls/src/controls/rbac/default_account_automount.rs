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

pub(crate) const CONTROL: Control = Control {
    id: "VG-R019",
    title: "Default service account mounts its token",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0189", "C-0225"],
        cis: &["5.1.5"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1528"],
    },
    remediation:
        "Set automountServiceAccountToken: false on the default ServiceAccount of every namespace.",
    doc: include_str!("default_account_automount.rs"),
    evaluator: Evaluator::Object {
        applies: |r| r.kind == "ServiceAccount" && r.name == "default",
        evaluate,
    },
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
