//! ## What it does
//! Flags a `KubeletConfiguration` whose `rotateCertificates` is `false`.
//!
//! ## Why is this bad
//! The kubelet authenticates to the API server with a client certificate.
//! Without rotation, it uses that certificate until it expires (the node then
//! drops out of the cluster) and a stolen one stays valid as long.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! rotateCertificates: false   # flagged
//! ```
//! Use instead: `rotateCertificates: true`.
//!
//! ## References
//! Kubescape C-0182; CIS 4.2.10; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K009",
    title: "Kubelet does not rotate its client certificate",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0182"],
        cis: &["4.2.10"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Set rotateCertificates: true in the KubeletConfiguration.",
    doc: include_str!("client_certificate_rotation.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "rotateCertificates");
    if setting.as_bool() == Some(false) {
        out.push(setting.violation(
            "rotateCertificates is false: the kubelet keeps its client certificate until it expires",
        ));
    }
}
