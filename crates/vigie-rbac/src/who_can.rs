//! `who-can`: every subject a binding lets do an action, and how.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Binding, Rbac, Subject, Workload};
use crate::rule::{Action, Target};

/// Where the action happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// In one namespace: ClusterRoleBindings and that namespace's RoleBindings grant.
    Namespace(String),
    /// Cluster-wide (cluster-scoped resources, or in every namespace at once): only
    /// ClusterRoleBindings grant.
    Cluster,
    /// In some namespace: any binding, each grant saying where it holds.
    AnyNamespace,
}

/// Which binding, role and rule give a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// Index in [`Rbac::bindings`].
    pub binding: usize,
    /// Index in [`Rbac::roles`].
    pub role: usize,
    /// Index of the rule in the role's rules.
    pub rule: usize,
}

/// One subject allowed to do the action, with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    /// Who.
    pub subject: Subject,
    /// Through which binding (`RoleBinding ci/devs`), and where it is.
    pub binding: String,
    /// `file:line` of the binding.
    pub binding_location: String,
    /// Which role (`ClusterRole edit`).
    pub role: String,
    /// The rule of the role that allows it, by index and as text.
    pub rule_index: usize,
    /// `verbs [create] on [pods]`.
    pub rule: String,
    /// `cluster-wide` or `namespace ci`.
    pub scope: String,
    /// For service accounts (and the service-account groups): the workloads that
    /// run as them, so as `Deployment ci/web`.
    pub workloads: Vec<String>,
}

/// Bindings indexed by who they name, to answer "what may this subject do" fast.
#[derive(Debug)]
pub struct Authorizer<'a> {
    rbac: &'a Rbac,
    by_subject: HashMap<&'a Subject, Vec<usize>>,
    by_group: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Authorizer<'a> {
    /// Indexes the bindings of `rbac`.
    pub fn new(rbac: &'a Rbac) -> Self {
        let mut by_subject: HashMap<&Subject, Vec<usize>> = HashMap::new();
        let mut by_group: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, b) in rbac.bindings.iter().enumerate() {
            for s in &b.subjects {
                by_subject.entry(s).or_default().push(i);
                if s.kind == "Group" {
                    by_group.entry(s.name.as_str()).or_default().push(i);
                }
            }
        }
        Self {
            rbac,
            by_subject,
            by_group,
        }
    }

    /// The RBAC facts this authorizer answers from.
    pub fn rbac(&self) -> &'a Rbac {
        self.rbac
    }

    /// Bindings that apply to `subject`: those naming it, and those naming a group
    /// it is in (its implicit groups included).
    pub fn bindings_of(&self, subject: &Subject) -> Vec<usize> {
        let mut out: Vec<usize> = self.by_subject.get(subject).cloned().unwrap_or_default();
        for group in subject.implicit_groups() {
            out.extend(self.by_group.get(group.as_str()).into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether `subject` may do `action` in `namespace` (`None`: cluster-wide),
    /// with the first binding, role and rule that allow it.
    pub fn allowed(
        &self,
        subject: &Subject,
        action: &Action,
        namespace: Option<&str>,
    ) -> Option<Evidence> {
        let namespace = match action.target {
            Target::Url(_) => None,
            Target::Resource { .. } => namespace,
        };
        self.bindings_of(subject)
            .into_iter()
            .find_map(|b| self.evidence(b, action, namespace))
    }

    /// Namespaces where `subject` may do `action`: `None` in the result means every
    /// namespace (a ClusterRoleBinding grants it).
    pub fn namespaces_allowed(
        &self,
        subject: &Subject,
        action: &Action,
    ) -> Vec<(Option<String>, Evidence)> {
        let mut out = Vec::new();
        for b in self.bindings_of(subject) {
            let binding = &self.rbac.bindings[b];
            if let Some(e) = self.evidence(b, action, binding.namespace.as_deref()) {
                out.push((binding.namespace.clone(), e));
            }
        }
        out
    }

    fn evidence(&self, b: usize, action: &Action, namespace: Option<&str>) -> Option<Evidence> {
        let binding = &self.rbac.bindings[b];
        if !binding.grants_in(namespace) {
            return None;
        }
        let role = binding.role?;
        let rule = self.rbac.roles[role]
            .rules
            .iter()
            .position(|r| r.allows(action))?;
        Some(Evidence {
            binding: b,
            role,
            rule,
        })
    }

    /// `RoleBinding ci/devs → Role ci/pod-maker rules[0] (verbs [create] on [pods])`.
    pub fn describe(&self, e: Evidence) -> String {
        let role = &self.rbac.roles[e.role];
        format!(
            "{} → {} rules[{}] ({})",
            self.rbac.bindings[e.binding].describe(),
            role.describe(),
            e.rule,
            role.rules[e.rule].describe()
        )
    }
}

fn scope_applies(binding: &Binding, action: &Action, scope: &Scope) -> bool {
    if matches!(action.target, Target::Url(_)) {
        return binding.namespace.is_none();
    }
    match scope {
        Scope::Namespace(ns) => binding.grants_in(Some(ns)),
        Scope::Cluster => binding.namespace.is_none(),
        Scope::AnyNamespace => true,
    }
}

/// Every subject that may do `action` in `scope`, one entry per subject and
/// binding, in binding order. Members of `system:masters` can do everything
/// without RBAC: that group comes first, as the API server's own rule.
pub fn who_can(rbac: &Rbac, action: &Action, scope: &Scope) -> Vec<Grant> {
    let workloads = WorkloadIndex::new(rbac);
    let mut out = vec![Grant {
        subject: Subject::group("system:masters"),
        binding: "(built into the API server)".into(),
        binding_location: String::new(),
        role: "(every permission, not checked by RBAC)".into(),
        rule_index: 0,
        rule: String::new(),
        scope: "cluster-wide".into(),
        workloads: Vec::new(),
    }];
    for binding in &rbac.bindings {
        if !scope_applies(binding, action, scope) {
            continue;
        }
        let Some(role_index) = binding.role else {
            continue;
        };
        let role = &rbac.roles[role_index];
        let Some(rule_index) = role.rules.iter().position(|r| r.allows(action)) else {
            continue;
        };
        let scope_text = match &binding.namespace {
            Some(ns) => format!("namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        for subject in &binding.subjects {
            out.push(Grant {
                subject: subject.clone(),
                binding: binding.describe(),
                binding_location: binding.location.to_string(),
                role: role.describe(),
                rule_index,
                rule: role.rules[rule_index].describe(),
                scope: scope_text.clone(),
                workloads: workloads
                    .running_as(subject, binding.namespace.as_deref())
                    .into_iter()
                    .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                    .collect(),
            });
        }
    }
    out
}

/// Workloads indexed by the service account they run as and by namespace, so
/// that listing them per grant costs what is listed.
struct WorkloadIndex<'a> {
    all: &'a [Workload],
    by_account: HashMap<(&'a str, &'a str), Vec<&'a Workload>>,
    by_namespace: HashMap<&'a str, Vec<&'a Workload>>,
}

impl<'a> WorkloadIndex<'a> {
    fn new(rbac: &'a Rbac) -> Self {
        let mut by_account: HashMap<(&str, &str), Vec<&Workload>> = HashMap::new();
        let mut by_namespace: HashMap<&str, Vec<&Workload>> = HashMap::new();
        for w in &rbac.workloads {
            by_account
                .entry((w.namespace.as_str(), w.service_account.as_str()))
                .or_default()
                .push(w);
            by_namespace
                .entry(w.namespace.as_str())
                .or_default()
                .push(w);
        }
        Self {
            all: &rbac.workloads,
            by_account,
            by_namespace,
        }
    }

    /// Workloads whose pods authenticate as `subject`: a service account's own,
    /// or every service account's for `system:serviceaccounts[:NS]` and
    /// `system:authenticated`, limited to the namespace a RoleBinding grants in.
    fn running_as(&self, subject: &Subject, granted_in: Option<&str>) -> Vec<&'a Workload> {
        let all_of = |ns: &str| self.by_namespace.get(ns).cloned().unwrap_or_default();
        match subject.kind.as_str() {
            // A service account bound in another namespace uses the grant there,
            // but its pods are where they are.
            "ServiceAccount" => subject
                .namespace
                .as_deref()
                .and_then(|ns| self.by_account.get(&(ns, subject.name.as_str())))
                .cloned()
                .unwrap_or_default(),
            "Group"
                if subject.name == "system:serviceaccounts"
                    || subject.name == "system:authenticated" =>
            {
                match granted_in {
                    Some(ns) => all_of(ns),
                    None => self.all.iter().collect(),
                }
            }
            "Group" => match subject.name.strip_prefix("system:serviceaccounts:") {
                Some(ns) if granted_in.is_none_or(|g| g == ns) => all_of(ns),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}
