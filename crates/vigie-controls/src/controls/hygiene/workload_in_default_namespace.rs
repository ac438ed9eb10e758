//! ## What it does
//! Flags workloads deployed to the `default` namespace, or with no namespace at
//! all (which lands them in `default`, or in whatever namespace the deploying
//! context points at). Workloads are every kind that carries a pod template,
//! PodTemplates and ReplicationControllers included; other namespaced objects
//! are VG-H002's.
//!
//! ## Why is this bad
//! Namespaces are where RBAC, NetworkPolicies, quotas and Pod Security levels
//! attach. Workloads in `default` share it with everything else nobody placed
//! deliberately, so none of those boundaries can be drawn around them.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   name: web      # flagged: no namespace
//! ```
//! Use instead: a namespace per application or team, set in the manifest.
//!
//! ## References
//! Kubescape C-0061, C-0212; CIS 5.7.4; NSA/CISA "Namespaces".

use super::super::prelude::*;
use super::default_namespace::check_namespace;
use crate::controls::common::is_workload;

/// How VG-H001 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_workload,
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    check_namespace(resource, out);
}
