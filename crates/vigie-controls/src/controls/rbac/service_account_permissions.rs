//! ## What it does
//! Flags service accounts that a binding gives permissions, unless the
//! ServiceAccount object opts out of token automounting
//! (`automountServiceAccountToken: false`).
//!
//! ## Why is this bad
//! Every pod running as the account gets its token mounted by default. Whoever
//! compromises one of those pods reads the token from
//! `/var/run/secrets/kubernetes.io/serviceaccount` and acts with the account's
//! permissions against the API server.
//!
//! ## Example
//! ```yaml
//! kind: RoleBinding
//! roleRef: {kind: Role, name: deployer}
//! subjects:
//! - {kind: ServiceAccount, name: ci, namespace: build}   # flagged unless ci disables automount
//! ```
//! Use instead: `automountServiceAccountToken: false` on the ServiceAccount, and
//! a projected token only in the pods that call the API.
//!
//! ## References
//! Kubescape C-0053; CIS 5.1.6; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1528 (Steal Application Access Token).

use super::super::prelude::*;
use super::model::report_grants;
use super::service_accounts::{account_disables_automount, find_account};

/// How VG-R017 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &[
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ServiceAccount",
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, subject| {
            subject.kind == "ServiceAccount"
                && !find_account(
                    *inventory,
                    &subject.name,
                    subject.namespace.as_deref().unwrap_or("default"),
                )
                .is_some_and(account_disables_automount)
        },
        // Any rule: the account has permissions.
        |_| true,
        "use its permissions from any pod that mounts its token",
    );
}
