//! ## What it does
//! Flags nodes whose kubelet (`status.nodeInfo.kubeletVersion`) is older than
//! the `oldestSupportedKubernetes` setting (by default 1.32): a release the
//! Kubernetes project no longer patches.
//!
//! ## Why is this bad
//! Upstream maintains the three newest minor releases. An older node gets no
//! fixes for the vulnerabilities found in the kubelet, the container runtime
//! interface or the API server it runs with, and falls behind the security
//! features (user namespaces, bound tokens) newer releases bring.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! status:
//!   nodeInfo: {kubeletVersion: v1.27.4}   # flagged
//! ```
//! Use instead: upgrade the control plane and the nodes to a supported
//! release; raise the setting as releases reach end of life.
//!
//! ## References
//! Kubescape C-0273; NSA/CISA "Upgrading and application security practices";
//! MITRE ATT&CK T1190 (Exploit Public-Facing Application).

use super::super::prelude::*;

/// How VG-H005 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Node",
    evaluate,
};

/// `(major, minor)` of `v1.29.3`, `1.30`, `v1.28.5-eks-5e0fdde`.
pub(crate) fn minor_version(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let mut parts = text.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    let Some(oldest) = config
        .oldest_supported_kubernetes
        .first()
        .and_then(|v| minor_version(v))
    else {
        return;
    };
    let Some(node_info) = resource.root.get_path(&["status", "nodeInfo"]) else {
        return;
    };
    let Some(version) = node_info.get("kubeletVersion").and_then(Node::as_str) else {
        return;
    };
    if minor_version(version).is_some_and(|v| v < oldest) {
        out.push(Violation::new(
            "status.nodeInfo.kubeletVersion",
            key_pos(node_info, "kubeletVersion"),
            format!(
                "node {} runs kubelet {version}, older than the oldest supported release {}.{}",
                resource.name, oldest.0, oldest.1
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::minor_version;

    #[test]
    fn versions_read_with_or_without_prefix_and_suffix() {
        assert_eq!(minor_version("v1.29.3"), Some((1, 29)));
        assert_eq!(minor_version("1.30"), Some((1, 30)));
        assert_eq!(minor_version("v1.28.5-eks-5e0fdde"), Some((1, 28)));
        assert_eq!(minor_version("unknown"), None);
    }
}
