//! ## What it does
//! Flags a `KubeletConfiguration` whose `eventRecordQPS` is `0` or less. Left
//! out, it is 50 events per second.
//!
//! ## Why is this bad
//! `0` takes the limit off the events the kubelet creates: a crash-looping pod
//! or a flood of probe failures then floods the API server and etcd with
//! events, and the ones that matter are lost among them. The limit must stay
//! high enough to keep security-relevant events, and be a limit.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! eventRecordQPS: 0   # flagged: unlimited
//! ```
//! Use instead: `eventRecordQPS: 50` (the default) or a value sized for the node.
//!
//! ## References
//! Kubescape C-0180; CIS 4.2.8; MITRE ATT&CK T1499.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K008",
    title: "Kubelet records events without a rate limit",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0180"],
        cis: &["4.2.8"],
        nsa: &[],
        mitre: &["T1499"],
    },
    remediation: "Set eventRecordQPS to a positive rate (50, the default, or one sized for the node) in the KubeletConfiguration.",
    doc: include_str!("event_record_qps.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "eventRecordQPS");
    if let Some(qps) = setting.as_i64().filter(|&qps| qps <= 0) {
        out.push(setting.violation(format!(
            "eventRecordQPS is {qps}: the kubelet creates events without a rate limit"
        )));
    }
}
