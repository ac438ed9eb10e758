//! ## What it does
//! Flags a kube-apiserver whose `--tls-cipher-suites` is not set, or lists a
//! suite outside the strong set: TLS 1.3 suites and ECDHE key exchange with AES or
//! ChaCha20.
//!
//! ## Why is this bad
//! Left to its defaults, or given a long compatibility list, the API server
//! negotiates suites with static RSA key exchange (a stolen key decrypts recorded
//! traffic), 3DES (Sweet32) or CBC-SHA256 (Lucky13). Clients of the API server are
//! modern; they do not need them.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_3DES_EDE_CBC_SHA   # flagged
//! ```
//! Use instead: only forward-secret AEAD suites, e.g.
//! `--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305`.
//!
//! ## References
//! Kubescape C-0143, C-0277; CIS 1.2.29; NSA/CISA "Encryption"; MITRE ATT&CK T1557.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "tls-cipher-suites",
            check: Check::Within {
                allowed: STRONG_CIPHER_SUITES,
            },
            risk: "the API server also negotiates suites without forward secrecy or with broken ciphers such as 3DES",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C028",
    title: "API server allows weak TLS cipher suites",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0143", "C-0277"],
        cis: &["1.2.29"],
        nsa: &["Encryption"],
        mitre: &["T1557"],
    },
    remediation: "Set kube-apiserver --tls-cipher-suites to forward-secret AEAD suites only, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305.",
    doc: include_str!("api_server_tls_cipher_suites.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};

/// Suites accepted without a finding: TLS 1.3 suites and ECDHE key exchange
/// with AES or ChaCha20. Static-RSA key exchange (no forward secrecy), 3DES
/// (Sweet32) and the CBC-SHA256 suites (Lucky13) are left out. The kubelet's
/// control (VG-K011) holds it to the same list.
pub(crate) const STRONG_CIPHER_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];
