//! ## What it does
//! Flags Ingresses that route to a Service that is not in the input, in the
//! Ingress's namespace (rule paths and `defaultBackend`).
//!
//! ## Why is this bad
//! The route answers with errors today; tomorrow, whoever creates a Service of
//! that name in the namespace receives the Ingress's public traffic, TLS
//! terminated and all, without anyone reviewing that exposure.
//!
//! ## Example
//! ```yaml
//! kind: Ingress
//! spec:
//!   defaultBackend:
//!     service: {name: old-frontend, port: {number: 80}}   # flagged: no Service old-frontend
//! ```
//! Use instead: remove routes to retired Services, or deploy the Service with
//! the Ingress.
//!
//! ## References
//! Kubescape C-0298; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1133 (External Remote Services).

use super::super::prelude::*;
use super::topology::{find_service, ingress_backends};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N007 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Ingress", "Service"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, ingress) in inventory.of_kind(&["Ingress"]) {
        out.evaluated.push(i);
        let namespace = namespace_of(ingress);
        for (path, name) in ingress_backends(ingress) {
            let service = name.display_value();
            if find_service(*inventory, &service, namespace).is_none() {
                out.violations.push((
                    i,
                    Violation::new(
                        path,
                        name.pos,
                        format!(
                            "Ingress {} routes to Service {service}, which namespace {namespace} does not hold",
                            ingress.name
                        ),
                    ),
                ));
            }
        }
    }
}
