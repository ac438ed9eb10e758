//! ## What it does
//! Flags containers with no `readinessProbe`.
//!
//! ## Why is this bad
//! Without a readiness probe, a pod receives traffic as soon as its process
//! starts, before it can serve, and keeps receiving it while it is overloaded or
//! cut from its dependencies: users see the errors a probe would have hidden.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: api
//!   image: example/api:1   # flagged: no readinessProbe
//! ```
//! Use instead: a `readinessProbe` that checks the container can serve a request.
//!
//! ## References
//! Kubescape C-0018; NSA/CISA "Logging and threat detection"; MITRE ATT&CK T1499
//! (Endpoint Denial of Service).

use super::super::prelude::*;
use super::helpers::missing_probe;
use crate::controls::common::pod_evaluator;

/// How VG-W023 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    missing_probe(pod, "readinessProbe", out);
}
