//! Who can do what: RBAC bindings resolved to the rules they grant.

use vigie_resource::{Node, Resource};

use crate::control::Inventory;
use crate::pod::Subject;

/// One rule of one role, granted to one subject by one binding.
#[derive(Clone, Debug)]
pub(crate) struct Grant<'a> {
    /// Inventory index of the binding.
    pub binding: usize,
    /// Inventory index of the role, when the inventory holds it.
    pub role: usize,
    pub subject: Subject,
    pub rule: &'a Node,
}

const BINDINGS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];

/// Every (subject, rule) pair the bindings of the inventory grant. A binding
/// whose role is not in the inventory grants nothing we can see.
pub(crate) fn grants<'a>(inventory: Inventory<'a>) -> Vec<Grant<'a>> {
    let mut out = Vec::new();
    for (binding_index, binding) in inventory.of_kind(BINDINGS) {
        let Some(role_index) = bound_role(inventory, binding) else {
            continue;
        };
        let role = &inventory.resources[role_index];
        let subjects = binding.root.get("subjects").map(Node::items).unwrap_or(&[]);
        for subject in subjects.iter().filter_map(|s| subject(s, binding)) {
            for rule in role.root.get("rules").map(Node::items).unwrap_or(&[]) {
                out.push(Grant {
                    binding: binding_index,
                    role: role_index,
                    subject: subject.clone(),
                    rule,
                });
            }
        }
    }
    out
}

/// The inventory index of the role a binding refers to.
pub(crate) fn bound_role(inventory: Inventory<'_>, binding: &Resource) -> Option<usize> {
    let role_ref = binding.root.get("roleRef")?;
    let kind = role_ref.get("kind").and_then(Node::as_str)?;
    let name = role_ref.get("name").and_then(Node::as_str)?;
    inventory.resources.iter().position(|r| {
        r.kind == kind
                && r.name == name
                // A Role is namespaced: a RoleBinding can only use one of its own namespace.
                && (kind != "Role" || r.namespace == binding.namespace)
    })
}

fn subject(node: &Node, binding: &Resource) -> Option<Subject> {
    let kind = node.get("kind").and_then(Node::as_str)?.to_string();
    let name = node.get("name").and_then(Node::as_str)?.to_string();
    let namespace = node
        .get("namespace")
        .and_then(Node::as_str)
        .map(str::to_string)
        .or_else(|| {
            (kind == "ServiceAccount")
                .then(|| binding.namespace.clone())
                .flatten()
        });
    Some(Subject {
        kind,
        name,
        namespace,
    })
}

/// Whether a policy rule grants any of `verbs` on any of `resources` in any of
/// `api_groups` (`*` in the rule matches everything).
#[allow(dead_code)] // the permission test most RBAC controls share
pub(crate) fn rule_allows(
    rule: &Node,
    api_groups: &[&str],
    resources: &[&str],
    verbs: &[&str],
) -> bool {
    let has = |field: &str, wanted: &[&str]| {
        rule.get(field)
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .any(|v| v.as_str().is_some_and(|v| v == "*" || wanted.contains(&v)))
    };
    has("apiGroups", api_groups) && has("resources", resources) && has("verbs", verbs)
}
