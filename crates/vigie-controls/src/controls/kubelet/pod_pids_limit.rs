//! ## What it does
//! Flags a `KubeletConfiguration` without a positive `podPidsLimit` (left out,
//! or `-1`: no limit).
//!
//! ## Why is this bad
//! Process IDs are shared by the whole node. Without a limit per pod, one
//! pod's fork bomb takes every PID, and the kubelet, the runtime and the
//! node's other pods can no longer start a process.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! podPidsLimit: -1   # flagged: unlimited
//! ```
//! Use instead: `podPidsLimit: 4096` (sized for the node's workloads).
//!
//! ## References
//! Kubescape C-0284; CIS 4.2.13; MITRE ATT&CK T1499.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K012",
    title: "Kubelet sets no limit on a pod's process IDs",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0284"],
        cis: &["4.2.13"],
        nsa: &[],
        mitre: &["T1499"],
    },
    remediation: "Set podPidsLimit to a positive number sized for the node's workloads (4096, say) in the KubeletConfiguration.",
    doc: include_str!("pod_pids_limit.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "podPidsLimit");
    match setting.as_i64() {
        Some(limit) if limit > 0 => {}
        Some(limit) => out.push(setting.violation(format!(
            "podPidsLimit is {limit}: a pod may take every process ID of the node"
        ))),
        None => out.push(
            setting
                .violation("podPidsLimit is not set: a pod may take every process ID of the node"),
        ),
    }
}
