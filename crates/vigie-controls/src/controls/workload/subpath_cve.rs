//! ## What it does
//! Flags workloads whose containers mount volumes with `subPath` or
//! `subPathExpr` when a Node of the input runs a kubelet affected by
//! CVE-2021-25741 (before v1.19.15, v1.20.0 to v1.20.10, v1.21.0 to v1.21.4,
//! v1.22.0 to v1.22.1). Without Node objects, nothing is flagged.
//!
//! ## Why is this bad
//! On those kubelets a container can replace a subPath's target with a symlink
//! and have the kubelet mount any file or directory of the node into it,
//! including the node's root filesystem.
//!
//! ## Example
//! ```yaml
//! volumeMounts:
//! - {name: data, mountPath: /var/lib/mysql, subPath: mysql}   # flagged on a v1.21.2 node
//! ```
//! Use instead: upgrade the nodes; until then, avoid subPath mounts from volumes
//! writable by untrusted containers.
//!
//! ## References
//! Kubescape C-0058; NSA/CISA "Upgrading and application security practices";
//! MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::workload_pod;

/// How VG-W032 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &KINDS,
    evaluate,
};

/// The nodes, whose kubelet version tells whether the cluster is affected,
/// then the workload kinds the control judges.
const KINDS: [&str; 8] = [
    "Node",
    "Pod",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];

/// Whether a kubelet version (`v1.21.2`, `v1.21.2-eks-0389ca3`) is affected.
fn is_vulnerable(version: &str) -> bool {
    let core = version
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()
        .unwrap_or("");
    let numbers: Vec<u32> = core.split('.').filter_map(|p| p.parse().ok()).collect();
    let [1, minor, patch] = numbers[..] else {
        return false;
    };
    match minor {
        0..=18 => true,
        19 => patch < 15,
        20 => patch <= 10,
        21 => patch <= 4,
        22 => patch <= 1,
        _ => false,
    }
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let vulnerable_node = inventory.of_kind(&["Node"]).find_map(|(_, node)| {
        node.root
            .get_path(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(Node::as_str)
            .filter(|v| is_vulnerable(v))
            .map(|v| (node.name.clone(), v.to_string()))
    });
    for (i, resource) in inventory.of_kind(&KINDS[1..]) {
        out.evaluated.push(i);
        let (Some((node, version)), Some(pod)) = (&vulnerable_node, workload_pod(resource)) else {
            continue;
        };
        for container in pod.containers() {
            let mounts = list_of(container.node, "volumeMounts");
            for (m, mount) in mounts.iter().enumerate() {
                let Some(key) = ["subPath", "subPathExpr"]
                    .into_iter()
                    .find(|k| mount.get(k).is_some())
                else {
                    continue;
                };
                out.violations.push((
                    i,
                    Violation::new(
                        pod.container_path(&container, &format!("volumeMounts[{m}].{key}")),
                        key_pos(mount, key),
                        format!(
                            "{} mounts with {key} while node {node} runs kubelet {version} (CVE-2021-25741)",
                            describe_container(&container)
                        ),
                    ),
                ));
            }
        }
    }
}
