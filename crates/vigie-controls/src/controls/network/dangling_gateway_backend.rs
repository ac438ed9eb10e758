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
use super::gateway_api::{service_backends, ROUTE_KINDS};
use super::topology::find_service;

/// How VG-N017 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &[
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "UDPRoute",
        "Service",
    ],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, route) in inventory.of_kind(ROUTE_KINDS) {
        out.evaluated.push(i);
        for backend in service_backends(route) {
            let (service, namespace) = (backend.name.display_value(), backend.namespace);
            if find_service(*inventory, &service, namespace).is_none() {
                out.violations.push((
                    i,
                    Violation::new(
                        backend.path,
                        backend.name.pos,
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
