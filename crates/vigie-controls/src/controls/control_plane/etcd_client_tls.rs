//! ## What it does
//! Flags an etcd that does not set both `--cert-file` and `--key-file`.
//!
//! ## Why is this bad
//! Without a serving certificate etcd speaks plain HTTP to its clients: the
//! whole cluster state, Secrets included, crosses the network unencrypted.
//!
//! ## Example
//! ```yaml
//! command:
//! - etcd
//! - --key-file=/etc/kubernetes/pki/etcd/server.key   # flagged: no --cert-file
//! ```
//! Use instead: both `--cert-file` and `--key-file`, and `https://` client
//! URLs.
//!
//! ## References
//! Kubescape C-0153; CIS 2.1; NSA/CISA "Etcd"; MITRE ATT&CK T1040.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, ETCD};

const RULE: FlagRule = FlagRule {
    components: &[ETCD],
    requirements: &[
        Requirement {
            flag: "cert-file",
            check: Check::Set,
            risk: "etcd serves clients over plain HTTP, exposing every object, Secrets included, on the network",
        },
        Requirement {
            flag: "key-file",
            check: Check::Set,
            risk: "etcd serves clients over plain HTTP, exposing every object, Secrets included, on the network",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C036",
    title: "etcd serves clients without TLS",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0153"],
        cis: &["2.1"],
        nsa: &["Etcd"],
        mitre: &["T1040"],
    },
    remediation: "Set --cert-file and --key-file on etcd and serve clients over https.",
    doc: include_str!("etcd_client_tls.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
