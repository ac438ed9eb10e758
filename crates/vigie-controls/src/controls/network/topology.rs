//! How network objects find the pods they concern: label selectors, Services,
//! Ingress backends, NetworkPolicies.

use vigie_resource::{Node, Pos, Resource};

use crate::control::Inventory;
use crate::controls::common::workload_pod;
use crate::controls::rbac::service_accounts::{namespace_of, WORKLOAD_KINDS};
use crate::pod::key_pos;

/// The labels of the pods a workload runs (a Pod's own labels).
pub(crate) fn pod_labels(workload: &Resource) -> Option<&Node> {
    workload_pod(workload)?.template.metadata?.get("labels")
}

/// The path of those labels, for violations.
pub(crate) fn pod_labels_path(workload: &Resource) -> String {
    workload_pod(workload).map_or_else(
        || "metadata.labels".to_string(),
        |pod| format!("{}.labels", pod.template.metadata_path),
    )
}

/// Whether every `key: value` of a Service-style selector is among `labels`.
/// An empty selector selects nothing here: a Service without one has its
/// endpoints managed by hand.
pub(crate) fn selector_matches(selector: &Node, labels: Option<&Node>) -> bool {
    let entries = selector.as_map().unwrap_or(&[]);
    !entries.is_empty()
        && entries.iter().all(|e| {
            let wanted = e.value.display_value();
            labels
                .and_then(|l| l.get(&e.key))
                .is_some_and(|v| v.display_value() == wanted)
        })
}

/// Whether a `LabelSelector` (`matchLabels`, `matchExpressions`) selects
/// `labels`, with Kubernetes' semantics: an empty selector selects everything.
pub(crate) fn label_selector_matches(selector: &Node, labels: Option<&Node>) -> bool {
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(Node::display_value);
    let match_labels = selector
        .get("matchLabels")
        .and_then(Node::as_map)
        .unwrap_or(&[]);
    if !match_labels
        .iter()
        .all(|e| label(&e.key) == Some(e.value.display_value()))
    {
        return false;
    }
    selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .all(|expression| {
            let key = expression.get("key").and_then(Node::as_str).unwrap_or("");
            let values: Vec<String> = expression
                .get("values")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .map(Node::display_value)
                .collect();
            let value = label(key);
            match expression.get("operator").and_then(Node::as_str) {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => !value.is_some_and(|v| values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        })
}

/// Whether a `LabelSelector` has no condition at all.
pub(crate) fn label_selector_is_empty(selector: &Node) -> bool {
    let empty = |key| {
        selector.get(key).is_none_or(|n| match n.as_map() {
            Some(map) => map.is_empty(),
            None => n.items().is_empty(),
        })
    };
    empty("matchLabels") && empty("matchExpressions")
}

/// The workloads of the inventory in `namespace`, with their indices.
pub(crate) fn workloads_in<'a>(
    inventory: Inventory<'a>,
    namespace: &str,
) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
    inventory.in_namespace(WORKLOAD_KINDS, namespace)
}

/// The workloads a Service sends traffic to, in input order. Candidates come
/// from the pod label index (by the selector's first label), so the cost is the
/// number of matches rather than the number of workloads.
pub(crate) fn workloads_selected_by_service<'a>(
    inventory: Inventory<'a>,
    service: &Resource,
) -> Vec<(usize, &'a Resource)> {
    let Some(first) = service_selector(service).as_map().and_then(|m| m.first()) else {
        return Vec::new();
    };
    labelled_workloads(inventory, namespace_of(service), &first.key, &first.value)
        .filter(|(_, w)| service_selects(service, w))
        .collect()
}

/// The workloads of `namespace` a `LabelSelector` selects, in input order.
pub(crate) fn workloads_selected_by_label_selector<'a>(
    inventory: Inventory<'a>,
    namespace: &str,
    selector: &Node,
) -> Vec<(usize, &'a Resource)> {
    let first = selector
        .get("matchLabels")
        .and_then(Node::as_map)
        .and_then(|m| m.first());
    let candidates: Vec<(usize, &'a Resource)> = match first {
        Some(label) => labelled_workloads(inventory, namespace, &label.key, &label.value).collect(),
        None => workloads_in(inventory, namespace).collect(),
    };
    candidates
        .into_iter()
        .filter(|(_, w)| label_selector_matches(selector, pod_labels(w)))
        .collect()
}

/// The workloads of `namespace` whose pod template has the label `key: value`.
fn labelled_workloads<'a>(
    inventory: Inventory<'a>,
    namespace: &str,
    key: &str,
    value: &Node,
) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
    inventory
        .workloads_labelled(namespace, key, &value.display_value())
        .iter()
        .map(move |&i| (i, &inventory.resources[i]))
        .filter(|(_, w)| WORKLOAD_KINDS.contains(&w.kind.as_str()))
}

/// The Service `name` of `namespace`.
pub(crate) fn find_service<'a>(
    inventory: Inventory<'a>,
    name: &str,
    namespace: &str,
) -> Option<&'a Resource> {
    inventory.find("Service", namespace, name).map(|(_, s)| s)
}

/// `spec.type` of a Service (`ClusterIP` when unset).
pub(crate) fn service_type(service: &Resource) -> &str {
    service
        .root
        .get_path(&["spec", "type"])
        .and_then(Node::as_str)
        .unwrap_or("ClusterIP")
}

/// `spec.selector` of a Service (a null node when unset).
pub(crate) fn service_selector(service: &Resource) -> &Node {
    service
        .root
        .get_path(&["spec", "selector"])
        .unwrap_or(Node::null())
}

/// Whether a Service sends traffic to the workload's pods.
pub(crate) fn service_selects(service: &Resource, workload: &Resource) -> bool {
    namespace_of(service) == namespace_of(workload)
        && selector_matches(service_selector(service), pod_labels(workload))
}

/// The `ports` of a Service.
pub(crate) fn service_ports(service: &Resource) -> &[Node] {
    service
        .root
        .get_path(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or(&[])
}

/// The Service names an Ingress sends traffic to, with the path of each.
pub(crate) fn ingress_backends(ingress: &Resource) -> Vec<(String, &Node)> {
    let spec = ingress.root.get("spec").unwrap_or(Node::null());
    let mut out = Vec::new();
    if let Some(name) = spec.get_path(&["defaultBackend", "service", "name"]) {
        out.push(("spec.defaultBackend.service.name".to_string(), name));
    }
    for (i, rule) in spec
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let paths = rule
            .get_path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or(&[]);
        for (j, path) in paths.iter().enumerate() {
            if let Some(name) = path.get_path(&["backend", "service", "name"]) {
                out.push((
                    format!("spec.rules[{i}].http.paths[{j}].backend.service.name"),
                    name,
                ));
            }
        }
    }
    out
}

/// Where a workload's pod labels are written (its pod template metadata, or
/// the object itself).
pub(crate) fn workload_labels_pos(workload: &Resource) -> Pos {
    workload_pod(workload)
        .and_then(|pod| pod.template.metadata)
        .map_or(workload.pos, |m| key_pos(m, "labels"))
}

/// Service types reachable from outside the cluster.
pub(crate) fn is_external(service: &Resource) -> bool {
    matches!(service_type(service), "NodePort" | "LoadBalancer")
}
