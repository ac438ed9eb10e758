//! Who can do what: RBAC bindings resolved to the rules they grant.

use std::collections::{HashMap, HashSet};

use vigie_resource::{Node, Resource};

use crate::control::{ClusterOutcome, Inventory};
use crate::pod::{list_of, Subject, Violation};

/// A binding whose role the inventory holds, with the subjects it names. Every
/// rule of the role is granted to every subject; controls look for the first
/// rule they object to once per role, not once per binding and subject.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedBinding<'a> {
    /// Inventory index of the binding.
    pub binding: usize,
    /// Inventory index of the role.
    pub role: usize,
    pub subjects: Vec<BoundSubject<'a>>,
}

/// One readable subject entry of a binding.
#[derive(Clone, Debug)]
pub(crate) struct BoundSubject<'a> {
    pub subject: Subject,
    /// The entry in the binding's `subjects`, and its index there.
    pub node: &'a Node,
    pub index: usize,
}

pub(crate) const BINDINGS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];

/// The kinds an RBAC control reads.
pub(crate) const RBAC_KINDS: &[&str] =
    &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// The bindings of the inventory, in input order, with their roles and
/// subjects. A binding whose role is not in the inventory grants nothing we
/// can see. Read once per scan through [`Inventory::bindings`].
pub(crate) fn resolve_bindings(inventory: Inventory<'_>) -> Vec<ResolvedBinding<'_>> {
    let mut out = Vec::new();
    for (binding_index, binding) in inventory.of_kind(BINDINGS) {
        let Some(role) = bound_role(inventory, binding) else {
            continue;
        };
        let subjects = subjects(binding)
            .iter()
            .enumerate()
            .filter_map(|(index, node)| {
                Some(BoundSubject {
                    subject: subject(node, binding)?,
                    node,
                    index,
                })
            })
            .collect();
        out.push(ResolvedBinding {
            binding: binding_index,
            role,
            subjects,
        });
    }
    out
}

/// The rules of a role.
pub(crate) fn rules(role: &Resource) -> &[Node] {
    list_of(&role.root, "rules")
}

/// For each role, its first rule that `offends` (by index), found once per role.
pub(crate) struct FirstRule<F> {
    offends: F,
    found: HashMap<usize, Option<usize>>,
}

impl<F: Fn(&Node) -> bool> FirstRule<F> {
    pub(crate) fn new(offends: F) -> Self {
        Self {
            offends,
            found: HashMap::new(),
        }
    }

    /// The index of the first rule of the role (by inventory index) that offends.
    pub(crate) fn of(&mut self, inventory: Inventory<'_>, role: usize) -> Option<usize> {
        let offends = &self.offends;
        *self
            .found
            .entry(role)
            .or_insert_with(|| rules(&inventory.resources[role]).iter().position(offends))
    }
}

/// The `subjects` of a binding (nothing when absent or not a list).
pub(crate) fn subjects(binding: &Resource) -> &[Node] {
    list_of(&binding.root, "subjects")
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
    if kind == "Role" {
        // A Role is namespaced: a RoleBinding can only use one of its own namespace.
        let namespace = binding.namespace.as_deref().unwrap_or("default");
        return inventory
            .named_in(kind, namespace, name)
            .find(|(_, r)| r.namespace == binding.namespace)
            .map(|(i, _)| i);
    }
    inventory.named(kind, name).next().map(|(i, _)| i)
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

/// Whether the rule's `field` list holds `*` or one of `wanted`; a resource
/// entry `*/sub` matches the subresource `sub` of every resource
/// (`*/exec` grants `pods/exec`), as the API server's authorizer reads it.
pub(crate) fn list_matches(rule: &Node, field: &str, wanted: &[&str]) -> bool {
    strings(rule, field).any(|v| {
        v == "*"
            || wanted.contains(&v)
            || v.strip_prefix("*/").is_some_and(|sub| {
                wanted
                    .iter()
                    .any(|w| w.split_once('/').is_some_and(|(_, s)| s == sub))
            })
    })
}

/// The strings of a list field of a rule.
pub(crate) fn strings<'a>(rule: &'a Node, field: &str) -> impl Iterator<Item = &'a str> {
    list_of(rule, field).iter().filter_map(Node::as_str)
}

/// `[get, list] on [secrets]`: what a rule grants, for messages.
pub(crate) fn describe_rule(rule: &Node) -> String {
    let list = |field| strings(rule, field).collect::<Vec<_>>().join(", ");
    format!("verbs [{}] on [{}]", list("verbs"), list("resources"))
}

/// The evaluator of a control that reports what bindings let subjects do:
/// [`report_grants`] (`grantee`, `offends`, `what`) over the RBAC kinds.
macro_rules! grants_evaluator {
    ($grantee:expr, $offends:expr, $what:expr $(,)?) => {
        $crate::control::Evaluator::Cluster {
            needs: $crate::controls::rbac::model::RBAC_KINDS,
            evaluate: |inventory, _, out| {
                $crate::controls::rbac::model::report_grants(
                    inventory, out, $grantee, $offends, $what,
                )
            },
        }
    };
}
pub(crate) use grants_evaluator;

/// Reports every subject of a binding that `grantee` accepts and whose role has
/// a rule that `offends`, once per binding and subject, on the subject's entry
/// of the binding: `"<subject> can <what> through <role> (rules[i]: verbs [..]
/// on [..])"`, naming the first such rule. Every binding counts as evaluated.
pub(crate) fn report_grants(
    inventory: &Inventory<'_>,
    out: &mut ClusterOutcome,
    grantee: impl Fn(&Resource, &Subject) -> bool,
    offends: impl Fn(&Node) -> bool,
    what: &str,
) {
    out.evaluated
        .extend(inventory.of_kind(BINDINGS).map(|(i, _)| i));
    let mut first_rule = FirstRule::new(offends);
    let mut reported = HashSet::new();
    for resolved in inventory.bindings() {
        let Some(rule_index) = first_rule.of(*inventory, resolved.role) else {
            continue;
        };
        let binding = &inventory.resources[resolved.binding];
        let role = &inventory.resources[resolved.role];
        let rule = &rules(role)[rule_index];
        for bound in &resolved.subjects {
            if !grantee(binding, &bound.subject)
                || !reported.insert((resolved.binding, &bound.subject))
            {
                continue;
            }
            let mut violation = Violation::new(
                format!("subjects[{}]", bound.index),
                bound.node.pos,
                format!(
                    "{} can {what} through {} {} (rules[{rule_index}]: {})",
                    describe_subject(&bound.subject),
                    role.kind,
                    role.name,
                    describe_rule(rule)
                ),
            );
            violation.subject = Some(bound.subject.clone());
            out.violations.push((resolved.binding, violation));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::fmt::Write;

    use super::*;
    use crate::control::InventoryIndex;
    use crate::controls::common::resources;

    /// A role with many rules bound by many bindings of several subjects each.
    fn bound_many_times(rules: usize, bindings: usize, subjects: usize) -> String {
        let mut text = String::from(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: big}\nrules:\n",
        );
        for r in 0..rules {
            let _ = writeln!(
                text,
                "- {{apiGroups: [\"\"], resources: [r{r}], verbs: [get]}}"
            );
        }
        for b in 0..bindings {
            let _ = write!(
                text,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b{b}, namespace: ns{b}}}\nroleRef: {{kind: ClusterRole, name: big}}\nsubjects:\n"
            );
            for s in 0..subjects {
                let _ = writeln!(text, "- {{kind: User, name: u{s}}}");
            }
        }
        text
    }

    #[test]
    fn rules_are_read_once_per_role_not_per_binding_and_subject() {
        let (rules, bindings, subjects) = (200, 300, 5);
        let resources = resources(&bound_many_times(rules, bindings, subjects));
        let index = InventoryIndex::new(&resources);
        let inventory = Inventory::new(&resources, &index);
        let looked = Cell::new(0);
        let mut out = ClusterOutcome::default();
        // Only the last rule offends: finding it reads every rule of the role.
        let last = format!("r{}", rules - 1);
        report_grants(
            &inventory,
            &mut out,
            |_, _| true,
            |rule| {
                looked.set(looked.get() + 1);
                strings(rule, "resources").any(|r| r == last)
            },
            "read the last resource",
        );
        assert_eq!(out.violations.len(), bindings * subjects);
        assert_eq!(looked.get(), rules);
        // The bindings were resolved once, and the next control reuses them.
        assert!(std::ptr::eq(inventory.bindings(), inventory.bindings()));
    }
}
