//! ## What it does
//! Flags workloads whose pods get a service account token mounted: the pod spec
//! sets `automountServiceAccountToken: true`, or leaves it out while its service
//! account (when the input holds it) does not set it to `false`.
//!
//! ## Why is this bad
//! A mounted token is a credential for the API server sitting in the
//! container's file system. Most applications never call the API; for them the
//! token only serves an intruder who gets a shell or a file-read vulnerability.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! spec:
//!   template:
//!     spec:
//!       containers: [{name: web, image: web:1.4}]   # flagged: token mounted by default
//! ```
//! Use instead: `automountServiceAccountToken: false` in the pod spec (or on its
//! ServiceAccount); a projected token volume for the pods that call the API.
//!
//! ## References
//! Kubescape C-0034, C-0190; CIS 5.1.6; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1528 (Steal Application Access Token).

use super::super::prelude::*;
use super::service_accounts::{
    account_name, find_account, namespace_of, token_mount, WORKLOADS_AND_ACCOUNTS,
};
use crate::controls::common::judge_workload_pods;

/// How VG-R020 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: WORKLOADS_AND_ACCOUNTS,
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    judge_workload_pods(*inventory, out, |workload, pod| {
        let account = find_account(*inventory, account_name(&pod), namespace_of(workload));
        let mount = token_mount(workload, &pod, account)?;
        Some(Violation::new(
            mount.path,
            mount.pos,
            format!("{} {} {}", workload.kind, workload.name, mount.reason),
        ))
    });
}
