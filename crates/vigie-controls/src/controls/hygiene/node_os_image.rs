//! ## What it does
//! Flags Nodes (as `kubectl get nodes -o yaml` prints them) whose operating system
//! image is a general-purpose distribution rather than one built to run containers:
//! Bottlerocket, Container-Optimized OS, Flatcar Container Linux, Fedora CoreOS or
//! Talos.
//!
//! ## Why is this bad
//! A general-purpose distribution ships package managers, shells, compilers and
//! services a node never needs, each one more to patch and more for an intruder
//! who escapes a container to use. Container-optimized images are minimal,
//! mostly read-only and updated as a whole.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! status:
//!   nodeInfo:
//!     osImage: Ubuntu 22.04.4 LTS   # flagged
//! ```
//! Use instead: a node image such as Bottlerocket or Container-Optimized OS where
//! the platform offers one.
//!
//! ## References
//! Kubescape C-0226; CIS EKS 3.3.1; NSA/CISA "Kubernetes Pod security"
//! (minimal host images); MITRE ATT&CK T1611.

use super::super::prelude::*;

/// How VG-H003 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Node",
    evaluate,
};

/// Names container-optimized images report in `status.nodeInfo.osImage`.
const CONTAINER_OPTIMIZED: [&str; 5] = [
    "Bottlerocket",
    "Container-Optimized OS",
    "Flatcar Container Linux",
    "Fedora CoreOS",
    "Talos",
];

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let Some(node_info) = resource.root.get_path(&["status", "nodeInfo"]) else {
        return;
    };
    let Some(os_image) = node_info.get("osImage").and_then(Node::as_str) else {
        return;
    };
    if !CONTAINER_OPTIMIZED
        .iter()
        .any(|name| os_image.contains(name))
    {
        out.push(Violation::new(
            "status.nodeInfo.osImage",
            key_pos(node_info, "osImage"),
            format!("node {} runs {os_image}", resource.name),
        ));
    }
}
