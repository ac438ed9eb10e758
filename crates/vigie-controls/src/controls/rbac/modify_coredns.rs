//! ## What it does
//! Flags subjects that a binding lets change the CoreDNS configuration:
//! `update` or `patch` on ConfigMaps, either on every ConfigMap (no
//! `resourceNames`) or naming `coredns`.
//!
//! ## Why is this bad
//! CoreDNS reads its Corefile from the `coredns` ConfigMap. Rewriting it lets a
//! subject answer any in-cluster DNS query with an address of its choosing and
//! send other workloads' traffic (and credentials) to itself.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [configmaps], verbs: [update]}   # flagged when bound
//! ```
//! Use instead: list the ConfigMaps a subject may change in `resourceNames`,
//! leaving `coredns` to cluster administrators.
//!
//! ## References
//! Kubescape C-0037; NSA/CISA "Authentication and authorization"; MITRE ATT&CK
//! T1557 (Adversary-in-the-Middle).

use super::super::prelude::*;
use super::model::{grants_evaluator, rule_allows, strings};

/// How VG-R011 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = grants_evaluator!(
    |_, _| true,
    |rule| {
        let names: Vec<&str> = strings(rule, "resourceNames").collect();
        rule_allows(rule, &[""], &["configmaps"], &["update", "patch"])
            && (names.is_empty() || names.contains(&"coredns"))
    },
    "modify the coredns ConfigMap",
);
