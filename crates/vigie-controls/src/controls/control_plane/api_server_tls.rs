//! ## What it does
//! Flags a kube-apiserver that does not set all of `--tls-cert-file`,
//! `--tls-private-key-file` and `--client-ca-file`.
//!
//! ## Why is this bad
//! Without a certificate and key, the API server generates a self-signed
//! certificate that clients cannot check, inviting them to skip verification.
//! Without a client CA, it cannot authenticate clients by certificate, which
//! kubelets and most control plane components rely on.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt   # flagged: no key, no client CA
//! ```
//! Use instead: all three flags, pointing at the cluster's PKI.
//!
//! ## References
//! Kubescape C-0138, C-0139; CIS 1.2.24, 1.2.25; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1557.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "tls-cert-file",
            check: Check::Set,
            risk: "the API server serves a self-signed certificate made at start-up, which clients cannot verify",
        },
        Requirement {
            flag: "tls-private-key-file",
            check: Check::Set,
            risk: "the API server serves a self-signed certificate made at start-up, which clients cannot verify",
        },
        Requirement {
            flag: "client-ca-file",
            check: Check::Set,
            risk: "clients cannot authenticate with certificates, and kubelets' client certificates are not verified",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C026",
    title: "API server TLS is not fully configured",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0138", "C-0139"],
        cis: &["1.2.24", "1.2.25"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1557"],
    },
    remediation:
        "Set --tls-cert-file, --tls-private-key-file and --client-ca-file on kube-apiserver.",
    doc: include_str!("api_server_tls.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
