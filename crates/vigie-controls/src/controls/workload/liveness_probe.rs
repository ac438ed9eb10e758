//! ## What it does
//! Flags containers with no `livenessProbe`.
//!
//! ## Why is this bad
//! Without a liveness probe, a container that deadlocks or stops serving while
//! its process stays up is never restarted: the failure lasts until someone
//! notices.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: api
//!   image: example/api:1   # flagged: no livenessProbe
//! ```
//! Use instead: a `livenessProbe` (HTTP, TCP, gRPC or exec) that fails only when
//! a restart would help.
//!
//! ## References
//! Kubescape C-0056; NSA/CISA "Logging and threat detection"; MITRE ATT&CK T1499
//! (Endpoint Denial of Service).

use super::super::prelude::*;
use super::helpers::missing_probe;
use crate::controls::common::pod_evaluator;

/// How VG-W022 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    missing_probe(pod, "livenessProbe", out);
}
