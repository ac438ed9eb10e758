//! Cilium's network policies as the network controls read them: a
//! `CiliumNetworkPolicy` selects pods of its own namespace, a
//! `CiliumClusterwideNetworkPolicy` pods of every namespace; each holds one
//! rule (`spec`) or several (`specs`), and a rule selects pods with its
//! `endpointSelector`, a Kubernetes label selector.

use vigie_resource::{Node, Resource};

use crate::pod::list_of;

/// The namespaced Cilium policy kind.
pub(crate) const CILIUM_POLICY: &str = "CiliumNetworkPolicy";
/// The cluster-wide Cilium policy kind.
pub(crate) const CILIUM_CLUSTERWIDE_POLICY: &str = "CiliumClusterwideNetworkPolicy";

/// Label keys Cilium gives every endpoint for its namespace.
const NAMESPACE_LABELS: &[&str] = &[
    "io.kubernetes.pod.namespace",
    "k8s:io.kubernetes.pod.namespace",
    "any:io.kubernetes.pod.namespace",
];

/// The pod selectors of a Cilium policy's rules. A rule without an
/// `endpointSelector` (a host policy with a `nodeSelector`) selects no pod.
pub(crate) fn endpoint_selectors(policy: &Resource) -> impl Iterator<Item = &Node> {
    let root = &policy.root;
    let single = root.get("spec").filter(|s| !s.is_null());
    let many = list_of(root, "specs");
    single
        .into_iter()
        .chain(many)
        .filter_map(|rule| rule.get("endpointSelector"))
}

/// The namespace a cluster-wide selector restricts itself to, when its only
/// conditions are Cilium's namespace label (`k8s:io.kubernetes.pod.namespace: shop`).
pub(crate) fn selector_namespace(selector: &Node) -> Option<&str> {
    if selector
        .get("matchExpressions")
        .is_some_and(|e| !e.items().is_empty())
    {
        return None;
    }
    let labels = selector.get("matchLabels")?.as_map()?;
    match labels {
        [only] if NAMESPACE_LABELS.contains(&only.key.as_str()) => only.value.as_str(),
        _ => None,
    }
}
