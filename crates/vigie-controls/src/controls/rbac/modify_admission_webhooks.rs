//! ## What it does
//! Flags subjects that a binding lets create, update or delete admission
//! webhook configurations (`validatingwebhookconfigurations`,
//! `mutatingwebhookconfigurations` in `admissionregistration.k8s.io`).
//!
//! ## Why is this bad
//! Admission webhooks see, and mutating ones rewrite, every object sent to the
//! API server. Whoever edits them can switch off policy enforcement, or register
//! a webhook of their own that receives Secrets in clear and injects containers
//! into every pod.
//!
//! ## Example
//! ```yaml
//! rules:
//! - apiGroups: [admissionregistration.k8s.io]
//!   resources: [mutatingwebhookconfigurations]
//!   verbs: [create, update]   # flagged when bound
//! ```
//! Use instead: keep webhook configuration to the cluster's administrators and
//! to the one operator that owns each webhook, limited with `resourceNames`.
//!
//! ## References
//! Kubescape C-0281; CIS 5.1.12; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1562 (Impair Defenses).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R010",
    title: "Subject can modify admission webhooks",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0281"],
        cis: &["5.1.12"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1562"],
    },
    remediation: "Remove create, update and delete on webhook configurations, or restrict them with resourceNames.",
    doc: include_str!("modify_admission_webhooks.rs"),
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
                &["admissionregistration.k8s.io"],
                &[
                    "validatingwebhookconfigurations",
                    "mutatingwebhookconfigurations",
                ],
                &["create", "update", "patch", "delete"],
            )
        },
        "modify admission webhooks",
    );
}
