//! ## What it does
//! Flags workloads that a Service exposes on an SSH port: `port` or
//! `targetPort` 22 or 2222.
//!
//! ## Why is this bad
//! An SSH server in a container is a second, unaudited way in: it bypasses the
//! API server's authentication, RBAC and audit log, and its keys or passwords
//! are one more secret to leak. Containers should be entered, when at all,
//! with `kubectl exec`.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   selector: {app: legacy}
//!   ports: [{port: 22}]   # the workload with app=legacy is flagged
//! ```
//! Use instead: no SSH daemon in images; `kubectl exec` or `kubectl debug`
//! under RBAC for interactive access.
//!
//! ## References
//! Kubescape C-0042; NSA/CISA "Pod security"; MITRE ATT&CK T1021.004 (Remote
//! Services: SSH).

use super::super::prelude::*;
use super::topology::{service_ports, workload_violation, workloads_selected_by_service};
use crate::controls::rbac::service_accounts::WORKLOAD_KINDS;

/// How VG-N012 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["Service"],
    evaluate,
};

const SSH_PORTS: &[i64] = &[22, 2222];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    // From the Services' side: the first Service (in input order) that exposes
    // a workload on an SSH port is the one reported for it.
    let mut exposed: std::collections::HashMap<usize, (&Resource, i64)> = Default::default();
    for (_, service) in inventory.of_kind(&["Service"]) {
        let Some(port) = ssh_port(service) else {
            continue;
        };
        for (i, _) in workloads_selected_by_service(*inventory, service) {
            exposed.entry(i).or_insert((service, port));
        }
    }
    for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
        out.evaluated.push(i);
        if let Some((service, port)) = exposed.get(&i) {
            out.violations.push((
                i,
                workload_violation(
                    workload,
                    format_args!("is exposed on SSH port {port} by Service {}", service.name),
                ),
            ));
        }
    }
}

/// The first SSH port a Service listens on or targets.
fn ssh_port(service: &Resource) -> Option<i64> {
    service_ports(service).iter().find_map(|port| {
        ["port", "targetPort"].iter().find_map(|field| {
            port.get(field)
                .and_then(Node::as_i64)
                .filter(|n| SSH_PORTS.contains(n))
        })
    })
}
