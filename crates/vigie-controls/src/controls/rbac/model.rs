//! Who can do what: RBAC bindings resolved to the rules they grant.

use std::collections::BTreeSet;

use vigie_resource::{Node, Resource};

use crate::control::{ClusterOutcome, Inventory};
use crate::pod::{Subject, Violation};

/// One rule of one role, granted to one subject by one binding.
#[derive(Clone, Debug)]
pub(crate) struct Grant<'a> {
    /// Inventory index of the binding.
    pub binding: usize,
    /// Inventory index of the role, when the inventory holds it.
    pub role: usize,
    pub subject: Subject,
    /// The subject's entry in the binding's `subjects`.
    pub subject_node: &'a Node,
    pub subject_index: usize,
    pub rule: &'a Node,
    pub rule_index: usize,
}

pub(crate) const BINDINGS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];

/// The kinds an RBAC control reads.
pub(crate) const RBAC_KINDS: &[&str] =
    &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// Every (subject, rule) pair the bindings of the inventory grant. A binding
/// whose role is not in the inventory grants nothing we can see.
pub(crate) fn grants<'a>(inventory: Inventory<'a>) -> Vec<Grant<'a>> {
    let mut out = Vec::new();
    for (binding_index, binding) in inventory.of_kind(BINDINGS) {
        let Some(role_index) = bound_role(inventory, binding) else {
            continue;
        };
        let role = &inventory.resources[role_index];
        for (subject_index, subject_node) in subjects(binding).iter().enumerate() {
            let Some(subject) = subject(subject_node, binding) else {
                continue;
            };
            for (rule_index, rule) in role
                .root
                .get("rules")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                out.push(Grant {
                    binding: binding_index,
                    role: role_index,
                    subject: subject.clone(),
                    subject_node,
                    subject_index,
                    rule,
                    rule_index,
                });
            }
        }
    }
    out
}

/// The `subjects` of a binding (nothing when absent or not a list).
pub(crate) fn subjects(binding: &Resource) -> &[Node] {
    binding.root.get("subjects").map(Node::items).unwrap_or(&[])
}

/// The inventory index of the role a binding refers to.
pub(crate) fn bound_role(inventory: Inventory<'_>, binding: &Resource) -> Option<usize> {
    let role_ref = binding.root.get("roleRef")?;
    let kind = role_ref.get("kind").and_then(Node::as_str)?;
    let name = role_ref.get("name").and_then(Node::as_str)?;
    // A ClusterRoleBinding can only refer to a ClusterRole.
    if binding.kind == "ClusterRoleBinding" && kind != "ClusterRole" {
        return None;
    }
    inventory
        .named(kind, name)
        // A Role is namespaced: a RoleBinding can only use one of its own namespace.
        .find(|(_, r)| kind != "Role" || r.namespace == binding.namespace)
        .map(|(i, _)| i)
}

/// A binding's subject entry, with a service account's namespace defaulting to
/// the binding's own.
pub(crate) fn subject(node: &Node, binding: &Resource) -> Option<Subject> {
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

/// `ServiceAccount ci/deployer`, `Group developers`.
pub(crate) fn describe_subject(subject: &Subject) -> String {
    match &subject.namespace {
        Some(ns) if subject.kind == "ServiceAccount" => {
            format!("{} {ns}/{}", subject.kind, subject.name)
        }
        _ => format!("{} {}", subject.kind, subject.name),
    }
}

/// Whether a policy rule grants any of `verbs` on any of `resources` in any of
/// `api_groups` (`*` in the rule matches everything).
pub(crate) fn rule_allows(
    rule: &Node,
    api_groups: &[&str],
    resources: &[&str],
    verbs: &[&str],
) -> bool {
    list_matches(rule, "apiGroups", api_groups)
        && list_matches(rule, "resources", resources)
        && list_matches(rule, "verbs", verbs)
}

/// Whether the rule's `field` list holds `*` or one of `wanted`.
pub(crate) fn list_matches(rule: &Node, field: &str, wanted: &[&str]) -> bool {
    strings(rule, field).any(|v| v == "*" || wanted.contains(&v))
}

/// The strings of a list field of a rule.
pub(crate) fn strings<'a>(rule: &'a Node, field: &str) -> impl Iterator<Item = &'a str> {
    rule.get(field)
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
}

/// `[get, list] on [secrets]`: what a rule grants, for messages.
pub(crate) fn describe_rule(rule: &Node) -> String {
    let list = |field| strings(rule, field).collect::<Vec<_>>().join(", ");
    format!("verbs [{}] on [{}]", list("verbs"), list("resources"))
}

/// Reports every subject granted a rule that `offends`, once per binding and
/// subject, on the subject's entry of the binding: `"<subject> can <what>
/// through <role> (rules[i]: verbs [..] on [..])"`. Every binding counts as
/// evaluated.
pub(crate) fn report_grants(
    inventory: &Inventory<'_>,
    out: &mut ClusterOutcome,
    offends: impl Fn(&Grant<'_>) -> bool,
    what: &str,
) {
    out.evaluated
        .extend(inventory.of_kind(BINDINGS).map(|(i, _)| i));
    let mut reported = BTreeSet::new();
    for grant in grants(*inventory) {
        if !offends(&grant) || !reported.insert((grant.binding, grant.subject.clone())) {
            continue;
        }
        let role = &inventory.resources[grant.role];
        let mut violation = Violation::new(
            format!("subjects[{}]", grant.subject_index),
            grant.subject_node.pos,
            format!(
                "{} can {what} through {} {} (rules[{}]: {})",
                describe_subject(&grant.subject),
                role.kind,
                role.name,
                grant.rule_index,
                describe_rule(grant.rule)
            ),
        );
        violation.subject = Some(grant.subject);
        out.violations.push((grant.binding, violation));
    }
}
