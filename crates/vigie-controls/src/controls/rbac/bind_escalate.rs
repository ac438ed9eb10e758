//! ## What it does
//! Flags subjects that a binding gives the `bind` or `escalate` verb on roles
//! or cluster roles (`rbac.authorization.k8s.io`, wildcards included).
//!
//! ## Why is this bad
//! RBAC normally stops a subject from granting permissions it does not hold.
//! `escalate` lifts that check when editing roles, `bind` when creating
//! bindings: either one lets the subject give itself, or anyone, every
//! permission of the cluster.
//!
//! ## Example
//! ```yaml
//! rules:
//! - apiGroups: [rbac.authorization.k8s.io]
//!   resources: [clusterroles]
//!   verbs: [bind, escalate]   # flagged when bound
//! ```
//! Use instead: let administrators create bindings; grant `bind` only with
//! `resourceNames` listing the roles a delegated admin may hand out.
//!
//! ## References
//! Kubescape C-0191; CIS 5.1.8; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1098 (Account Manipulation).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R005",
    title: "Subject can bind or escalate roles",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0191"],
        cis: &["5.1.8"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1098"],
    },
    remediation: "Remove the bind and escalate verbs on roles and clusterroles, or restrict bind with resourceNames.",
    doc: include_str!("bind_escalate.rs"),
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
                &["rbac.authorization.k8s.io"],
                &["roles", "clusterroles"],
                &["bind", "escalate"],
            )
        },
        "bind or escalate roles",
    );
}
