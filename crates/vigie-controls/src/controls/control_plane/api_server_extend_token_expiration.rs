//! ## What it does
//! Flags a kube-apiserver whose `--service-account-extend-token-expiration` is not
//! `false` (it defaults to `true`).
//!
//! ## Why is this bad
//! To ease the migration to short-lived tokens, the API server by default makes
//! projected service account tokens valid for a year whatever their requested
//! lifetime. A token lifted from a pod keeps working for that long.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver   # flagged: the default extends tokens
//! ```
//! Use instead: `--service-account-extend-token-expiration=false`, once
//! clients refresh their tokens (client-go does).
//!
//! ## References
//! Kubescape C-0290; CIS 1.2.30; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1528.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "service-account-extend-token-expiration",
            check: Check::OneOf {
                values: &["false"],
                default: "true",
            },
            risk: "projected service account tokens are quietly valid for a year, so a stolen one stays useful long after its nominal expiry",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C029",
    title: "API server extends service account token lifetimes",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0290"],
        cis: &["1.2.30"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1528"],
    },
    remediation: "Start kube-apiserver with --service-account-extend-token-expiration=false.",
    doc: include_str!("api_server_extend_token_expiration.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
