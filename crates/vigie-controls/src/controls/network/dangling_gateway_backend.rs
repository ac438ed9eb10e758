//! ## What it does
//! Flags Gateway API routes (`HTTPRoute`, `GRPCRoute`, `TLSRoute`, `TCPRoute`,
//! `UDPRoute`) whose `backendRefs` name a Service the input does not hold in
//! the backend's namespace (the route's own unless the reference names
//! another). References to other kinds of backends are not judged.
//!
//! ## Why is this bad
//! A route to a missing Service answers with errors, and whoever later
//! creates a Service of that name in the namespace receives the traffic
//! meant for the application: a takeover waiting to happen. It usually
//! remains from a renamed or removed application.
//!
//! ## Example
//! ```yaml
//! kind: HTTPRoute
//! spec:
//!   rules:
//!   - backendRefs:
//!     - {name: old-api, port: 8080}   # flagged when Service old-api does not exist
//! ```
//! Use instead: remove the rule, or deploy the Service it names.
//!
//! ## References
//! Kubescape C-0302; NSA/CISA "Network separation and hardening"; MITRE
//! ATT&CK T1133 (External Remote Services).

use super::super::prelude::*;
use super::topology::find_service;
use crate::controls::rbac::service_accounts::namespace_of;

/// The Gateway API route kinds whose rules carry `backendRefs`.
const ROUTE_KINDS: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

pub(crate) const CONTROL: Control = Control {
    id: "VG-N017",
    title: "Gateway API route to a missing Service",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0302"],
        cis: &[],
        nsa: &["Network separation and hardening"],
        mitre: &["T1133"],
    },
    remediation: "Remove the backend reference, or deploy the Service it names in its namespace.",
    doc: include_str!("dangling_gateway_backend.rs"),
    evaluator: Evaluator::Cluster {
        needs: &[
            "HTTPRoute",
            "GRPCRoute",
            "TLSRoute",
            "TCPRoute",
            "UDPRoute",
            "Service",
        ],
        evaluate,
    },
};

/// Whether a backend reference points at a core Service (the default).
fn is_service_ref(backend: &Node) -> bool {
    let field = |key: &str, default: &'static str| {
        backend.get(key).and_then(Node::as_str).unwrap_or(default)
    };
    field("group", "") == "" && field("kind", "Service") == "Service"
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, route) in inventory.of_kind(ROUTE_KINDS) {
        out.evaluated.push(i);
        let rules = route
            .root
            .get_path(&["spec", "rules"])
            .map(Node::items)
            .unwrap_or(&[]);
        for (r, rule) in rules.iter().enumerate() {
            let backends = rule.get("backendRefs").map(Node::items).unwrap_or(&[]);
            for (b, backend) in backends.iter().enumerate() {
                let Some(name) = backend.get("name").filter(|_| is_service_ref(backend)) else {
                    continue;
                };
                let namespace = backend
                    .get("namespace")
                    .and_then(Node::as_str)
                    .unwrap_or_else(|| namespace_of(route));
                let service = name.display_value();
                if find_service(*inventory, &service, namespace).is_none() {
                    out.violations.push((
                        i,
                        Violation::new(
                            format!("spec.rules[{r}].backendRefs[{b}].name"),
                            name.pos,
                            format!(
                                "{} {} routes to Service {service}, which namespace {namespace} does not hold",
                                route.kind, route.name
                            ),
                        ),
                    ));
                }
            }
        }
    }
}
