//! ## What it does
//! Flags an etcd started with `--auto-tls=true` or `--peer-auto-tls=true`.
//!
//! ## Why is this bad
//! With auto TLS, etcd generates its own certificates. Traffic is encrypted but
//! nobody can verify who is at the other end, so client or peer connections can
//! be intercepted by anyone able to present another self-signed certificate.
//!
//! ## Example
//! ```yaml
//! command:
//! - etcd
//! - --peer-auto-tls=true   # flagged
//! ```
//! Use instead: certificates from the etcd CA (`--cert-file`, `--peer-cert-file`
//! and their keys).
//!
//! ## References
//! Kubescape C-0155, C-0158; CIS 2.3, 2.6; NSA/CISA "Etcd"; MITRE ATT&CK T1557.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, ETCD};

const RULE: FlagRule = FlagRule {
    components: &[ETCD],
    requirements: &[
        Requirement {
            flag: "auto-tls",
            check: Check::OneOf {
                values: &["false"],
                default: "false",
            },
            risk: "clients are served a self-signed certificate they cannot verify",
        },
        Requirement {
            flag: "peer-auto-tls",
            check: Check::OneOf {
                values: &["false"],
                default: "false",
            },
            risk: "members use self-signed certificates for replication, which peers cannot verify",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C038",
    title: "etcd uses self-signed certificates",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0155", "C-0158"],
        cis: &["2.3", "2.6"],
        nsa: &["Etcd"],
        mitre: &["T1557"],
    },
    remediation: "Remove --auto-tls and --peer-auto-tls from etcd (or set them to false) and give it certificates from the etcd CA.",
    doc: include_str!("etcd_auto_tls.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
