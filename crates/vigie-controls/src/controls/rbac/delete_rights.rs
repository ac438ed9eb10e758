//! ## What it does
//! Flags subjects that a binding lets delete workloads, Services or Secrets:
//! `delete` or `deletecollection` on pods, deployments, replicasets,
//! daemonsets, statefulsets, jobs, cronjobs, services or secrets.
//!
//! ## Why is this bad
//! Deleting is the shortest path to an outage or to destroying evidence: a
//! stolen credential with these rights takes down the applications, or removes
//! the Secrets they need to start again. Few subjects need them outside a
//! deployment pipeline.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [apps], resources: [deployments], verbs: [delete]}   # flagged when bound
//! ```
//! Use instead: let the deployment pipeline delete; give people read and
//! update rights.
//!
//! ## References
//! Kubescape C-0007; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1485 (Data Destruction).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R029",
    title: "Subject can delete workloads, Services or Secrets",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0007"],
        cis: &[],
        nsa: &["Authentication and authorization"],
        mitre: &["T1485"],
    },
    remediation: "Remove delete and deletecollection from the role; leave deletions to the deployment pipeline.",
    doc: include_str!("delete_rights.rs"),
    evaluator: Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate,
    },
};

/// The resources whose deletion breaks applications, by API group.
const DELETABLE: &[(&str, &[&str])] = &[
    ("", &["pods", "services", "secrets"]),
    (
        "apps",
        &["deployments", "replicasets", "daemonsets", "statefulsets"],
    ),
    ("batch", &["jobs", "cronjobs"]),
];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| {
            DELETABLE.iter().any(|(group, resources)| {
                rule_allows(rule, &[group], resources, &["delete", "deletecollection"])
            })
        },
        "delete workloads, Services or Secrets",
    );
}
