//! ## What it does
//! On EKS: flags LoadBalancer Services that listen on port 443 without an
//! `service.beta.kubernetes.io/aws-load-balancer-ssl-cert` annotation, so the
//! AWS load balancer does not terminate TLS with a managed certificate.
//!
//! ## Why is this bad
//! Without the certificate annotation the load balancer passes port 443 through
//! as plain TCP: either the pods terminate TLS with certificates managed by
//! hand, or the "HTTPS" port serves clear text.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: LoadBalancer
//!   ports: [{port: 443, targetPort: 8080}]   # flagged: no aws-load-balancer-ssl-cert
//! ```
//! Use instead: `service.beta.kubernetes.io/aws-load-balancer-ssl-cert: <ACM
//! certificate ARN>` (with `aws-load-balancer-ssl-ports: "443"`).
//!
//! ## References
//! Kubescape C-0231; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1040 (Network Sniffing).

use super::super::prelude::*;
use super::topology::{service_ports, service_type};
use crate::controls::common::metadata_keys;

/// How VG-N010 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Service",
    evaluate,
};

const SSL_CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if service_type(resource) != "LoadBalancer" {
        return;
    }
    let has_cert = metadata_keys(resource, "annotations").any(|key| key.starts_with(SSL_CERT));
    if has_cert {
        return;
    }
    for (i, port) in service_ports(resource).iter().enumerate() {
        if port.get("port").and_then(Node::as_i64) == Some(443) {
            out.push(Violation::new(
                format!("spec.ports[{i}].port"),
                key_pos(port, "port"),
                format!(
                    "LoadBalancer Service {} listens on 443 without a {SSL_CERT} annotation",
                    resource.name
                ),
            ));
        }
    }
}
