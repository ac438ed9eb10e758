//! ## What it does
//! Flags subjects that a binding lets impersonate others: `impersonate` on
//! `users`, `groups`, `serviceaccounts` or `uids`.
//!
//! ## Why is this bad
//! An impersonating request is authorised as the impersonated identity. A
//! subject that may impersonate users or groups can send requests as
//! `system:masters` or as any administrator, which makes every other RBAC
//! restriction on it moot.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [users, groups], verbs: [impersonate]}   # flagged when bound
//! ```
//! Use instead: give the subject the permissions it needs directly; keep
//! impersonation to audited break-glass tooling, limited with `resourceNames`.
//!
//! ## References
//! Kubescape C-0065, C-0191; CIS 5.1.8; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R009",
    title: "Subject can impersonate users, groups or service accounts",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0065", "C-0191"],
        cis: &["5.1.8"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation: "Remove the impersonate verb from the role.",
    doc: include_str!("impersonate.rs"),
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
        |rule| {
            rule_allows(
                rule,
                &[""],
                &["users", "groups", "serviceaccounts", "uids"],
                &["impersonate"],
            )
        },
        "impersonate other identities",
    );
}
