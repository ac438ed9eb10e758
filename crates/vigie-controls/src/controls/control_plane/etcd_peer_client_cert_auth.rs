//! ## What it does
//! Flags an etcd whose `--peer-client-cert-auth` is not `true` (it defaults to
//! `false`).
//!
//! ## Why is this bad
//! Without peer certificate authentication, etcd accepts any host that reaches
//! its peer port (2380) as a member, and a member receives the whole cluster state.
//!
//! ## Example
//! ```yaml
//! command:
//! - etcd
//! - --peer-client-cert-auth=false   # flagged (and so is leaving it out)
//! ```
//! Use instead: `--peer-client-cert-auth=true` with `--peer-trusted-ca-file`.
//!
//! ## References
//! Kubescape C-0157; CIS 2.5; NSA/CISA "Etcd".

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, ETCD};

const RULE: FlagRule = FlagRule {
    components: &[ETCD],
    requirements: &[Requirement {
        flag: "peer-client-cert-auth",
        check: Check::OneOf {
            values: &["true"],
            default: "false",
        },
        risk: "any host that reaches the peer port can join the etcd cluster and receive its data",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C040",
    title: "etcd does not authenticate peers by certificate",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0157"],
        cis: &["2.5"],
        nsa: &["Etcd"],
        mitre: &[],
    },
    remediation: "Start etcd with --peer-client-cert-auth=true and --peer-trusted-ca-file.",
    doc: include_str!("etcd_peer_client_cert_auth.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
