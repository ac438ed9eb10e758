//! ## What it does
//! Flags workloads that mount the token of a service account that can take
//! over the cluster: a binding gives the account (or a group it belongs to)
//! the right to create or change workloads (`create`, `update`, `patch` on
//! pods, deployments, daemonsets, replicasets, statefulsets, jobs, cronjobs)
//! or to read Secrets (`get`, `list`, `watch`).
//!
//! ## Why is this bad
//! With the token, an intruder in the workload starts pods of their own,
//! privileged or mounting any service account, or reads the tokens and
//! credentials stored in Secrets: either leads to the most powerful identity
//! in reach, and from there to the cluster.
//!
//! ## Example
//! ```yaml
//! kind: Role
//! rules:
//! - {apiGroups: [""], resources: [secrets], verbs: [list]}   # a workload whose account is bound to it is flagged
//! ```
//! Use instead: keep workload creation and Secret reads out of the roles of
//! application service accounts; mount no token where none is needed.
//!
//! ## References
//! Kubescape C-0267; CIS 5.1.2, 5.1.4; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1528 (Steal Application Access Token).

use super::super::prelude::*;
use super::model::rule_allows;
use super::workload_grants::{report_workload_grants, WORKLOADS_AND_RBAC};

/// How VG-R033 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: WORKLOADS_AND_RBAC,
    evaluate,
};

/// Workload kinds by API group: creating or changing any of them runs code.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("", &["pods"]),
    (
        "apps",
        &["deployments", "daemonsets", "replicasets", "statefulsets"],
    ),
    ("batch", &["jobs", "cronjobs"]),
];

/// Whether a rule lets its holder run code or read credentials.
fn takes_over(rule: &Node) -> bool {
    WORKLOADS.iter().any(|(group, resources)| {
        rule_allows(rule, &[group], resources, &["create", "update", "patch"])
    }) || rule_allows(rule, &[""], &["secrets"], &["get", "list", "watch"])
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_workload_grants(
        inventory,
        out,
        takes_over,
        "create or change workloads or read Secrets",
    );
}
