//! ## What it does
//! Flags workloads whose pods use the node's network namespace (`hostNetwork: true`).
//!
//! ## Why is this bad
//! A pod on the host network sees every interface of the node, can listen on
//! its ports and reach services bound to the node's loopback (the kubelet's
//! local endpoints, node agents), and its traffic bypasses NetworkPolicies.
//! A compromise of the pod is a foothold on the node's network.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostNetwork: true   # flagged
//! ```
//! Use instead: leave `hostNetwork` unset and expose ports through a Service;
//! keep host networking to node agents (CNI, kube-proxy) in system namespaces.
//!
//! ## References
//! Kubescape C-0041; CIS 5.2.5; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use super::helpers::pod_field;
use crate::controls::common::pod_evaluator;

/// How VG-W047 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    if pod.spec().get("hostNetwork").is_some_and(Node::is_true) {
        out.push(pod_field(
            pod,
            "hostNetwork",
            "hostNetwork is true: the pod shares the node's network namespace".to_string(),
        ));
    }
}
