//! ## What it does
//! Flags Services that set `spec.externalIPs`.
//!
//! ## Why is this bad
//! kube-proxy routes traffic for any listed external IP to the Service, without
//! checking who owns the address. Anyone who may create Services can list the
//! address of another service, inside or outside the cluster, and intercept its
//! traffic (CVE-2020-8554).
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   externalIPs: [203.0.113.10]   # flagged
//! ```
//! Use instead: a LoadBalancer Service, or an Ingress; enable the
//! `DenyServiceExternalIPs` admission plugin.
//!
//! ## References
//! CIS 1.2.3 (DenyServiceExternalIPs); NSA/CISA "Network separation and
//! hardening"; MITRE ATT&CK T1557 (Adversary-in-the-Middle).

use super::super::prelude::*;

/// How VG-N003 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Service",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let ips = list_of(spec, "externalIPs");
    if ips.is_empty() {
        return;
    }
    out.push(Violation::new(
        "spec.externalIPs",
        key_pos(spec, "externalIPs"),
        format!(
            "Service {} claims external IPs {}",
            resource.name,
            ips.iter()
                .map(Node::display_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
}
