//! ## What it does
//! Flags a `KubeletConfiguration` without `authentication.x509.clientCAFile`
//! (or with an empty one).
//!
//! ## Why is this bad
//! Without a client CA the kubelet cannot check client certificates: the API
//! server's own client certificate (used for `kubectl exec` and `logs`) is not
//! recognised, and authentication rests on bearer tokens alone.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! authentication:
//!   x509: {}   # flagged: no clientCAFile
//! ```
//! Use instead: `clientCAFile: /etc/kubernetes/pki/ca.crt` (the cluster's CA).
//!
//! ## References
//! Kubescape C-0070, C-0174; CIS 4.2.3; NSA/CISA "Authentication and
//! authorization".

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

pub(crate) const CONTROL: Control = Control {
    id: "VG-K003",
    title: "Kubelet does not verify client certificates",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0070", "C-0174"],
        cis: &["4.2.3"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Set authentication.x509.clientCAFile to the cluster CA in the KubeletConfiguration (or --client-ca-file).",
    doc: include_str!("client_ca_file.rs"),
    evaluator: Evaluator::Object {
        applies: is_kubelet_config,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "authentication.x509.clientCAFile");
    if setting.as_str().is_none_or(|path| path.trim().is_empty()) {
        out.push(setting.violation(
            "authentication.x509.clientCAFile is not set: the kubelet cannot verify client certificates",
        ));
    }
}
