//! ## What it does
//! Flags a kube-apiserver started with `--service-account-lookup=false`.
//!
//! ## Why is this bad
//! Without the lookup, the API server trusts any correctly signed service account
//! token without checking that the account (and, for secret-based tokens, the
//! Secret) still exists. Deleting an account then does not revoke its tokens.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --service-account-lookup=false   # flagged
//! ```
//! Use instead: `--service-account-lookup=true` (the default).
//!
//! ## References
//! Kubescape C-0135; CIS 1.2.21; NSA/CISA "Authentication and authorization"; MITRE
//! ATT&CK T1078.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[Requirement {
        flag: "service-account-lookup",
        check: Check::OneOf {
            values: &["true"],
            default: "true",
        },
        risk: "tokens of deleted service accounts stay valid until they expire",
    }],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C023",
    title: "API server accepts tokens of deleted service accounts",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0135"],
        cis: &["1.2.21"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation: "Remove --service-account-lookup=false from kube-apiserver (the default is true).",
    doc: include_str!("api_server_service_account_lookup.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
