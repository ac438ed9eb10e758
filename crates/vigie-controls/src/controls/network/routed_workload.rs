//! ## What it does
//! Flags workloads that a Gateway API route (`HTTPRoute`, `GRPCRoute`,
//! `TLSRoute`, `TCPRoute`, `UDPRoute`) or an Istio `VirtualService` bound to
//! an ingress gateway sends traffic to, through the Services they name.
//! An Istio gateway counts as an ingress when its `selector` matches an
//! ingress Service of type NodePort or LoadBalancer in the input.
//!
//! ## Why is this bad
//! Routes attached to a gateway carry traffic from outside the cluster to the
//! workload: it is an internet-facing entry point that needs authentication,
//! rate limits and patching like any other, even though its own Service is
//! only a ClusterIP. VG-N001 covers Services and Ingresses.
//!
//! ## Example
//! ```yaml
//! kind: HTTPRoute
//! spec:
//!   rules:
//!   - backendRefs: [{name: api, port: 8080}]   # the workloads behind Service api are flagged
//! ```
//! Use instead: review each routed workload as internet-facing; record the
//! intended ones as exceptions.
//!
//! ## References
//! Kubescape C-0266; NSA/CISA "Network separation and hardening"; MITRE
//! ATT&CK T1133 (External Remote Services).

use std::collections::BTreeMap;

use super::super::prelude::*;
use super::gateway_api::{service_backends, ROUTE_KINDS};
use super::topology::{find_service, is_external, report_reachable, workloads_selected_by_service};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N018 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and![
        "Service",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "UDPRoute",
        "Gateway",
        "VirtualService"
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    // Workload index -> the first route that reaches it, for the message.
    let mut exposed: BTreeMap<usize, String> = BTreeMap::new();
    let mut reach = |service: &Resource, through: String| {
        for (i, _) in workloads_selected_by_service(*inventory, service) {
            exposed.entry(i).or_insert_with(|| through.clone());
        }
    };
    for (_, route) in inventory.of_kind(ROUTE_KINDS) {
        for backend in service_backends(route) {
            let Some(name) = backend.name.as_str() else {
                continue;
            };
            if let Some(service) = find_service(*inventory, name, backend.namespace) {
                reach(
                    service,
                    format!("{} {} and Service {}", route.kind, route.name, service.name),
                );
            }
        }
    }
    for (_, virtual_service) in inventory.of_kind(&["VirtualService"]) {
        if !bound_to_ingress(*inventory, virtual_service) {
            continue;
        }
        for (name, namespace) in destination_services(virtual_service) {
            if let Some(service) = find_service(*inventory, name, &namespace) {
                reach(
                    service,
                    format!(
                        "VirtualService {} and Service {}",
                        virtual_service.name, service.name
                    ),
                );
            }
        }
    }
    report_reachable(*inventory, exposed, out);
}

/// Whether a VirtualService is bound to an Istio gateway that an external
/// Service fronts. Without `gateways` it applies to the mesh only.
fn bound_to_ingress(inventory: Inventory<'_>, virtual_service: &Resource) -> bool {
    let gateways = virtual_service
        .root
        .get_path(&["spec", "gateways"])
        .map(Node::items)
        .unwrap_or(&[]);
    gateways.iter().filter_map(Node::as_str).any(|reference| {
        let (namespace, name) = reference
            .split_once('/')
            .unwrap_or((namespace_of(virtual_service), reference));
        inventory
            .find("Gateway", namespace, name)
            .is_some_and(|(_, gateway)| is_istio_ingress(inventory, gateway))
    })
}

/// Whether an Istio Gateway's `selector` picks the pods of an external
/// (NodePort or LoadBalancer) Service: its labels are all among the Service's
/// selector or labels.
fn is_istio_ingress(inventory: Inventory<'_>, gateway: &Resource) -> bool {
    if !gateway.api_version.starts_with("networking.istio.io/") {
        return false;
    }
    let Some(wanted) = gateway
        .root
        .get_path(&["spec", "selector"])
        .and_then(Node::as_map)
        .filter(|m| !m.is_empty())
    else {
        return false;
    };
    inventory
        .of_kind(&["Service"])
        .filter(|(_, service)| is_external(service))
        .any(|(_, service)| {
            let has = |key: &str, value: &Node| {
                ["spec.selector", "metadata.labels"].iter().any(|path| {
                    let keys: Vec<&str> = path.split('.').collect();
                    service
                        .root
                        .get_path(&keys)
                        .and_then(|labels| labels.get(key))
                        .is_some_and(|v| v.display_value() == value.display_value())
                })
            };
            wanted.iter().all(|entry| has(&entry.key, &entry.value))
        })
}

/// The Services (name, namespace) a VirtualService routes to: each
/// `destination.host` of its http, tcp and tls routes, as a short name (the
/// VirtualService's namespace) or `name.namespace[.svc.cluster.local]`.
fn destination_services(virtual_service: &Resource) -> Vec<(&str, String)> {
    let spec = virtual_service.root.get("spec").unwrap_or(Node::null());
    let mut out = Vec::new();
    for protocol in ["http", "tcp", "tls"] {
        for route in list_of(spec, protocol) {
            for destination in list_of(route, "route") {
                let Some(host) = destination
                    .get_path(&["destination", "host"])
                    .and_then(Node::as_str)
                else {
                    continue;
                };
                let mut parts = host.split('.');
                let name = parts.next().unwrap_or(host);
                let namespace = parts
                    .next()
                    .map_or_else(|| namespace_of(virtual_service).to_string(), str::to_string);
                out.push((name, namespace));
            }
        }
    }
    out
}
