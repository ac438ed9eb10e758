//! ## What it does
//! Flags a ConfigMap holding a `KubeProxyConfiguration` whose
//! `metricsBindAddress` is not a loopback address. A missing or empty value is
//! kube-proxy's default, `127.0.0.1:10249`, and passes.
//!
//! ## Why is this bad
//! kube-proxy runs on every node with host networking. Bound to all interfaces,
//! its metrics endpoint is served, without authentication, on every node's
//! address, telling anyone on the network about the cluster's Services and
//! endpoints.
//!
//! ## Example
//! ```yaml
//! kind: ConfigMap
//! metadata: {name: kube-proxy, namespace: kube-system}
//! data:
//!   config.conf: |
//!     kind: KubeProxyConfiguration
//!     metricsBindAddress: 0.0.0.0:10249   # flagged
//! ```
//! Use instead: `metricsBindAddress: 127.0.0.1:10249` (scrape the metrics
//! through a local agent, or leave the field out).
//!
//! ## References
//! Kubescape C-0291; CIS 4.3.1; NSA/CISA "Network separation and hardening";
//! MITRE ATT&CK T1046.

use super::super::prelude::*;
use std::net::IpAddr;

use vigie_resource::{parse_documents, Entry, Value};

/// How VG-C041 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "ConfigMap" && proxy_configs(r).next().is_some(),
    evaluate,
};

/// The `data` entries of a ConfigMap that hold a kube-proxy configuration.
fn proxy_configs(resource: &Resource) -> impl Iterator<Item = &Entry> {
    resource
        .root
        .get("data")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        // A cheap test first: most ConfigMaps are not kube-proxy's.
        .filter(|e| {
            e.value
                .as_str()
                .is_some_and(|text| text.contains("KubeProxyConfiguration"))
        })
}

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    for entry in proxy_configs(resource) {
        let text = entry.value.as_str().unwrap_or("");
        for document in parse_documents(text).into_iter().flatten() {
            let root = &document.root;
            if root.get("kind").and_then(Node::as_str) != Some("KubeProxyConfiguration") {
                continue;
            }
            let address = match root.get("metricsBindAddress").map(|n| &n.value) {
                Some(Value::String(address)) => address.trim(),
                _ => continue, // absent or null: the loopback default
            };
            if address.is_empty() || is_loopback(address) {
                continue;
            }
            out.push(Violation::new(
                format!("data[{}]", entry.key),
                entry.key_pos,
                format!(
                    "kube-proxy configuration `{}` sets metricsBindAddress: {address}, which serves metrics beyond the node's loopback interface",
                    entry.key
                ),
            ));
        }
    }
}

/// Whether a `host:port` (or bare host) address is on the loopback interface.
fn is_loopback(address: &str) -> bool {
    let is_loopback_ip = |text: &str| text.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if is_loopback_ip(address) {
        return true; // a bare `::1` or `127.0.0.1`
    }
    let host = match address.rsplit_once(':') {
        // `[::1]:10249`, `127.0.0.1:10249`, `localhost:10249`
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => address,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || is_loopback_ip(host)
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_addresses() {
        for address in [
            "127.0.0.1:10249",
            "127.0.0.2",
            "::1",
            "[::1]:10249",
            "localhost:1",
        ] {
            assert!(is_loopback(address), "{address}");
        }
        for address in ["0.0.0.0:10249", "10.0.0.1:10249", "[::]:10249", ":10249"] {
            assert!(!is_loopback(address), "{address}");
        }
    }
}
