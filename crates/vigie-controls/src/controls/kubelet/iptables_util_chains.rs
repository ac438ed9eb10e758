//! ## What it does
//! Flags a `KubeletConfiguration` whose `makeIPTablesUtilChains` is `false`
//! (it defaults to `true`).
//!
//! ## Why is this bad
//! The kubelet's iptables utility chains drop packets marked for dropping and
//! keep the node's firewall rules in step with its pods. Turned off, what the
//! kubelet would have enforced is left to whoever manages iptables by hand,
//! and drifts.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! makeIPTablesUtilChains: false   # flagged
//! ```
//! Use instead: `makeIPTablesUtilChains: true` (or leave it out).
//!
//! ## References
//! Kubescape C-0178; CIS 4.2.6; NSA/CISA "Network separation and hardening".

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K007",
    title: "Kubelet does not manage its iptables chains",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0178"],
        cis: &["4.2.6"],
        nsa: &["Network separation and hardening"],
        mitre: &[],
    },
    remediation: "Set makeIPTablesUtilChains: true in the KubeletConfiguration (or remove it to get that default).",
    doc: include_str!("iptables_util_chains.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "makeIPTablesUtilChains");
    if setting.as_bool() == Some(false) {
        out.push(setting.violation(
            "makeIPTablesUtilChains is false: the kubelet leaves the node's iptables utility chains to others",
        ));
    }
}
