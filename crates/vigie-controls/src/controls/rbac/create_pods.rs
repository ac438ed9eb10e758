//! ## What it does
//! Flags subjects that a binding lets create pods, or the controllers that
//! create them (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs,
//! CronJobs, ReplicationControllers).
//!
//! ## Why is this bad
//! Creating a pod means choosing its service account, its volumes and its
//! security context. Unless admission control stops it, a subject that creates
//! pods can mount any Secret of the namespace, run as any service account and,
//! with a privileged or `hostPath` pod, take over the node.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [apps], resources: [deployments], verbs: [create]}   # flagged when bound
//! ```
//! Use instead: deploy through a CI/CD identity or GitOps controller, and
//! enforce the Pod Security Standards in namespaces where people create pods.
//!
//! ## References
//! Kubescape C-0188; CIS 5.1.4; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1610 (Deploy Container).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R012",
    title: "Subject can create pods",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0188"],
        cis: &["5.1.4"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1610"],
    },
    remediation: "Remove create on pods and workload controllers from roles of people; deploy through a pipeline identity.",
    doc: include_str!("create_pods.rs"),
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
        |rule| {
            rule_allows(
                rule,
                &[""],
                &["pods", "replicationcontrollers"],
                &["create"],
            ) || rule_allows(
                rule,
                &["apps"],
                &["deployments", "replicasets", "statefulsets", "daemonsets"],
                &["create"],
            ) || rule_allows(rule, &["batch"], &["jobs", "cronjobs"], &["create"])
        },
        "create pods",
    );
}
