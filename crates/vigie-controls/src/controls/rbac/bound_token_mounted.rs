//! ## What it does
//! Flags workloads that mount the token of a service account which RBAC
//! bindings give permissions: a binding names the account, or the groups
//! `system:serviceaccounts` or `system:authenticated` that contain it.
//!
//! ## Why is this bad
//! VG-R020 flags every mounted token; this control narrows it to the tokens
//! that are worth stealing. Whoever gets into such a pod can call the API with
//! the account's permissions.
//!
//! ## Example
//! ```yaml
//! kind: RoleBinding
//! subjects: [{kind: ServiceAccount, name: default, namespace: shop}]
//! ---
//! kind: Pod
//! metadata: {namespace: shop}
//! spec:
//!   automountServiceAccountToken: true   # flagged: the default account has a binding
//! ```
//! Use instead: `automountServiceAccountToken: false` in every pod that does not
//! call the API; a dedicated account for the ones that do.
//!
//! ## References
//! Kubescape C-0261; CIS 5.1.6; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1528 (Steal Application Access Token).

use std::collections::HashMap;

use super::super::prelude::*;
use super::model::{subject, subjects, BINDINGS};
use super::service_accounts::{account_name, find_account, namespace_of, token_mount};
use crate::controls::common::judge_workload_pods;

/// How VG-R021 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["ServiceAccount", "RoleBinding", "ClusterRoleBinding"],
    evaluate,
};

/// Groups every service account belongs to.
const GROUPS_OF_ALL_ACCOUNTS: &[&str] = &["system:serviceaccounts", "system:authenticated"];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let bindings = AccountBindings::new(*inventory);
    judge_workload_pods(*inventory, out, |workload, pod| {
        let (name, namespace) = (account_name(&pod), namespace_of(workload));
        let binding = bindings.binding_of(name, namespace)?;
        let account = find_account(*inventory, name, namespace);
        let mount = token_mount(workload, &pod, account)?;
        Some(Violation::new(
            mount.path,
            mount.pos,
            format!(
                "{} {} {}, and {} {} gives service account {name} permissions",
                workload.kind, workload.name, mount.reason, binding.kind, binding.name
            ),
        ))
    });
}

/// For each service account, the first binding (in input order) that names it,
/// directly or through a group every account (or every account of its namespace)
/// belongs to; built once so that each workload costs a lookup.
struct AccountBindings<'a> {
    inventory: Inventory<'a>,
    by_account: HashMap<(String, String), usize>,
    by_namespace_group: HashMap<String, usize>,
    all_accounts: Option<usize>,
}

impl<'a> AccountBindings<'a> {
    fn new(inventory: Inventory<'a>) -> Self {
        let mut index = AccountBindings {
            inventory,
            by_account: HashMap::new(),
            by_namespace_group: HashMap::new(),
            all_accounts: None,
        };
        for (i, binding) in inventory.of_kind(BINDINGS) {
            for s in subjects(binding).iter().filter_map(|s| subject(s, binding)) {
                match s.kind.as_str() {
                    "ServiceAccount" => {
                        let namespace = s.namespace.unwrap_or_else(|| "default".to_string());
                        index.by_account.entry((namespace, s.name)).or_insert(i);
                    }
                    "Group" if GROUPS_OF_ALL_ACCOUNTS.contains(&s.name.as_str()) => {
                        index.all_accounts.get_or_insert(i);
                    }
                    "Group" => {
                        if let Some(namespace) = s.name.strip_prefix("system:serviceaccounts:") {
                            index
                                .by_namespace_group
                                .entry(namespace.to_string())
                                .or_insert(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        index
    }

    /// A binding that gives the service account `name` of `namespace` a role.
    fn binding_of(&self, name: &str, namespace: &str) -> Option<&'a Resource> {
        [
            self.by_account
                .get(&(namespace.to_string(), name.to_string()))
                .copied(),
            self.by_namespace_group.get(namespace).copied(),
            self.all_accounts,
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|i| &self.inventory.resources[i])
    }
}
