//! ## What it does
//! Flags subjects that a binding lets request service account tokens (`create`
//! on `serviceaccounts/token` in the core group).
//!
//! ## Why is this bad
//! The TokenRequest API issues a token for any service account of the namespace
//! (of every namespace, through a ClusterRoleBinding). The subject then acts
//! with that account's permissions, controllers' accounts included.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}   # flagged when bound
//! ```
//! Use instead: let the kubelet request tokens for the pods it runs (projected
//! volumes); grant token creation only with `resourceNames`.
//!
//! ## References
//! Kubescape C-0282; CIS 5.1.13; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1528 (Steal Application Access Token).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R007",
    title: "Subject can create service account tokens",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0282"],
        cis: &["5.1.13"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1528"],
    },
    remediation: "Remove create on serviceaccounts/token, or restrict it to named accounts with resourceNames.",
    doc: include_str!("create_service_account_tokens.rs"),
    evaluator: Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| rule_allows(rule, &[""], &["serviceaccounts/token"], &["create"]),
        "create service account tokens",
    );
}
