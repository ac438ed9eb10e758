//! ## What it does
//! Flags Deployments whose update strategy is `Recreate`.
//!
//! ## Why is this bad
//! `Recreate` stops every pod before starting the new ones: each rollout, and
//! each security patch, is an outage, which pushes teams to delay updates.
//!
//! ## Example
//! ```yaml
//! spec:
//!   strategy: {type: Recreate}   # flagged
//! ```
//! Use instead: `RollingUpdate` (the default), with `maxUnavailable` and
//! `maxSurge` suited to the service.
//!
//! ## References
//! Kubescape C-0305; NSA/CISA "Upgrading and application security practices";
//! MITRE ATT&CK T1499 (Endpoint Denial of Service).

use super::super::prelude::*;

/// How VG-W035 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Deployment",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let Some(strategy) = resource.root.get_path(&["spec", "strategy"]) else {
        return;
    };
    let Some(kind) = strategy.get("type") else {
        return;
    };
    if kind.as_str() == Some("Recreate") {
        out.push(Violation::new(
            "spec.strategy.type",
            key_pos(strategy, "type"),
            format!(
                "Deployment {} replaces all its pods at once (strategy Recreate)",
                resource.name
            ),
        ));
    }
}
