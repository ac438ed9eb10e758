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

pub(crate) const CONTROL: Control = Control {
    id: "VG-N003",
    title: "Service with external IPs",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &[],
        cis: &["1.2.3"],
        nsa: &["Network separation and hardening"],
        mitre: &["T1557"],
    },
    remediation: "Remove spec.externalIPs; use a LoadBalancer Service or an Ingress, and enable the DenyServiceExternalIPs admission plugin.",
    doc: include_str!("external_ips.rs"),
    evaluator: Evaluator::Object {
        applies: |r| r.kind == "Service",
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let ips = spec.get("externalIPs").map(Node::items).unwrap_or(&[]);
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
