//! ## What it does
//! Flags subjects that a binding lets delete Kubernetes events (`delete` or
//! `deletecollection` on `events`, in the core or `events.k8s.io` group).
//!
//! ## Why is this bad
//! Events record what happened to objects: failed mounts, evictions, image
//! pulls, probes. An intruder who can delete them erases the trail an
//! investigator would follow.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [events], verbs: [delete]}   # flagged when bound
//! ```
//! Use instead: let events expire on their own (the API server's `--event-ttl`);
//! grant read access only.
//!
//! ## References
//! Kubescape C-0031; NSA/CISA "Audit logging and threat detection"; MITRE
//! ATT&CK T1070 (Indicator Removal).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R008",
    title: "Subject can delete events",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0031"],
        cis: &[],
        nsa: &["Audit logging and threat detection"],
        mitre: &["T1070"],
    },
    remediation: "Remove delete and deletecollection on events from the role.",
    doc: include_str!("delete_events.rs"),
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
                &["", "events.k8s.io"],
                &["events"],
                &["delete", "deletecollection"],
            )
        },
        "delete events",
    );
}
