//! ## What it does
//! Flags workloads that carry none of the Kubernetes common labels
//! (`k8sRecommendedLabels`: `app.kubernetes.io/name`, `/instance`, `/version`,
//! `/component`, `/part-of`, `/managed-by`, `/created-by` by default), on the
//! object or on its pod template.
//!
//! ## Why is this bad
//! The `app.kubernetes.io/*` labels are what dashboards, Helm, service meshes and
//! security tools read to group objects into applications. Without them a
//! workload is an orphan to every tool that reasons about applications.
//!
//! ## Example
//! ```yaml
//! spec:
//!   template:
//!     metadata:
//!       labels: {app: web}   # flagged: no app.kubernetes.io/* label
//! ```
//! Use instead: `app.kubernetes.io/name: web` (and `instance`, `part-of`...).
//!
//! ## References
//! Kubescape C-0077; NSA/CISA "Namespaces"; MITRE ATT&CK T1036 (Masquerading).

use super::super::prelude::*;
use super::helpers::missing_labels;
use crate::controls::common::is_workload;

/// How VG-W037 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_workload,
    evaluate,
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    missing_labels(resource, &config.k8s_recommended_labels, out);
}
