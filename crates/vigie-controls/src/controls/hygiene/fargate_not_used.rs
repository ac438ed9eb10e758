//! ## What it does
//! Flags EKS nodes that are not AWS Fargate nodes (the label
//! `eks.amazonaws.com/compute-type` is not `fargate`), so that untrusted
//! workloads are not left to share EC2 nodes with the rest.
//!
//! ## Why is this bad
//! On shared EC2 nodes a container escape reaches the node's other pods and
//! its instance credentials. Fargate runs each pod in its own micro-VM with
//! its own kernel: untrusted or multi-tenant workloads belong there.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! metadata:
//!   labels: {eks.amazonaws.com/nodegroup: general}   # flagged: an EC2 node
//! ```
//! Use instead: a Fargate profile selecting the namespaces of untrusted
//! workloads; record EC2 node groups that host only trusted workloads as
//! exceptions.
//!
//! ## References
//! Kubescape C-0233; CIS EKS 3.3.1 (Fargate); MITRE ATT&CK T1611 (Escape to
//! Host). Nodes that do not belong to EKS are not judged.

use super::super::prelude::*;

pub(crate) const CONTROL: Control = Control {
    id: "VG-H007",
    title: "EKS node does not run on Fargate",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0233"],
        cis: &["EKS 3.3.1"],
        nsa: &[],
        mitre: &["T1611"],
    },
    remediation: "Run untrusted workloads on Fargate through a Fargate profile; record node groups that host only trusted workloads as exceptions.",
    doc: include_str!("fargate_not_used.rs"),
    evaluator: Evaluator::Object {
        applies: |r| r.kind == "Node",
        evaluate,
    },
};

const COMPUTE_TYPE: &str = "eks.amazonaws.com/compute-type";

/// Whether the node belongs to an EKS cluster: an EKS label, or an AWS
/// provider ID together with an EKS-built kubelet version.
fn is_eks(resource: &Resource) -> bool {
    let labels = resource.root.get_path(&["metadata", "labels"]);
    let eks_label = labels.and_then(Node::as_map).is_some_and(|entries| {
        entries
            .iter()
            .any(|e| e.key.starts_with("eks.amazonaws.com/"))
    });
    let kubelet = resource
        .root
        .get_path(&["status", "nodeInfo", "kubeletVersion"])
        .and_then(Node::as_str)
        .unwrap_or("");
    eks_label || kubelet.contains("-eks-")
}

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if !is_eks(resource) {
        return;
    }
    let labels = resource.root.get_path(&["metadata", "labels"]);
    let compute_type = labels
        .and_then(|l| l.get(COMPUTE_TYPE))
        .and_then(Node::as_str);
    if compute_type == Some("fargate") {
        return;
    }
    let metadata = resource.root.get("metadata").unwrap_or(Node::null());
    out.push(Violation::new(
        "metadata.labels",
        labels.map_or(metadata.pos, |_| key_pos(metadata, "labels")),
        format!(
            "EKS node {} is an EC2 node ({COMPUTE_TYPE} is {}), not Fargate",
            resource.name,
            compute_type.unwrap_or("unset")
        ),
    ));
}
