//! ## What it does
//! Flags the group `system:authenticated` when a binding gives it a role that
//! touches workloads, pods and their exec/attach/port-forward subresources,
//! nodes or Secrets.
//!
//! ## Why is this bad
//! `system:authenticated` holds every identity the cluster accepts: every
//! service account of every namespace and, on managed clusters, often any
//! account of the cloud provider. A permission on workloads or Secrets granted
//! to it is granted to the least trusted pod of the cluster.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: pod-reader}
//! subjects:
//! - {kind: Group, name: "system:authenticated"}   # flagged
//! ```
//! Use instead: bind named groups or service accounts.
//!
//! ## References
//! Kubescape C-0265; NSA/CISA "Authentication and authorization"; MITRE ATT&CK
//! T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::{grants_evaluator, list_matches};

/// How VG-R016 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = grants_evaluator!(
    |_, subject| subject.kind == "Group" && subject.name == "system:authenticated",
    |rule| list_matches(rule, "resources", SENSITIVE),
    "reach workloads, nodes or Secrets",
);

/// Resources whose access lets a subject run code, read credentials or reach nodes.
const SENSITIVE: &[&str] = &[
    "pods",
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "nodes",
    "secrets",
];
