//! ## What it does
//! Flags a `KubeletConfiguration` whose `protectKernelDefaults` is not `true`
//! (it defaults to `false`).
//!
//! ## Why is this bad
//! With the protection on, the kubelet refuses to start when the node's kernel
//! parameters differ from what it expects, instead of changing them: a node
//! whose tuned parameters (panics on oops, overcommit) were overridden by the
//! kubelet behaves differently from the one its administrators hardened.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! protectKernelDefaults: false   # flagged (and so is leaving it out)
//! ```
//! Use instead: `protectKernelDefaults: true`, with the node's sysctls set to
//! the kubelet's values.
//!
//! ## References
//! Kubescape C-0177 (CIS 4.2.6 of benchmarks up to v1.23).

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K006",
    title: "Kubelet may override kernel parameters",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0177"],
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
    remediation: "Set protectKernelDefaults: true in the KubeletConfiguration after setting the node's kernel parameters to the kubelet's values.",
    doc: include_str!("protect_kernel_defaults.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "protectKernelDefaults");
    if setting.as_bool() != Some(true) {
        let state = setting.state("false");
        out.push(setting.violation(format!(
            "protectKernelDefaults {state}: the kubelet changes kernel parameters that differ from its own"
        )));
    }
}
