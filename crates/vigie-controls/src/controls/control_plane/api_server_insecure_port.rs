//! ## What it does
//! Flags a kube-apiserver started with an `--insecure-port` other than 0.
//!
//! ## Why is this bad
//! Requests on the insecure port skip authentication and authorization entirely:
//! whoever reaches it is cluster administrator. Kubernetes 1.20 removed it, but
//! older control planes and copied manifests still carry it.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --insecure-port=8080   # flagged
//! ```
//! Use instead: `--insecure-port=0`, or no flag at all.
//!
//! ## References
//! Kubescape C-0005; NSA/CISA "Control plane hardening"; MITRE ATT&CK T1190.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "insecure-port",
            check: Check::OneOf {
                values: &["0"],
                default: "0",
            },
            risk: "the insecure port serves the whole API over plain HTTP with neither authentication nor authorization",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C031",
    title: "API server serves an unauthenticated HTTP port",
    severity: Severity::Critical,
    refs: Refs {
        kubescape: &["C-0005"],
        cis: &[],
        nsa: &["Control plane hardening"],
        mitre: &["T1190"],
    },
    remediation: "Remove --insecure-port from kube-apiserver, or set it to 0.",
    doc: include_str!("api_server_insecure_port.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
