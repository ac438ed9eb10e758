//! ## What it does
//! Flags subjects that a ClusterRoleBinding gives administrative power over the
//! whole cluster: a ClusterRole granting every verb on every resource, such as
//! the built-in `cluster-admin`. (VG-R001 also flags namespace administrators
//! made through RoleBindings; this control singles out the cluster-wide ones.)
//!
//! ## Why is this bad
//! Bound cluster-wide, `cluster-admin` controls every namespace, every node and
//! the RBAC configuration itself. CIS asks that it be bound only where strictly
//! required, so each such binding deserves a named owner and a reason.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: cluster-admin}
//! subjects:
//! - {kind: Group, name: ops}   # flagged
//! ```
//! Use instead: a RoleBinding to `admin` or `edit` in the namespaces the group
//! operates, and a ClusterRole listing the cluster-scoped resources it needs.
//!
//! ## References
//! Kubescape C-0185; CIS 5.1.1; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use super::model::{grants_evaluator, list_matches};

/// How VG-R014 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = grants_evaluator!(
    |binding, _| binding.kind == "ClusterRoleBinding",
    |rule| {
        list_matches(rule, "apiGroups", &[""])
            && list_matches(rule, "resources", &[])
            && list_matches(rule, "verbs", &[])
    },
    "do anything anywhere in the cluster",
);
