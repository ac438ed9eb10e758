//! ## What it does
//! Flags workloads that mount the token of a service account with
//! administrative rights: a binding gives the account (or a group it belongs
//! to) a role with every verb on every resource, as `cluster-admin` has.
//!
//! ## Why is this bad
//! Whoever gets code execution in one of the workload's containers reads the
//! token from the filesystem and holds the cluster: every Secret, every node
//! through privileged pods, and the power to grant anything else.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: cluster-admin}
//! subjects:
//! - {kind: ServiceAccount, name: ci, namespace: build}   # a Deployment running as build/ci is flagged
//! ```
//! Use instead: a role with the verbs and resources the workload needs, or
//! `automountServiceAccountToken: false` when it needs none.
//!
//! ## References
//! Kubescape C-0272; CIS 5.1.1; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1078.004 (Cloud Accounts), T1528 (Steal Application Access
//! Token).

use super::super::prelude::*;
use super::cluster_admin_binding::rule_allows_everything;
use super::workload_grants::{report_workload_grants, WORKLOADS_AND_RBAC};

/// How VG-R032 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: WORKLOADS_AND_RBAC,
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_workload_grants(inventory, out, rule_allows_everything, "do everything");
}
