//! ## What it does
//! Flags workloads of well-known administrative interfaces (Kubernetes
//! Dashboard, Argo Server, Jenkins, Kubeflow, NiFi, Weave Scope, model servers
//! such as vLLM), recognised by name, that a NodePort Service, or a
//! LoadBalancer Service that has an external address, exposes.
//!
//! ## Why is this bad
//! These interfaces run code or hold cluster credentials by design: an exposed
//! dashboard or CI server, often left with default or no authentication, is a
//! direct way into the cluster, and is routinely scanned for.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: NodePort
//!   selector: {app: kubernetes-dashboard}   # the dashboard's Deployment is flagged
//! ```
//! Use instead: a ClusterIP Service reached through `kubectl port-forward`, a
//! VPN or an authenticating proxy.
//!
//! ## References
//! Kubescape C-0021; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1133 (External Remote Services).

use std::collections::HashMap;

use super::super::prelude::*;
use super::topology::{service_type, workload_violation, workloads_selected_by_service};
use crate::controls::rbac::service_accounts::WORKLOAD_KINDS;

/// How VG-N011 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["Service"],
    evaluate,
};

/// Name fragments of interfaces that should not face the internet.
// TODO(config): make this a `sensitiveInterfaces` setting (Kubescape's input of
// the same name) once config.rs has it.
const SENSITIVE_INTERFACES: &[&str] = &[
    "nifi",
    "argo-server",
    "weave-scope-app",
    "kubeflow",
    "kubernetes-dashboard",
    "jenkins",
    "prometheus-deployment",
    "vllm",
];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let sensitive = |workload: &Resource| {
        SENSITIVE_INTERFACES
            .iter()
            .find(|s| workload.name.contains(*s))
    };
    // From the Services' side, and only when some workload is sensitive: the
    // first Service (in input order) reachable from outside that selects a
    // workload is the one reported for it.
    let mut exposing: HashMap<usize, &Resource> = HashMap::new();
    if inventory
        .of_kind(WORKLOAD_KINDS)
        .any(|(_, w)| sensitive(w).is_some())
    {
        for (_, service) in inventory.of_kind(&["Service"]) {
            if !reachable_from_outside(service) {
                continue;
            }
            for (i, _) in workloads_selected_by_service(*inventory, service) {
                exposing.entry(i).or_insert(service);
            }
        }
    }
    for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
        out.evaluated.push(i);
        let Some(interface) = sensitive(workload) else {
            continue;
        };
        if let Some(service) = exposing.get(&i) {
            out.violations.push((
                i,
                workload_violation(
                    workload,
                    format_args!(
                        "({interface}) is exposed through {} Service {}",
                        service_type(service),
                        service.name
                    ),
                ),
            ));
        }
    }
}

/// A NodePort, or a LoadBalancer the provider gave an external address.
fn reachable_from_outside(service: &Resource) -> bool {
    match service_type(service) {
        "NodePort" => true,
        "LoadBalancer" => service
            .root
            .get_path(&["status", "loadBalancer", "ingress"])
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .any(|address| address.get("ip").is_some() || address.get("hostname").is_some()),
        _ => false,
    }
}
