//! ## What it does
//! Flags a kube-apiserver without `--kubelet-client-certificate` and
//! `--kubelet-client-key`.
//!
//! ## Why is this bad
//! The API server calls the kubelets' API for logs, exec and port-forward.
//! Without a client certificate it cannot prove who it is, so kubelets have to
//! accept unauthenticated requests, and then so does anyone else who reaches port
//! 10250.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
//! # flagged: no --kubelet-client-key
//! ```
//! Use instead: both flags, pointing at a certificate the kubelets' client CA
//! trusts.
//!
//! ## References
//! Kubescape C-0116; CIS 1.2.4; NSA/CISA "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "kubelet-client-certificate",
            check: Check::Set,
            risk: "the API server cannot authenticate to kubelets, which must then serve unauthenticated requests",
        },
        Requirement {
            flag: "kubelet-client-key",
            check: Check::Set,
            risk: "the API server cannot authenticate to kubelets, which must then serve unauthenticated requests",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C004",
    title: "API server has no client certificate for kubelets",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0116"],
        cis: &["1.2.4"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Set --kubelet-client-certificate and --kubelet-client-key on kube-apiserver.",
    doc: include_str!("api_server_kubelet_client_cert.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
