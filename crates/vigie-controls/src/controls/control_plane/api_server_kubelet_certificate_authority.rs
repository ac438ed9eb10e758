//! ## What it does
//! Flags a kube-apiserver without `--kubelet-certificate-authority`.
//!
//! ## Why is this bad
//! Without a CA to check them against, the API server accepts any certificate a
//! kubelet endpoint presents. Someone on the path between control plane and nodes
//! can then impersonate a kubelet and read the exec sessions, logs and
//! port-forwards that pass through it.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver   # flagged: no --kubelet-certificate-authority
//! ```
//! Use instead: `--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt`
//! with kubelets serving certificates signed by that CA (`serverTLSBootstrap`).
//!
//! ## References
//! Kubescape C-0117; CIS 1.2.5; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1557.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "kubelet-certificate-authority",
            check: Check::Set,
            risk: "the API server does not verify the kubelets' serving certificates, so its connections to nodes can be intercepted",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C005",
    title: "API server does not verify kubelet certificates",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0117"],
        cis: &["1.2.5"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1557"],
    },
    remediation: "Set --kubelet-certificate-authority on kube-apiserver to the CA that signs the kubelets' serving certificates.",
    doc: include_str!("api_server_kubelet_certificate_authority.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
