//! ## What it does
//! Flags containers that set no CPU request or no CPU limit, or whose request or
//! limit falls outside the configured bounds (`cpuRequestMin`, `cpuRequestMax`,
//! `cpuLimitMin`, `cpuLimitMax`; unbounded by default).
//!
//! ## Why is this bad
//! Without a request the scheduler places the pod blind and the container is
//! first to be starved under contention; without a limit one container (or a
//! cryptominer in it) can take the node's CPU from every other pod.
//!
//! ## Example
//! ```yaml
//! resources:
//!   limits: {cpu: 500m}   # flagged: no CPU request
//! ```
//! Use instead: `requests: {cpu: 250m}` and `limits: {cpu: 500m}` sized from
//! observed use.
//!
//! ## References
//! Kubescape C-0050, C-0268, C-0270, C-0009; NSA/CISA "Pod security: resource
//! policies"; MITRE ATT&CK T1496 (Resource Hijacking), T1499 (Endpoint Denial of
//! Service).

use super::super::prelude::*;
use super::helpers::check_resource;
use crate::controls::common::{is_workload, workload_pod};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W024",
    title: "CPU request or limit missing or out of bounds",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0050", "C-0268", "C-0270", "C-0009"],
        cis: &[],
        nsa: &["Pod security"],
        mitre: &["T1496", "T1499"],
    },
    remediation: "Set resources.requests.cpu and resources.limits.cpu on every container, within the configured bounds.",
    doc: include_str!("cpu_resources.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    if let Some(pod) = workload_pod(resource) {
        check_resource(
            &pod,
            "cpu",
            [
                (&config.cpu_request_min, &config.cpu_request_max),
                (&config.cpu_limit_min, &config.cpu_limit_max),
            ],
            out,
        );
    }
}
