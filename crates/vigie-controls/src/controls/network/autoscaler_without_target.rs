//! ## What it does
//! Flags HorizontalPodAutoscalers whose `scaleTargetRef` names a Deployment,
//! StatefulSet, ReplicaSet or ReplicationController that is not in the input,
//! in the autoscaler's namespace. Other kinds (custom resources with a scale
//! subresource) cannot be checked from manifests and are left alone.
//!
//! ## Why is this bad
//! An autoscaler without its target scales nothing: the workload it was meant
//! for, usually renamed, runs at a fixed size and falls over under the load the
//! autoscaler was there to absorb, a self-inflicted denial of service.
//!
//! ## Example
//! ```yaml
//! kind: HorizontalPodAutoscaler
//! spec:
//!   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-v1}   # flagged
//! ```
//! Use instead: keep `scaleTargetRef` in sync with the workload's name, and
//! ship both together.
//!
//! ## References
//! Kubescape C-0300; NSA/CISA "Pod security"; MITRE ATT&CK T1499 (Endpoint
//! Denial of Service).

use super::super::prelude::*;
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N014 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &[
        "HorizontalPodAutoscaler",
        "Deployment",
        "StatefulSet",
        "ReplicaSet",
        "ReplicationController",
    ],
    evaluate,
};

/// Kinds that scale and that manifests define.
const SCALABLE: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, autoscaler) in inventory.of_kind(&["HorizontalPodAutoscaler"]) {
        out.evaluated.push(i);
        let target = autoscaler
            .root
            .get_path(&["spec", "scaleTargetRef"])
            .unwrap_or(Node::null());
        let Some(kind) = target
            .get("kind")
            .and_then(Node::as_str)
            .filter(|k| SCALABLE.contains(k))
        else {
            continue;
        };
        let name = target.get("name").and_then(Node::as_str).unwrap_or("");
        let namespace = namespace_of(autoscaler);
        let exists = inventory.find(kind, namespace, name).is_some();
        if !exists {
            out.violations.push((
                i,
                Violation::new(
                    "spec.scaleTargetRef.name",
                    key_pos(target, "name"),
                    format!(
                        "HorizontalPodAutoscaler {} scales {kind} {name}, which namespace {namespace} does not hold",
                        autoscaler.name
                    ),
                ),
            ));
        }
    }
}
