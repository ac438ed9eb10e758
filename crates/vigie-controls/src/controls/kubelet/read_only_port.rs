//! ## What it does
//! Flags a `KubeletConfiguration` whose `readOnlyPort` is not `0`. Left out,
//! it is `0` in a configuration file (the command line's `--read-only-port`
//! defaults to 10255, which configz then shows).
//!
//! ## Why is this bad
//! The read-only port answers without authentication or authorization: the
//! node's pods with their specs (environment variables included), and its
//! metrics, to anyone who reaches the node.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! readOnlyPort: 10255   # flagged
//! ```
//! Use instead: `readOnlyPort: 0` (scrape metrics on the authenticated port).
//!
//! ## References
//! Kubescape C-0175; CIS 4.2.4; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1613.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K004",
    title: "Kubelet serves its read-only port",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0175"],
        cis: &["4.2.4"],
        nsa: &["Network separation and hardening"],
        mitre: &["T1613"],
    },
    remediation: "Set readOnlyPort: 0 in the KubeletConfiguration (or --read-only-port=0).",
    doc: include_str!("read_only_port.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "readOnlyPort");
    match setting.as_i64() {
        None | Some(0) => {}
        Some(port) => out.push(setting.violation(format!(
            "readOnlyPort is {port}: the kubelet serves pods and metrics there without authentication"
        ))),
    }
}
