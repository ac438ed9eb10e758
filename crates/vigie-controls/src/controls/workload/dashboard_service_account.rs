//! ## What it does
//! Flags workloads that run as the `kubernetes-dashboard` service account.
//!
//! ## Why is this bad
//! The dashboard's service account is often bound to wide, even
//! cluster-admin, permissions so that the dashboard can show everything. Any
//! other workload using it inherits that power, and the dashboard itself is a
//! well-known target when exposed.
//!
//! ## Example
//! ```yaml
//! spec:
//!   serviceAccountName: kubernetes-dashboard   # flagged
//! ```
//! Use instead: a service account of the workload's own, bound to what it needs.
//!
//! ## References
//! Kubescape C-0014; NSA/CISA "Authentication and authorization"; MITRE ATT&CK
//! T1078.004 (Cloud Accounts), T1552.007 (Container API).

use super::super::prelude::*;
use super::helpers::pod_field;
use crate::controls::common::pod_evaluator;

/// How VG-W038 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

const DASHBOARD_ACCOUNT: &str = "kubernetes-dashboard";

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    // `serviceAccount` is the deprecated spelling, still honoured by the API.
    for field in ["serviceAccountName", "serviceAccount"] {
        if pod.spec().get(field).and_then(Node::as_str) == Some(DASHBOARD_ACCOUNT) {
            out.push(pod_field(
                pod,
                field,
                format!("the pod runs as the {DASHBOARD_ACCOUNT} service account"),
            ));
            return;
        }
    }
}
