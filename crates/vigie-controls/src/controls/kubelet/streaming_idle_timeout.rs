//! ## What it does
//! Flags a `KubeletConfiguration` whose `streamingConnectionIdleTimeout` is
//! zero (`0`, `0s`). Left out, it is four hours.
//!
//! ## Why is this bad
//! A zero timeout never closes an idle `exec`, `attach` or `port-forward`
//! stream: forgotten sessions stay open into containers, and open streams
//! exhaust the node's connections.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! streamingConnectionIdleTimeout: 0s   # flagged
//! ```
//! Use instead: `streamingConnectionIdleTimeout: 5m`.
//!
//! ## References
//! Kubescape C-0176; CIS 4.2.5.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, is_zero_duration, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K005",
    title: "Kubelet never closes idle streaming connections",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0176"],
        cis: &["4.2.5"],
        nsa: &[],
        mitre: &[],
    },
    remediation:
        "Set streamingConnectionIdleTimeout to a duration such as 5m in the KubeletConfiguration.",
    doc: include_str!("streaming_idle_timeout.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "streamingConnectionIdleTimeout");
    let zero = match setting.value {
        Some(value) => value.as_i64() == Some(0) || value.as_str().is_some_and(is_zero_duration),
        None => false,
    };
    if zero {
        out.push(setting.violation(
            "streamingConnectionIdleTimeout is zero: idle exec, attach and port-forward streams are never closed",
        ));
    }
}
