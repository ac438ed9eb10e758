//! ## What it does
//! Flags subjects that a binding lets read Secrets: `get`, `list` or `watch` on
//! `secrets` in the core API group (wildcards included).
//!
//! ## Why is this bad
//! Secrets hold service account tokens, registry credentials, TLS keys and
//! database passwords. `list` and `watch` return every value of the namespace
//! (or of the cluster, through a ClusterRoleBinding) in one call, so a subject
//! that can read Secrets can usually become whoever those credentials belong to.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRole
//! rules:
//! - {apiGroups: [""], resources: [secrets], verbs: [list]}   # flagged when bound
//! ```
//! Use instead: mount the one Secret a workload needs as a volume, or grant
//! `get` on named Secrets with `resourceNames` to the controller that manages them.
//!
//! ## References
//! Kubescape C-0015, C-0186; CIS 5.1.2; NSA/CISA "Authentication and
//! authorization"; MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R002",
    title: "Subject can read Secrets",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0015", "C-0186"],
        cis: &["5.1.2"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1552.007"],
    },
    remediation: "Remove get, list and watch on secrets from the role, or restrict it to named Secrets with resourceNames.",
    doc: include_str!("read_secrets.rs"),
    evaluator: Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| rule_allows(rule, &[""], &["secrets"], &["get", "list", "watch"]),
        "read Secrets",
    );
}
