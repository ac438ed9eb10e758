//! ## What it does
//! Flags workloads whose pod spec names a service account
//! (`serviceAccountName`) that is not among the input's ServiceAccounts of the
//! workload's namespace. `default` always exists.
//!
//! ## Why is this bad
//! The API server refuses to create pods for an account that does not exist, so
//! the workload never starts. Worse, whoever later creates an account of that
//! name, with whatever bindings, decides what the workload can do.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! metadata: {namespace: shop}
//! spec:
//!   template:
//!     spec:
//!       serviceAccountName: payments   # flagged: no ServiceAccount shop/payments
//! ```
//! Use instead: ship the ServiceAccount with the workload, in the same namespace.
//!
//! ## References
//! Kubescape C-0307; NSA/CISA "Authentication and authorization"; MITRE ATT&CK
//! T1078 (Valid Accounts).

use super::super::prelude::*;
use super::service_accounts::{find_account, namespace_of, WORKLOADS_AND_ACCOUNTS};
use crate::controls::common::judge_workload_pods;

/// How VG-R022 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: WORKLOADS_AND_ACCOUNTS,
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    judge_workload_pods(*inventory, out, |workload, pod| {
        let spec = pod.spec();
        let name = spec.get("serviceAccountName").and_then(Node::as_str)?;
        let namespace = namespace_of(workload);
        if name.is_empty()
            || name == "default"
            || find_account(*inventory, name, namespace).is_some()
        {
            return None;
        }
        Some(Violation::new(
            pod.spec_path("serviceAccountName"),
            key_pos(spec, "serviceAccountName"),
            format!(
                "{} {} runs as service account {name}, which namespace {namespace} does not hold",
                workload.kind, workload.name
            ),
        ))
    });
}
