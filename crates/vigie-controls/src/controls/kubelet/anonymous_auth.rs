//! ## What it does
//! Flags a `KubeletConfiguration` whose `authentication.anonymous.enabled` is
//! `true`. Left out, it is `false` in a configuration file (the command line's
//! `--anonymous-auth` defaults to `true`, which configz then shows).
//!
//! ## Why is this bad
//! The kubelet's API (port 10250) runs commands in containers, reads their
//! logs and lists the node's pods. With anonymous requests allowed, anyone who
//! reaches the node is served as `system:anonymous`; with an authorization mode
//! of `AlwaysAllow` that is the whole node.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! authentication:
//!   anonymous:
//!     enabled: true   # flagged
//! ```
//! Use instead: `enabled: false`, with webhook authentication on.
//!
//! ## References
//! Kubescape C-0069, C-0172; CIS 4.2.1; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1609.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K001",
    title: "Kubelet accepts anonymous requests",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0069", "C-0172"],
        cis: &["4.2.1"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1609"],
    },
    remediation: "Set authentication.anonymous.enabled: false in the KubeletConfiguration (or start the kubelet with --anonymous-auth=false).",
    doc: include_str!("anonymous_auth.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "authentication.anonymous.enabled");
    if setting.as_bool() == Some(true) {
        out.push(setting.violation(
            "authentication.anonymous.enabled is true: requests without credentials reach the kubelet API as system:anonymous",
        ));
    }
}
