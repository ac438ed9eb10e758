//! ## What it does
//! Flags subjects that a binding lets approve certificate signing requests:
//! `update` on `certificatesigningrequests/approval` in `certificates.k8s.io`.
//!
//! ## Why is this bad
//! An approved CSR becomes a client certificate the API server trusts. With
//! approval rights (and `create` on CSRs, which many subjects have) a subject can
//! mint a certificate for any user or group, `system:masters` included, and
//! certificates cannot be revoked before they expire.
//!
//! ## Example
//! ```yaml
//! rules:
//! - apiGroups: [certificates.k8s.io]
//!   resources: [certificatesigningrequests/approval]
//!   verbs: [update]   # flagged when bound
//! ```
//! Use instead: leave approval to the controller manager's signers and to a
//! small set of audited administrators.
//!
//! ## References
//! Kubescape C-0280; CIS 5.1.11; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1649 (Steal or Forge Authentication Certificates).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R004",
    title: "Subject can approve certificate signing requests",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0280"],
        cis: &["5.1.11"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1649"],
    },
    remediation: "Remove update on certificatesigningrequests/approval from the role.",
    doc: include_str!("approve_csr.rs"),
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
                &["certificates.k8s.io"],
                &["certificatesigningrequests/approval"],
                &["update"],
            )
        },
        "approve certificate signing requests",
    );
}
