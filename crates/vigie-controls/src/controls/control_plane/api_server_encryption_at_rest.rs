//! ## What it does
//! Flags a kube-apiserver without `--encryption-provider-config`.
//!
//! ## Why is this bad
//! Secrets are only base64-encoded in the API. Unless the API server encrypts
//! them before writing to etcd, anyone who gets hold of etcd's data directory, a
//! snapshot or a backup reads every password and token in the cluster.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver   # flagged: no --encryption-provider-config
//! ```
//! Use instead: `--encryption-provider-config=/etc/kubernetes/enc/config.yaml`
//! with a KMS, `aescbc` or `secretbox` provider listed first for `secrets`.
//!
//! ## References
//! Kubescape C-0141, C-0066; CIS 1.2.27; NSA/CISA "Encryption"; MITRE ATT&CK T1552.

use super::super::prelude::*;
use super::flag_rule::{flag_rule_evaluator, Check, FlagRule, Requirement, KUBE_APISERVER};

const RULE: FlagRule = FlagRule {
    components: &[KUBE_APISERVER],
    requirements: &[
        Requirement {
            flag: "encryption-provider-config",
            check: Check::Set,
            risk: "Secrets are stored in etcd in clear text, readable from any copy of its data or backups",
        },
    ],
};

pub(crate) const CONTROL: Control = Control {
    id: "VG-C027",
    title: "API server does not encrypt Secrets at rest",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0141", "C-0066"],
        cis: &["1.2.27"],
        nsa: &["Encryption"],
        mitre: &["T1552"],
    },
    remediation: "Write an EncryptionConfiguration covering secrets (aescbc, secretbox or a KMS provider) and pass it with kube-apiserver --encryption-provider-config.",
    doc: include_str!("api_server_encryption_at_rest.rs"),
    evaluator: flag_rule_evaluator!(RULE),
};
