//! ## What it does
//! Flags workloads reachable from outside the cluster: a NodePort or
//! LoadBalancer Service selects their pods, or an Ingress routes to a Service
//! that does.
//!
//! ## Why is this bad
//! Exposure is not a flaw in itself, but each externally reachable workload is
//! part of the attack surface: it must authenticate its callers, be patched
//! first and be watched. Exposure nobody decided on is how internal dashboards
//! and databases end up on the internet.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: LoadBalancer
//!   selector: {app: admin}   # the Deployment whose pods carry app=admin is flagged
//! ```
//! Use instead: a ClusterIP Service, with exposure through one reviewed Ingress
//! or gateway; record intentionally public workloads as exceptions.
//!
//! ## References
//! Kubescape C-0256; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1133 (External Remote Services).

use super::super::prelude::*;
use super::topology::{
    find_service, ingress_backends, is_external, report_reachable, service_ports, service_type,
    workloads_selected_by_service,
};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N001 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["Service", "Ingress"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let mut exposed: Vec<(usize, String)> = Vec::new();
    for (_, service) in inventory.of_kind(&["Service"]) {
        if !is_external(service) {
            continue;
        }
        for (i, workload) in workloads_selected_by_service(*inventory, service) {
            if target_port_resolves(service, workload) {
                exposed.push((
                    i,
                    format!("Service {} ({})", service.name, service_type(service)),
                ));
            }
        }
    }
    for (_, ingress) in inventory.of_kind(&["Ingress"]) {
        let namespace = namespace_of(ingress);
        for (_, name) in ingress_backends(ingress) {
            let Some(service) = name
                .as_str()
                .and_then(|name| find_service(*inventory, name, namespace))
            else {
                continue;
            };
            // Already reported through the Service itself.
            if is_external(service) {
                continue;
            }
            for (i, _) in workloads_selected_by_service(*inventory, service) {
                exposed.push((
                    i,
                    format!("Ingress {} and Service {}", ingress.name, service.name),
                ));
            }
        }
    }
    exposed.sort();
    exposed.dedup();
    report_reachable(*inventory, exposed, out);
}

/// Whether some port of the Service reaches the pods: a numeric (or absent)
/// `targetPort`, or a named one that a container declares.
fn target_port_resolves(service: &Resource, workload: &Resource) -> bool {
    service_ports(service)
        .iter()
        .any(|port| match port.get("targetPort") {
            Some(target) if target.as_str().is_some() => {
                crate::controls::common::workload_pod(workload).is_some_and(|pod| {
                    pod.containers().any(|c| {
                        list_of(c.node, "ports")
                            .iter()
                            .any(|p| p.get("name").and_then(Node::as_str) == target.as_str())
                    })
                })
            }
            _ => true,
        })
}
