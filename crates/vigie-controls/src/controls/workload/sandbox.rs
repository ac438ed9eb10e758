//! Shared by the Agent Sandbox controls: the `SandboxTemplate` objects of the
//! Kubernetes agent-sandbox project, whose `spec.podTemplate` is the pod every
//! sandbox of the template runs (read through [`workload_pod`]).

use super::super::prelude::*;
use super::helpers::{parse_quantity, quantity_of};
use crate::controls::common::workload_pod;

/// The kind of the Agent Sandbox templates.
pub(crate) const SANDBOX_TEMPLATE: &str = "SandboxTemplate";

/// Whether the object is an Agent Sandbox template.
pub(crate) fn is_sandbox_template(resource: &Resource) -> bool {
    resource.kind == SANDBOX_TEMPLATE
}

/// Flags each container of a sandbox template without a `resource` limit
/// (`cpu`, `memory`), or whose limit exceeds the first of `ceiling` (a
/// quantity; none: any value).
pub(crate) fn check_limit(
    resource: &Resource,
    name: &str,
    ceiling: &[String],
    out: &mut Vec<Violation>,
) {
    let Some(pod) = workload_pod(resource) else {
        return;
    };
    let ceiling = ceiling
        .first()
        .and_then(|c| parse_quantity(c).map(|q| (c, q)));
    for container in pod.containers() {
        let who = describe_container(&container);
        let limits = container.node.get_path(&["resources", "limits"]);
        match limits.and_then(|l| l.get(name)) {
            None => out.push(Violation::new(
                pod.container_path(&container, &format!("resources.limits.{name}")),
                container.node.pos,
                format!(
                    "{who} of SandboxTemplate {} sets no {name} limit",
                    resource.name
                ),
            )),
            Some(limit) => {
                let Some((text, max)) = &ceiling else {
                    continue;
                };
                if quantity_of(limit).is_some_and(|value| value > *max) {
                    out.push(Violation::new(
                        pod.container_path(&container, &format!("resources.limits.{name}")),
                        limit.pos,
                        format!(
                            "{who} of SandboxTemplate {} has a {name} limit of {}, above the ceiling {text}",
                            resource.name,
                            limit.as_str().map_or_else(|| limit.display_value(), str::to_string)
                        ),
                    ));
                }
            }
        }
    }
}
