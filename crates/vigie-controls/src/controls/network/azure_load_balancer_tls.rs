//! ## What it does
//! On AKS, where HTTPS should enter through Application Gateway: flags
//! LoadBalancer Services that are not internal (annotation
//! `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`), and,
//! when such an internal load balancer exists, Ingresses without TLS or served
//! by another class than `azure/application-gateway`.
//!
//! ## Why is this bad
//! An Azure public load balancer works at layer 4: it cannot terminate TLS or
//! filter requests. Traffic should reach the cluster through Application
//! Gateway, which holds the certificates and the web application firewall, and
//! the cluster's own load balancer should stay internal.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: LoadBalancer   # flagged: no azure-load-balancer-internal annotation
//! ```
//! Use instead: the internal annotation on the Service, and an Ingress of class
//! `azure/application-gateway` with a `tls` section.
//!
//! ## References
//! Kubescape C-0245; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1040 (Network Sniffing).

use super::super::prelude::*;

/// How VG-N009 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Service", "Ingress"],
    evaluate,
};

const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
const INGRESS_CLASS: &str = "kubernetes.io/ingress.class";
const APPLICATION_GATEWAY: &str = "azure/application-gateway";

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let mut internal_exists = false;
    for (i, service) in inventory.of_kind(&["Service"]) {
        out.evaluated.push(i);
        let spec = service.root.get("spec").unwrap_or(Node::null());
        if spec.get("type").and_then(Node::as_str) != Some("LoadBalancer") {
            continue;
        }
        let annotations = service.root.get_path(&["metadata", "annotations"]);
        match service.annotation(INTERNAL) {
            Some("true") => internal_exists = true,
            Some(other) => out.violations.push((
                i,
                Violation::new(
                    format!("metadata.annotations[{INTERNAL}]"),
                    annotations.map_or(service.pos, |a| key_pos(a, INTERNAL)),
                    format!(
                        "LoadBalancer Service {} sets {INTERNAL}: {other}: it is public",
                        service.name
                    ),
                ),
            )),
            None => out.violations.push((
                i,
                Violation::new(
                    "spec.type",
                    key_pos(spec, "type"),
                    format!(
                        "LoadBalancer Service {} is public: no {INTERNAL} annotation",
                        service.name
                    ),
                ),
            )),
        }
    }
    for (i, ingress) in inventory.of_kind(&["Ingress"]) {
        out.evaluated.push(i);
        if !internal_exists {
            continue;
        }
        let spec = ingress.root.get("spec").unwrap_or(Node::null());
        if list_of(spec, "tls").is_empty() {
            out.violations.push((
                i,
                Violation::new(
                    "spec.tls",
                    key_pos(&ingress.root, "spec"),
                    format!("Ingress {} has no tls section", ingress.name),
                ),
            ));
        } else if let Some(class) = ingress
            .annotation(INGRESS_CLASS)
            .filter(|c| *c != APPLICATION_GATEWAY)
        {
            let annotations = ingress
                .root
                .get_path(&["metadata", "annotations"])
                .unwrap_or(Node::null());
            out.violations.push((
                i,
                Violation::new(
                    format!("metadata.annotations[{INGRESS_CLASS}]"),
                    key_pos(annotations, INGRESS_CLASS),
                    format!(
                        "Ingress {} is served by {class}, not {APPLICATION_GATEWAY}",
                        ingress.name
                    ),
                ),
            ));
        }
    }
}
