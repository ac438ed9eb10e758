//! ## What it does
//! Flags every node of a cluster in which no node is an AWS Fargate node
//! (a node whose name starts with `fargate` or whose label
//! `eks.amazonaws.com/compute-type` is `fargate`): untrusted workloads have
//! nowhere to run but shared nodes. When some node is a Fargate node, nothing
//! is flagged.
//!
//! ## Why is this bad
//! On shared nodes a container escape reaches the node's other pods and its
//! instance credentials. Fargate runs each pod in its own micro-VM with its
//! own kernel: untrusted or multi-tenant workloads belong there.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! metadata: {name: ip-10-0-1-12.ec2.internal}   # flagged when no node is a Fargate node
//! ```
//! Use instead: a Fargate profile selecting the namespaces of untrusted
//! workloads (or another sandbox, VG-W046); record clusters that run only
//! trusted workloads as exceptions.
//!
//! ## References
//! Kubescape C-0233; CIS EKS 3.3.1 (Fargate); MITRE ATT&CK T1611 (Escape to
//! Host).

use super::super::prelude::*;

/// How VG-H007 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Node"],
    evaluate,
};

const COMPUTE_TYPE: &str = "eks.amazonaws.com/compute-type";

/// Whether a node is a Fargate micro-VM (EKS names them `fargate-...`).
fn is_fargate(node: &Resource) -> bool {
    node.name.starts_with("fargate")
        || node
            .root
            .get_path(&["metadata", "labels", COMPUTE_TYPE])
            .and_then(Node::as_str)
            == Some("fargate")
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let nodes: Vec<(usize, &Resource)> = inventory.of_kind(&["Node"]).collect();
    out.evaluated.extend(nodes.iter().map(|(i, _)| *i));
    if nodes.iter().any(|(_, node)| is_fargate(node)) {
        return;
    }
    for (i, node) in nodes {
        let metadata = node.root.get("metadata").unwrap_or(Node::null());
        out.violations.push((
            i,
            Violation::new(
                "metadata.name",
                key_pos(metadata, "name"),
                format!(
                    "node {} is a shared node and no node of the cluster runs on Fargate",
                    node.name
                ),
            ),
        ));
    }
}
