//! ## What it does
//! Flags Services of type `NodePort` or `LoadBalancer`.
//!
//! ## Why is this bad
//! A NodePort opens the same port on every node, on every node address,
//! outside the control of Ingress authentication and TLS; a LoadBalancer
//! usually gets a public address from the cloud provider. Both bypass the
//! single, reviewed entry point a cluster should have.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: NodePort   # flagged
//! ```
//! Use instead: `type: ClusterIP` behind an Ingress or Gateway; for a load
//! balancer that must exist, the provider's internal annotation and
//! `loadBalancerSourceRanges`.
//!
//! ## References
//! Kubescape C-0256; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1133 (External Remote Services).

use super::super::prelude::*;
use super::topology::{is_external, service_type};

/// How VG-N002 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Service",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if !is_external(resource) {
        return;
    }
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let ranges = list_of(spec, "loadBalancerSourceRanges");
    let reach = match service_type(resource) {
        "NodePort" => "on a port of every node".to_string(),
        _ if !ranges.is_empty() => format!(
            "through a load balancer open to {}",
            ranges
                .iter()
                .map(Node::display_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "through a load balancer open to any address".to_string(),
    };
    out.push(Violation::new(
        "spec.type",
        key_pos(spec, "type"),
        format!(
            "Service {} (type {}) is reachable {reach}",
            resource.name,
            service_type(resource)
        ),
    ));
}
