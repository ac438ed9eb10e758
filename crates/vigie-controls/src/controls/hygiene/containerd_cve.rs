//! ## What it does
//! Flags nodes whose container runtime is a containerd release affected by
//! CVE-2022-23648: before 1.4.13, 1.5.0 to 1.5.9, and 1.6.0
//! (`status.nodeInfo.containerRuntimeVersion`).
//!
//! ## Why is this bad
//! A crafted image configuration makes these releases copy arbitrary files of
//! the node into the container when it starts: an image from an untrusted
//! registry can read the node's Secrets, kubelet credentials and keys.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! status:
//!   nodeInfo: {containerRuntimeVersion: "containerd://1.5.9"}   # flagged
//! ```
//! Use instead: containerd 1.4.13, 1.5.10, 1.6.1 or later.
//!
//! ## References
//! Kubescape C-0087; MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;

/// How VG-H006 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Node",
    evaluate,
};

/// `[major, minor, patch]` of `1.5.9`, `v1.6.0-rc.1`.
fn release(text: &str) -> Option<[u64; 3]> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let mut parts = text.split(['-', '+']).next()?.split('.');
    let mut next = || parts.next().map_or(Some(0), |p| p.parse().ok());
    Some([next()?, next()?, next()?])
}

fn vulnerable([major, minor, patch]: [u64; 3]) -> bool {
    match (major, minor) {
        (0, _) => true,
        (1, 0..=4) => minor < 4 || patch < 13,
        (1, 5) => patch < 10,
        (1, 6) => patch < 1,
        _ => false,
    }
}

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let Some(node_info) = resource.root.get_path(&["status", "nodeInfo"]) else {
        return;
    };
    let Some(runtime) = node_info
        .get("containerRuntimeVersion")
        .and_then(Node::as_str)
    else {
        return;
    };
    let Some(version) = runtime.strip_prefix("containerd://") else {
        return;
    };
    if release(version).is_some_and(vulnerable) {
        out.push(Violation::new(
            "status.nodeInfo.containerRuntimeVersion",
            key_pos(node_info, "containerRuntimeVersion"),
            format!(
                "node {} runs containerd {version}, vulnerable to CVE-2022-23648 (fixed in 1.4.13, 1.5.10, 1.6.1)",
                resource.name
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::{release, vulnerable};

    #[test]
    fn affected_releases() {
        for v in ["1.4.12", "1.3.0", "1.5.0", "1.5.9", "1.6.0"] {
            assert!(vulnerable(release(v).unwrap()), "{v}");
        }
        for v in ["1.4.13", "1.5.10", "1.6.1", "1.7.0", "2.0.0"] {
            assert!(!vulnerable(release(v).unwrap()), "{v}");
        }
    }
}
