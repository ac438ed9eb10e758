//! ## What it does
//! Flags an etcd that does not set both `--peer-cert-file` and `--peer-key-file`.
//!
//! ## Why is this bad
//! etcd members send each other every write. Without peer certificates this
//! replication is unencrypted, and the cluster's Secrets cross the network in
//! clear text.
//!
//! ## Example
//! ```yaml
//! command:
//! - etcd
//! - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key   # flagged: no --peer-cert-file
//! ```
//! Use instead: both flags and `https://` peer URLs (a single-member etcd should
//! still set them, so that adding members is safe).
//!
//! ## References
//! Kubescape C-0156; CIS 2.4; NSA/CISA "Etcd"; MITRE ATT&CK T1040.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, ETCD};

const RULE: FlagRule = FlagRule {
    components: &[ETCD],
    requirements: &[
        Requirement {
            flag: "peer-cert-file",
            check: Check::Set,
            risk: "etcd members replicate the cluster state to each other over plain HTTP",
        },
        Requirement {
            flag: "peer-key-file",
            check: Check::Set,
            risk: "etcd members replicate the cluster state to each other over plain HTTP",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C039",
    title: "etcd replicates without TLS",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0156"],
        cis: &["2.4"],
        nsa: &["Etcd"],
        mitre: &["T1040"],
    },
    remediation: "Set --peer-cert-file and --peer-key-file on etcd and use https peer URLs.",
    doc: include_str!("etcd_peer_tls.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
