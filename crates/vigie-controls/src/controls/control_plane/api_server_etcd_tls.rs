//! ## What it does
//! Flags a kube-apiserver that does not set all of `--etcd-cafile`,
//! `--etcd-certfile` and `--etcd-keyfile`.
//!
//! ## Why is this bad
//! etcd holds the whole cluster state, Secrets included. The API server should
//! verify etcd's certificate against a CA and authenticate itself with a client
//! certificate; with any of the three missing, either the connection can be
//! intercepted or etcd must serve clients it cannot identify.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --etcd-servers=https://127.0.0.1:2379   # flagged: no CA, certificate or key
//! ```
//! Use instead: all three flags, pointing at etcd's CA and a client certificate
//! that CA signed.
//!
//! ## References
//! Kubescape C-0137, C-0140; CIS 1.2.23, 1.2.26; NSA/CISA "Etcd"; MITRE ATT&CK
//! T1557.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "etcd-cafile",
            check: Check::Set,
            risk: "the API server does not verify etcd's certificate, so its connection to etcd can be intercepted",
        },
        Requirement {
            flag: "etcd-certfile",
            check: Check::Set,
            risk: "the API server presents no client certificate, so etcd must accept unauthenticated clients",
        },
        Requirement {
            flag: "etcd-keyfile",
            check: Check::Set,
            risk: "the API server presents no client certificate, so etcd must accept unauthenticated clients",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C025",
    title: "API server talks to etcd without mutual TLS",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0137", "C-0140"],
        cis: &["1.2.23", "1.2.26"],
        nsa: &["Etcd"],
        mitre: &["T1557"],
    },
    remediation: "Set --etcd-cafile, --etcd-certfile and --etcd-keyfile on kube-apiserver.",
    doc: include_str!("api_server_etcd_tls.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
