//! ## What it does
//! Flags a kube-controller-manager that does not set
//! `--service-account-private-key-file`, `--root-ca-file` and
//! `--use-service-account-credentials=true`.
//!
//! ## Why is this bad
//! These three give service accounts their cryptographic footing: a dedicated
//! signing key (rotatable apart from other keys), a CA bundle in every token so
//! pods can verify the API server, and one service account per controller so each
//! runs with only the rights it needs.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-controller-manager
//! - --root-ca-file=/etc/kubernetes/pki/ca.crt   # flagged: no signing key, shared credentials
//! ```
//! Use instead: all three, e.g.
//! `--service-account-private-key-file=/etc/kubernetes/pki/sa.key`,
//! `--root-ca-file=/etc/kubernetes/pki/ca.crt` and
//! `--use-service-account-credentials=true`.
//!
//! ## References
//! Kubescape C-0146, C-0147, C-0148; CIS 1.3.3, 1.3.4, 1.3.5; NSA/CISA
//! "Authentication and authorization".

use super::super::prelude::*;
use super::flag_rule::{
    flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_CONTROLLER_MANAGER,
};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_CONTROLLER_MANAGER],
    requirements: &[
        Requirement {
            flag: "service-account-private-key-file",
            check: Check::Set,
            risk: "the controller manager has no dedicated key to sign service account tokens with, so the key cannot be rotated on its own",
        },
        Requirement {
            flag: "root-ca-file",
            check: Check::Set,
            risk: "pods are given no CA bundle to verify the API server's certificate with",
        },
        Requirement {
            flag: "use-service-account-credentials",
            check: Check::OneOf {
                values: &["true"],
                default: "false",
            },
            risk: "every controller acts with the controller manager's own broad credentials instead of a service account of its own",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C035",
    title: "Controller manager service account credentials are incomplete",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0146", "C-0147", "C-0148"],
        cis: &["1.3.3", "1.3.4", "1.3.5"],
        nsa: &["Authentication and authorization"],
        mitre: &[],
    },
    remediation: "Set --service-account-private-key-file, --root-ca-file and --use-service-account-credentials=true on kube-controller-manager.",
    doc: include_str!("controller_manager_service_account_credentials.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
