//! ## What it does
//! Flags containers that set no memory request or no memory limit, or whose
//! request or limit falls outside the configured bounds (`memoryRequestMin`,
//! `memoryRequestMax`, `memoryLimitMin`, `memoryLimitMax`; unbounded by default).
//!
//! ## Why is this bad
//! Without a request the scheduler overcommits the node; without a limit a leak
//! in one container drives the node out of memory, and the kernel's OOM killer
//! then picks victims among every pod on it.
//!
//! ## Example
//! ```yaml
//! resources:
//!   requests: {memory: 64Mi}   # flagged: no memory limit
//! ```
//! Use instead: `requests: {memory: 64Mi}` and `limits: {memory: 128Mi}`.
//!
//! ## References
//! Kubescape C-0004, C-0269, C-0271, C-0009; NSA/CISA "Pod security: resource
//! policies"; MITRE ATT&CK T1499 (Endpoint Denial of Service).

use super::super::prelude::*;
use super::helpers::check_resource;
use crate::controls::common::{is_workload, workload_pod};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W025",
    title: "Memory request or limit missing or out of bounds",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0004", "C-0269", "C-0271", "C-0009"],
        cis: &[],
        nsa: &["Pod security"],
        mitre: &["T1499"],
    },
    remediation: "Set resources.requests.memory and resources.limits.memory on every container, within the configured bounds.",
    doc: include_str!("memory_resources.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    if let Some(pod) = workload_pod(resource) {
        check_resource(
            &pod,
            "memory",
            [
                (&config.memory_request_min, &config.memory_request_max),
                (&config.memory_limit_min, &config.memory_limit_max),
            ],
            out,
        );
    }
}
