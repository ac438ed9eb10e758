//! ## What it does
//! Flags Ingresses without a `spec.tls` section, and Ingress hosts that no TLS
//! entry covers.
//!
//! ## Why is this bad
//! Without TLS the Ingress serves plain HTTP: session cookies, tokens and form
//! data cross the network in clear, and anyone on the path can read or alter
//! them.
//!
//! ## Example
//! ```yaml
//! kind: Ingress
//! spec:
//!   rules:
//!   - host: shop.example.com   # flagged: no tls entry for this host
//! ```
//! Use instead:
//! ```yaml
//! spec:
//!   tls:
//!   - {hosts: [shop.example.com], secretName: shop-tls}
//! ```
//!
//! ## References
//! Kubescape C-0263; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1040 (Network Sniffing).

use super::super::prelude::*;

/// How VG-N004 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Ingress",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let tls = list_of(spec, "tls");
    if tls.is_empty() {
        out.push(Violation::new(
            "spec.tls",
            key_pos(&resource.root, "spec"),
            format!(
                "Ingress {} has no tls section: it serves plain HTTP",
                resource.name
            ),
        ));
        return;
    }
    let covered: Vec<&str> = tls
        .iter()
        .flat_map(|entry| list_of(entry, "hosts"))
        .filter_map(Node::as_str)
        .collect();
    for (i, rule) in list_of(spec, "rules").iter().enumerate() {
        let Some(host) = rule.get("host").and_then(Node::as_str) else {
            continue;
        };
        if !covered.iter().any(|c| host_covered(c, host)) {
            out.push(Violation::new(
                format!("spec.rules[{i}].host"),
                key_pos(rule, "host"),
                format!("Ingress {} serves host {host} without TLS", resource.name),
            ));
        }
    }
}

/// Whether a TLS host (possibly `*.example.com`) covers a rule's host.
fn host_covered(tls_host: &str, host: &str) -> bool {
    match tls_host.strip_prefix("*.") {
        Some(domain) => host.split_once('.').is_some_and(|(_, rest)| rest == domain),
        None => tls_host == host,
    }
}
