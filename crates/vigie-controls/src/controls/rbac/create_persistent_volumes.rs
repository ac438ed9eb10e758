//! ## What it does
//! Flags subjects that a binding lets create PersistentVolumes (`create` on
//! `persistentvolumes` in the core group).
//!
//! ## Why is this bad
//! A PersistentVolume can be a `hostPath` on any node. Whoever creates one and
//! binds a claim to it mounts the node's file system into a pod, which the Pod
//! Security Standards would have refused as a plain `hostPath` volume.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [persistentvolumes], verbs: [create]}   # flagged when bound
//! ```
//! Use instead: dynamic provisioning through StorageClasses; users create
//! PersistentVolumeClaims only.
//!
//! ## References
//! Kubescape C-0278; CIS 5.1.9; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R006",
    title: "Subject can create PersistentVolumes",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0278"],
        cis: &["5.1.9"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1611"],
    },
    remediation:
        "Remove create on persistentvolumes; provision volumes through StorageClasses and claims.",
    doc: include_str!("create_persistent_volumes.rs"),
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
        |rule| rule_allows(rule, &[""], &["persistentvolumes"], &["create"]),
        "create PersistentVolumes",
    );
}
