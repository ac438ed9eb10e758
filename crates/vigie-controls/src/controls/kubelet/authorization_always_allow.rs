//! ## What it does
//! Flags a `KubeletConfiguration` whose `authorization.mode` is not `Webhook`
//! (the only other mode is `AlwaysAllow`). Left out, it is `Webhook` in a
//! configuration file (the command line defaults to `AlwaysAllow`, which
//! configz then shows).
//!
//! ## Why is this bad
//! In `AlwaysAllow` mode the kubelet serves every authenticated request,
//! whoever makes it: any identity the cluster knows can run commands in any
//! container of the node. `Webhook` asks the API server (SubjectAccessReview),
//! so RBAC decides, as it does for the rest of the cluster.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! authorization:
//!   mode: AlwaysAllow   # flagged
//! ```
//! Use instead: `mode: Webhook`.
//!
//! ## References
//! Kubescape C-0173; CIS 4.2.2; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1609.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K002",
    title: "Kubelet authorizes every request",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0173"],
        cis: &["4.2.2"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1609"],
    },
    remediation: "Set authorization.mode: Webhook in the KubeletConfiguration (or start the kubelet with --authorization-mode=Webhook).",
    doc: include_str!("authorization_always_allow.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "authorization.mode");
    match setting.value {
        None => {} // the configuration file's default, Webhook
        Some(_) if setting.as_str() == Some("Webhook") => {}
        Some(value) => out.push(setting.violation(format!(
            "authorization.mode is {}: the kubelet serves every authenticated request without asking the API server",
            value.display_value()
        ))),
    }
}
