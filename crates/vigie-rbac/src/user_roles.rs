//! The roles and cluster roles bound to the user of a request, as Kyverno computes
//! them for `match`/`exclude` blocks that name `roles` or `clusterRoles` (the API
//! server sends only the username and groups; the bindings say the rest).

use std::collections::{BTreeSet, HashMap};

use crate::model::Binding;

/// What a user is bound to: `roles` as `namespace:name` (a RoleBinding to a
/// Role), `cluster_roles` by name (a ClusterRoleBinding, or a RoleBinding to a
/// ClusterRole). Each sorted, without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRoles {
    /// `namespace:role`.
    pub roles: Vec<String>,
    /// ClusterRole names.
    pub cluster_roles: Vec<String>,
}

/// Who is bound to what, indexed by subject, so that the roles of a request's
/// user are a few lookups (it is asked on every admission request).
#[derive(Clone, Debug, Default)]
pub struct RoleBindingIndex {
    /// What the bindings of each subject name: `(true, "ns:role")` for a Role,
    /// `(false, name)` for a ClusterRole. Users by name, groups by name, service
    /// accounts by `namespace:name`.
    users: HashMap<String, Vec<(bool, String)>>,
    groups: HashMap<String, Vec<(bool, String)>>,
    service_accounts: HashMap<String, Vec<(bool, String)>>,
}

impl RoleBindingIndex {
    /// Indexes `bindings`. A binding applies to its `User` subjects by name, its
    /// `Group` subjects by group, and its `ServiceAccount` subjects as the user
    /// `system:serviceaccount:NS:NAME` (the subject's namespace defaulting to
    /// the binding's). A RoleBinding to a Role gives `namespace:role`; a
    /// RoleBinding or ClusterRoleBinding to a ClusterRole gives its name.
    pub fn new(bindings: &[Binding]) -> Self {
        let mut index = Self::default();
        for binding in bindings {
            let (kind, name) = &binding.role_ref;
            let bound = match (kind.as_str(), &binding.namespace) {
                ("Role", Some(namespace)) => (true, format!("{namespace}:{name}")),
                ("ClusterRole", _) => (false, name.clone()),
                // A ClusterRoleBinding cannot name a Role; the API server refuses it.
                _ => continue,
            };
            for subject in &binding.subjects {
                let (map, key) = match subject.kind.as_str() {
                    "User" => (&mut index.users, subject.name.clone()),
                    "Group" => (&mut index.groups, subject.name.clone()),
                    "ServiceAccount" => {
                        match subject
                            .namespace
                            .as_deref()
                            .or(binding.namespace.as_deref())
                        {
                            Some(ns) => (
                                &mut index.service_accounts,
                                format!("{ns}:{}", subject.name),
                            ),
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                map.entry(key).or_default().push(bound.clone());
            }
        }
        index
    }

    /// Whether no binding was indexed.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty() && self.service_accounts.is_empty()
    }

    /// The roles bound to the user `username` with `groups`. Only the groups the
    /// request carries count: the API server puts the implicit ones
    /// (`system:authenticated`, `system:serviceaccounts`) there itself.
    pub fn roles_of(&self, username: &str, groups: &[String]) -> UserRoles {
        let mut roles = BTreeSet::new();
        let mut cluster_roles = BTreeSet::new();
        let mut add = |map: &HashMap<String, Vec<(bool, String)>>, key: &str| {
            if let Some(bound) = map.get(key) {
                for (is_role, name) in bound {
                    if *is_role {
                        roles.insert(name.clone());
                    } else {
                        cluster_roles.insert(name.clone());
                    }
                }
            }
        };
        if !username.is_empty() {
            add(&self.users, username);
        }
        for group in groups {
            add(&self.groups, group);
        }
        if let Some(account) = username.strip_prefix("system:serviceaccount:") {
            add(&self.service_accounts, account);
        }
        UserRoles {
            roles: roles.into_iter().collect(),
            cluster_roles: cluster_roles.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rbac;

    const BINDINGS: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: User, name: alice}, {kind: Group, name: team-shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: ops}, {kind: ServiceAccount, name: robot, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-too, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: User, name: alice}]
";

    fn roles(username: &str, groups: &[&str]) -> UserRoles {
        let loaded = vigie_resource::load_text(BINDINGS, "rbac.yaml", &Default::default());
        let rbac = Rbac::from_resources(&loaded.resources);
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        RoleBindingIndex::new(&rbac.bindings).roles_of(username, &groups)
    }

    #[test]
    fn users_get_the_roles_of_their_bindings_in_every_namespace() {
        assert_eq!(
            roles("alice", &[]),
            UserRoles {
                roles: vec!["shop:deployer".into(), "web:deployer".into()],
                cluster_roles: vec![],
            }
        );
    }

    #[test]
    fn groups_bind_as_well_as_names() {
        let got = roles("bob", &["team-shop", "ops"]);
        assert_eq!(got.roles, vec!["shop:deployer".to_string()]);
        assert_eq!(got.cluster_roles, vec!["cluster-admin".to_string()]);
        assert_eq!(roles("bob", &["nobody"]), UserRoles::default());
    }

    #[test]
    fn service_accounts_match_by_namespace_defaulting_to_the_binding_s() {
        let ci = roles("system:serviceaccount:shop:ci", &["system:serviceaccounts"]);
        assert_eq!(ci.cluster_roles, vec!["view".to_string()]);
        // The same name in another namespace is another account.
        assert_eq!(
            roles("system:serviceaccount:web:ci", &[]),
            UserRoles::default()
        );
        let robot = roles("system:serviceaccount:tools:robot", &[]);
        assert_eq!(robot.cluster_roles, vec!["cluster-admin".to_string()]);
        // A user named like the account is not the account.
        assert_eq!(roles("ci", &[]), UserRoles::default());
    }
}
