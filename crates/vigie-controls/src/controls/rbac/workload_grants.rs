//! Shared by the controls that ask what a workload's own identity may do: the
//! service account a workload runs as, whose token it mounts, and the roles
//! bindings give that account (by name, or through the groups every service
//! account, or every account of a namespace, belongs to).

use std::collections::HashMap;

use super::super::prelude::*;
use super::model::{describe_rule, rules, FirstRule};
use super::service_accounts::{account_name, find_account, namespace_of, token_mount};
use crate::controls::common::judge_workload_pods;

/// What the workload-identity controls read.
pub(crate) const WORKLOADS_AND_RBAC: &[&str] = workloads_and![
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding"
];

/// Groups every service account belongs to.
const GROUPS_OF_ALL_ACCOUNTS: &[&str] = &["system:serviceaccounts", "system:authenticated"];

/// Flags each workload that mounts the token of a service account that a
/// binding gives a role with a rule that `offends`, naming the first such
/// binding (in input order) and rule. Roles are read once each, whatever the
/// number of workloads and bindings.
pub(crate) fn report_workload_grants(
    inventory: &Inventory<'_>,
    out: &mut ClusterOutcome,
    offends: impl Fn(&Node) -> bool,
    what: &str,
) {
    // Resolved bindings (by position in `inventory.bindings()`) per account.
    let resolved = inventory.bindings();
    let mut by_account: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_namespace_group: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut all_accounts = Vec::new();
    for (position, binding) in resolved.iter().enumerate() {
        for bound in &binding.subjects {
            let s = &bound.subject;
            match s.kind.as_str() {
                "ServiceAccount" => by_account
                    .entry((s.namespace.as_deref().unwrap_or("default"), &s.name))
                    .or_default()
                    .push(position),
                "Group" if GROUPS_OF_ALL_ACCOUNTS.contains(&s.name.as_str()) => {
                    all_accounts.push(position);
                }
                "Group" => {
                    if let Some(namespace) = s.name.strip_prefix("system:serviceaccounts:") {
                        by_namespace_group
                            .entry(namespace)
                            .or_default()
                            .push(position);
                    }
                }
                _ => {}
            }
        }
    }
    let mut first_rule = FirstRule::new(offends);
    judge_workload_pods(*inventory, out, |workload, pod| {
        let (name, namespace) = (account_name(&pod), namespace_of(workload));
        let account = find_account(*inventory, name, namespace);
        let mount = token_mount(workload, &pod, account)?;
        let mut candidates: Vec<usize> = [
            by_account.get(&(namespace, name)),
            by_namespace_group.get(namespace),
            Some(&all_accounts),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .copied()
        .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let found = candidates.into_iter().find_map(|position| {
            let binding = &resolved[position];
            first_rule
                .of(*inventory, binding.role)
                .map(|rule| (binding, rule))
        });
        let (binding, rule_index) = found?;
        let role = &inventory.resources[binding.role];
        let binding_object = &inventory.resources[binding.binding];
        Some(Violation::new(
            mount.path,
            mount.pos,
            format!(
                "{} {} mounts the token of service account {namespace}/{name}, which {} {} lets {what} through {} {} (rules[{rule_index}]: {})",
                workload.kind,
                workload.name,
                binding_object.kind,
                binding_object.name,
                role.kind,
                role.name,
                describe_rule(&rules(role)[rule_index])
            ),
        ))
    });
}
