//! ## What it does
//! Flags workloads that carry none of the recommended labels
//! (`recommendedLabels`: `app`, `tier`, `phase`, `version`, `owner`, `env` by
//! default), on the object or on its pod template.
//!
//! ## Why is this bad
//! Labels are how NetworkPolicies, Services, quotas, cost reports and incident
//! responders find a workload and its owner. An unlabelled workload escapes
//! policies written by label and leaves nobody to call.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   name: worker   # flagged: no labels
//! ```
//! Use instead: `labels: {app: worker, owner: payments}` on the object and its
//! pod template.
//!
//! ## References
//! Kubescape C-0076; NSA/CISA "Namespaces"; MITRE ATT&CK T1036 (Masquerading).

use super::super::prelude::*;
use super::helpers::missing_labels;
use crate::controls::common::is_workload;

/// How VG-W036 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_workload,
    evaluate,
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    missing_labels(resource, &config.recommended_labels, out);
}
