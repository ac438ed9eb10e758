//! ## What it does
//! Flags namespaced objects other than workloads (ConfigMaps, Secrets, Services,
//! ServiceAccounts, Roles and RoleBindings, Ingresses, claims, autoscalers,
//! disruption budgets, endpoints, leases) in the `default` namespace or with no
//! namespace. The objects Kubernetes itself keeps there pass: the `kubernetes`
//! Service with its Endpoints and EndpointSlice, the `default` ServiceAccount
//! and the `kube-root-ca.crt` ConfigMap.
//!
//! ## Why is this bad
//! Whatever sits in `default` shares one set of RoleBindings, quotas and
//! NetworkPolicies with everything else put there without thought. A Secret or
//! a RoleBinding in `default` is readable or usable by every workload and user
//! granted access to that catch-all namespace.
//!
//! ## Example
//! ```yaml
//! kind: Secret
//! metadata:
//!   name: db-password
//!   namespace: default   # flagged
//! ```
//! Use instead: the namespace of the application the object belongs to.
//!
//! ## References
//! Kubescape C-0212; CIS 5.7.4; NSA/CISA "Namespaces".

use super::super::prelude::*;
use super::default_namespace::check_namespace;
use crate::controls::common::kind_in;

/// Namespaced kinds, other than workloads, that belong in an application's
/// namespace.
const KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Ingress",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "CSIStorageCapacity",
    "Role",
    "RoleBinding",
    "Lease",
];

/// How VG-H002 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| kind_in(r, KINDS),
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if !kept_by_kubernetes(resource) {
        check_namespace(resource, out);
    }
}

/// Whether the object is one Kubernetes creates in `default` by itself.
fn kept_by_kubernetes(resource: &Resource) -> bool {
    if resource.namespace.as_deref() != Some("default") {
        return false;
    }
    match (resource.kind.as_str(), resource.name.as_str()) {
        ("Service" | "Endpoints", "kubernetes") => true,
        // The API server's own slice carries the Service's name as a label;
        // a slice merely named after it (or labelled so) does not pass.
        ("EndpointSlice", "kubernetes") => {
            resource
                .root
                .get_path(&["metadata", "labels", "kubernetes.io/service-name"])
                .and_then(Node::as_str)
                == Some("kubernetes")
        }
        ("ServiceAccount", "default") | ("ConfigMap", "kube-root-ca.crt") => true,
        _ => false,
    }
}
