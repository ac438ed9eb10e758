//! How network objects find the pods they concern: label selectors, Services,
//! Ingress backends, NetworkPolicies.

use vigie_resource::{Node, Pos, Resource};

use super::selector::Selector;
use crate::control::{ClusterOutcome, Inventory};
use crate::controls::common::workload_pod;
use crate::controls::rbac::service_accounts::{namespace_of, WORKLOAD_KINDS};
use crate::pod::{key_pos, list_of, Violation};

/// The labels of the pods a workload runs (a Pod's own labels).
pub(crate) fn pod_labels(workload: &Resource) -> Option<&Node> {
    workload_pod(workload)?.template.metadata?.get("labels")
}

/// The path of those labels, for violations.
fn pod_labels_path(workload: &Resource) -> String {
    workload_pod(workload).map_or_else(
        || "metadata.labels".to_string(),
        |pod| format!("{}.labels", pod.template.metadata_path),
    )
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

/// A Service's selector, read against the pod labels of the inventory.
fn service_selector_of(inventory: Inventory<'_>, service: &Resource) -> Selector {
    Selector::service(service_selector(service), inventory.pod_labels())
}

/// The workloads a Service sends traffic to, with their indices, in no
/// particular order. The cost is that of the label sets its most selective
/// label points at, not the number of workloads of its namespace.
pub(crate) fn workloads_selected_by_service<'a>(
    inventory: Inventory<'a>,
    service: &Resource,
) -> Vec<(usize, &'a Resource)> {
    let selector = service_selector_of(inventory, service);
    inventory
        .pod_labels()
        .selected(namespace_of(service), &selector)
        .into_iter()
        .flatten()
        .map(|&i| (i, &inventory.resources[i]))
        .collect()
}

/// Whether a Service sends traffic to some workload.
pub(crate) fn service_selects_any(inventory: Inventory<'_>, service: &Resource) -> bool {
    let selector = service_selector_of(inventory, service);
    inventory
        .pod_labels()
        .selects_any(namespace_of(service), &selector)
}

/// Whether a `LabelSelector` selects some workload of `namespace`.
pub(crate) fn label_selector_selects_any(
    inventory: Inventory<'_>,
    namespace: &str,
    selector: &Node,
) -> bool {
    let labels = inventory.pod_labels();
    labels.selects_any(namespace, &Selector::label_selector(selector, labels))
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
    for (i, rule) in list_of(spec, "rules").iter().enumerate() {
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
fn workload_labels_pos(workload: &Resource) -> Pos {
    workload_pod(workload)
        .and_then(|pod| pod.template.metadata)
        .map_or(workload.pos, |m| key_pos(m, "labels"))
}

/// A violation at the labels of `workload`'s pods (what Services and
/// policies select), saying "<kind> <name> <what>".
pub(crate) fn workload_violation(workload: &Resource, what: impl std::fmt::Display) -> Violation {
    Violation::new(
        pod_labels_path(workload),
        workload_labels_pos(workload),
        format!("{} {} {what}", workload.kind, workload.name),
    )
}

/// Reports each workload of `reached` (index, and what reaches it: "Ingress
/// web and Service web") as reachable from outside the cluster; every workload
/// of the inventory is evaluated.
pub(crate) fn report_reachable(
    inventory: Inventory<'_>,
    reached: impl IntoIterator<Item = (usize, String)>,
    out: &mut ClusterOutcome,
) {
    out.evaluated
        .extend(inventory.of_kind(WORKLOAD_KINDS).map(|(i, _)| i));
    for (i, through) in reached {
        let workload = &inventory.resources[i];
        out.violations.push((
            i,
            workload_violation(
                workload,
                format_args!("is reachable from outside the cluster through {through}"),
            ),
        ));
    }
}

/// Service types reachable from outside the cluster.
pub(crate) fn is_external(service: &Resource) -> bool {
    matches!(service_type(service), "NodePort" | "LoadBalancer")
}
