//! ## What it does
//! Lists every CronJob that is not suspended (`suspend: true`), for review.
//!
//! ## Why is this bad
//! A CronJob runs pods on a schedule without anyone deploying them again: an
//! intruder who can create one gets code that keeps coming back after the
//! original foothold is cleaned up. Each CronJob should be known and owned.
//!
//! ## Example
//! ```yaml
//! kind: CronJob
//! metadata: {name: nightly-report}   # listed
//! ```
//! Use instead: record reviewed CronJobs as exceptions; restrict who may create
//! CronJobs through RBAC.
//!
//! ## References
//! Kubescape C-0026; NSA/CISA "Threat detection"; MITRE ATT&CK T1053.007
//! (Container Orchestration Job).

use super::super::prelude::*;
use crate::controls::common::object_field;

/// How VG-W054 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "CronJob",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    // A suspended CronJob starts nothing until someone resumes it.
    if resource
        .root
        .get_path(&["spec", "suspend"])
        .is_some_and(Node::is_true)
    {
        return;
    }
    let schedule = resource
        .root
        .get_path(&["spec", "schedule"])
        .map(|s| s.as_str().map_or_else(|| s.display_value(), str::to_string))
        .unwrap_or_else(|| "no schedule".to_string());
    out.push(object_field(
        resource,
        "spec",
        "schedule",
        format!(
            "CronJob {} runs pods on schedule \"{schedule}\"",
            resource.name
        ),
    ));
}
