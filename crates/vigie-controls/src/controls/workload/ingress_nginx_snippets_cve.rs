//! ## What it does
//! Flags ingress-nginx controllers exposed to CVE-2021-25742: a version before
//! v1.9.0 (where snippet annotations are allowed by default) when no ConfigMap of
//! the controller's namespace sets `allow-snippet-annotations: "false"`.
//!
//! ## Why is this bad
//! Anyone allowed to create an Ingress can put NGINX configuration in a snippet
//! annotation, and through it read the controller's service account token,
//! which can read every Secret of the cluster.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! metadata: {namespace: ingress}
//! # ... image: registry.k8s.io/ingress-nginx/controller:v0.49.0   flagged
//! ```
//! Use instead: v1.9.0 or later, or set `allow-snippet-annotations: "false"` in
//! the controller's ConfigMap.
//!
//! ## References
//! Kubescape C-0059; NSA/CISA "Upgrading and application security practices";
//! MITRE ATT&CK T1552.007 (Container API), T1190 (Exploit Public-Facing
//! Application).

use super::super::prelude::*;
use super::helpers::{image_of, ImageRef};
use crate::controls::common::workload_pod;

/// How VG-W031 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Deployment", "DaemonSet", "StatefulSet", "Pod", "ConfigMap"],
    evaluate,
};

/// Names under which the controller image is published or mirrored.
fn is_nginx_controller(image: &str) -> bool {
    let repository = ImageRef::parse(image).repository;
    [
        "ingress-nginx",
        "nginx-controller",
        "nginx-ingress-controller",
    ]
    .iter()
    .any(|name| repository.contains(name))
}

/// `v1.2.3` (or `1.2`) as numbers; `None` for tags that are not versions.
fn version(tag: &str) -> Option<(u32, u32, u32)> {
    let core = tag.strip_prefix('v').unwrap_or(tag);
    let core = core.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let mitigated_namespaces: std::collections::HashSet<Option<&str>> = inventory
        .of_kind(&["ConfigMap"])
        .filter(|(_, cm)| {
            cm.root
                .get_path(&["data", "allow-snippet-annotations"])
                .and_then(Node::as_str)
                == Some("false")
        })
        .map(|(_, cm)| cm.namespace.as_deref())
        .collect();
    for (i, resource) in inventory.of_kind(&["Deployment", "DaemonSet", "StatefulSet", "Pod"]) {
        out.evaluated.push(i);
        let Some(pod) = workload_pod(resource) else {
            continue;
        };
        if mitigated_namespaces.contains(&resource.namespace.as_deref()) {
            continue;
        }
        for container in pod.containers() {
            let Some(image) = image_of(&container) else {
                continue;
            };
            if !is_nginx_controller(image) {
                continue;
            }
            let Some(tag) = ImageRef::parse(image).tag else {
                continue;
            };
            if version(tag).is_some_and(|v| v < (1, 9, 0)) {
                out.violations.push((
                    i,
                    Violation::new(
                        pod.container_path(&container, "image"),
                        key_pos(container.node, "image"),
                        format!(
                            "{} runs ingress-nginx {tag} with snippet annotations allowed (CVE-2021-25742)",
                            describe_container(&container)
                        ),
                    ),
                ));
            }
        }
    }
}
