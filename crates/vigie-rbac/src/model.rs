//! The RBAC objects of an input, resolved once: roles with their aggregated rules,
//! bindings with the role they name, and the service accounts workloads run as.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use vigie_resource::{labels_of, pod_template, LabelSelector, Node, Resource};

use crate::rule::PolicyRule;

/// Where an object was read: `file:line`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line of the object.
    pub line: u32,
}

impl Location {
    fn of(resource: &Resource) -> Self {
        Location {
            file: resource.origin.file.path.clone(),
            line: resource.pos.line,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Objects read from a cluster have no line: their source names them.
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// A Role (namespaced) or ClusterRole.
#[derive(Clone, Debug, Serialize)]
pub struct Role {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// The namespace of a Role; `None` for a ClusterRole.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// Its rules, with the rules of the ClusterRoles it aggregates added after its own.
    pub rules: Vec<PolicyRule>,
    /// Where it was read.
    pub location: Location,
    #[serde(skip)]
    labels: BTreeMap<String, String>,
    #[serde(skip)]
    aggregation: Vec<LabelSelector>,
}

impl Role {
    /// `ClusterRole admin`, `Role ci/pod-maker`.
    pub fn describe(&self) -> String {
        describe_object(&self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug, Serialize)]
pub struct Binding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: String,
    /// The namespace of a RoleBinding (where it grants); `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// Index in [`Rbac::roles`] of the role it names, when the input holds it.
    pub role: Option<usize>,
    /// `roleRef.kind` and `roleRef.name` as written.
    pub role_ref: (String, String),
    /// The subjects it grants to.
    pub subjects: Vec<Subject>,
    /// Where it was read.
    pub location: Location,
}

impl Binding {
    /// `ClusterRoleBinding ops`, `RoleBinding ci/devs`.
    pub fn describe(&self) -> String {
        describe_object(&self.kind, self.namespace.as_deref(), &self.name)
    }

    /// Whether the binding grants in `namespace` (`None`: a cluster-wide request).
    pub fn grants_in(&self, namespace: Option<&str>) -> bool {
        match &self.namespace {
            None => true,
            Some(own) => namespace == Some(own.as_str()),
        }
    }
}

fn describe_object(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Who a binding grants to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// The user, group or service account name.
    pub name: String,
    /// The namespace of a service account.
    pub namespace: Option<String>,
}

impl Subject {
    /// A service account `namespace/name`.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }

    /// A group.
    pub fn group(name: &str) -> Self {
        Subject {
            kind: "Group".into(),
            name: name.into(),
            namespace: None,
        }
    }

    /// The groups the API server adds to this subject's requests: every service
    /// account is in `system:serviceaccounts` and `system:serviceaccounts:NS`,
    /// and every authenticated user in `system:authenticated`.
    pub fn implicit_groups(&self) -> Vec<String> {
        match self.kind.as_str() {
            "ServiceAccount" => {
                let ns = self.namespace.as_deref().unwrap_or("default");
                vec![
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{ns}"),
                    "system:authenticated".into(),
                ]
            }
            "User" if self.name == "system:anonymous" => vec!["system:unauthenticated".into()],
            "User" => vec!["system:authenticated".into()],
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) if self.kind == "ServiceAccount" => {
                write!(f, "{} {ns}/{}", self.kind, self.name)
            }
            _ => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// An object that runs Pods, and the service account they run as.
#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    /// `Deployment`, `Pod`, `CronJob`...
    pub kind: String,
    /// Its namespace (`default` when unset).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.serviceAccountName` (or the deprecated `serviceAccount`), `default` when unset.
    pub service_account: String,
    /// Where it was read.
    pub location: Location,
}

/// Every RBAC fact of an input.
#[derive(Clone, Debug, Default)]
pub struct Rbac {
    /// Roles and ClusterRoles, in input order.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings, in input order.
    pub bindings: Vec<Binding>,
    /// Workloads, in input order.
    pub workloads: Vec<Workload>,
    /// Legacy token Secrets: (namespace, secret name, service account name).
    pub token_secrets: Vec<(String, String, String)>,
    /// Every namespace the input mentions.
    pub namespaces: BTreeSet<String>,
}

impl Rbac {
    /// Reads the RBAC objects, workloads and token Secrets among `resources`;
    /// everything else is ignored.
    pub fn from_resources<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Self {
        let mut rbac = Rbac::default();
        for resource in resources {
            if let Some(ns) = &resource.namespace {
                rbac.namespaces.insert(ns.clone());
            }
            match resource.kind.as_str() {
                "Role" | "ClusterRole" if is_rbac_api(resource) => rbac.roles.push(role(resource)),
                "RoleBinding" | "ClusterRoleBinding" if is_rbac_api(resource) => {
                    rbac.bindings.push(binding(resource))
                }
                "Namespace" => {
                    rbac.namespaces.insert(resource.name.clone());
                }
                "Secret" => {
                    let typ = resource.root.get("type").and_then(Node::as_str);
                    let account = resource
                        .root
                        .get_path(&[
                            "metadata",
                            "annotations",
                            "kubernetes.io/service-account.name",
                        ])
                        .and_then(Node::as_str);
                    if let (Some("kubernetes.io/service-account-token"), Some(account)) =
                        (typ, account)
                    {
                        rbac.token_secrets.push((
                            namespace_of(resource),
                            resource.name.clone(),
                            account.to_string(),
                        ));
                    }
                }
                _ => {
                    if let Some(template) = pod_template(resource) {
                        let spec = template.spec;
                        let account = spec
                            .get("serviceAccountName")
                            .or_else(|| spec.get("serviceAccount"))
                            .and_then(Node::as_str)
                            .filter(|s| !s.is_empty())
                            .unwrap_or("default");
                        rbac.workloads.push(Workload {
                            kind: resource.kind.clone(),
                            namespace: namespace_of(resource),
                            name: resource.name.clone(),
                            service_account: account.to_string(),
                            location: Location::of(resource),
                        });
                    }
                }
            }
        }
        rbac.aggregate();
        rbac.resolve_role_refs();
        rbac
    }

    /// Adds to each aggregating ClusterRole the rules of the ClusterRoles its
    /// selectors match, as the API server's aggregation controller does, until
    /// nothing changes (an aggregated role can itself be aggregated).
    fn aggregate(&mut self) {
        let aggregating: Vec<usize> = (0..self.roles.len())
            .filter(|&i| !self.roles[i].aggregation.is_empty())
            .collect();
        // Each round adds at least one rule or stops; a chain of aggregations is
        // at most as long as the number of roles.
        for _ in 0..=aggregating.len() {
            let mut changed = false;
            for &i in &aggregating {
                let mut added = Vec::new();
                for (j, other) in self.roles.iter().enumerate() {
                    if j == i || other.kind != "ClusterRole" {
                        continue;
                    }
                    if self.roles[i]
                        .aggregation
                        .iter()
                        .any(|s| s.matches(&other.labels))
                    {
                        for rule in &other.rules {
                            if !self.roles[i].rules.contains(rule) && !added.contains(rule) {
                                added.push(rule.clone());
                            }
                        }
                    }
                }
                if !added.is_empty() {
                    changed = true;
                    self.roles[i].rules.extend(added);
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn resolve_role_refs(&mut self) {
        let mut index: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
        for (i, role) in self.roles.iter().enumerate() {
            index
                .entry((
                    role.kind.as_str(),
                    role.namespace.as_deref(),
                    role.name.as_str(),
                ))
                .or_insert(i);
        }
        let resolved: Vec<Option<usize>> = self
            .bindings
            .iter()
            .map(|b| {
                let (kind, name) = (&b.role_ref.0, &b.role_ref.1);
                match kind.as_str() {
                    // A ClusterRoleBinding can only refer to a ClusterRole; a
                    // RoleBinding to a Role of its own namespace or a ClusterRole.
                    "ClusterRole" => index.get(&("ClusterRole", None, name.as_str())).copied(),
                    "Role" if b.kind == "RoleBinding" => index
                        .get(&("Role", b.namespace.as_deref(), name.as_str()))
                        .copied(),
                    _ => None,
                }
            })
            .collect();
        for (binding, role) in self.bindings.iter_mut().zip(resolved) {
            binding.role = role;
        }
    }

    /// Every service account the input mentions: as objects' service accounts,
    /// binding subjects and token Secrets, plus `default` in every namespace.
    pub fn service_accounts(&self) -> BTreeSet<Subject> {
        let mut out = BTreeSet::new();
        for ns in &self.namespaces {
            out.insert(Subject::service_account(ns, "default"));
        }
        for w in &self.workloads {
            out.insert(Subject::service_account(&w.namespace, &w.service_account));
        }
        for b in &self.bindings {
            for s in &b.subjects {
                if s.kind == "ServiceAccount" {
                    out.insert(s.clone());
                }
            }
        }
        for (ns, _, account) in &self.token_secrets {
            out.insert(Subject::service_account(ns, account));
        }
        out
    }

    /// The workloads that run as a service account.
    pub fn workloads_of<'a>(
        &'a self,
        account: &'a Subject,
    ) -> impl Iterator<Item = &'a Workload> + 'a {
        self.workloads.iter().filter(move |w| {
            account.kind == "ServiceAccount"
                && account.namespace.as_deref() == Some(w.namespace.as_str())
                && w.service_account == account.name
        })
    }
}

fn is_rbac_api(resource: &Resource) -> bool {
    resource
        .api_version
        .starts_with("rbac.authorization.k8s.io/")
}

fn namespace_of(resource: &Resource) -> String {
    resource
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

fn role(resource: &Resource) -> Role {
    let rules = resource
        .root
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(PolicyRule::from_node)
        .collect();
    let aggregation = if resource.kind == "ClusterRole" {
        resource
            .root
            .get_path(&["aggregationRule", "clusterRoleSelectors"])
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(LabelSelector::from_node)
            .collect()
    } else {
        Vec::new()
    };
    Role {
        kind: resource.kind.clone(),
        namespace: (resource.kind == "Role").then(|| namespace_of(resource)),
        name: resource.name.clone(),
        rules,
        location: Location::of(resource),
        labels: labels_of(&resource.root),
        aggregation,
    }
}

fn binding(resource: &Resource) -> Binding {
    let namespace = (resource.kind == "RoleBinding").then(|| namespace_of(resource));
    let role_ref = resource.root.get("roleRef");
    let field = |key: &str| {
        role_ref
            .and_then(|r| r.get(key))
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let subjects = resource
        .root
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|node| {
            let kind = node.get("kind").and_then(Node::as_str)?.to_string();
            let name = node.get("name").and_then(Node::as_str)?.to_string();
            // A service account's namespace defaults to the binding's own.
            let ns = node
                .get("namespace")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .or_else(|| {
                    (kind == "ServiceAccount")
                        .then(|| namespace.clone())
                        .flatten()
                });
            Some(Subject {
                kind,
                name,
                namespace: if node.get("kind").and_then(Node::as_str) == Some("ServiceAccount") {
                    ns
                } else {
                    None
                },
            })
        })
        .collect();
    Binding {
        kind: resource.kind.clone(),
        namespace,
        name: resource.name.clone(),
        role: None,
        role_ref: (field("kind"), field("name")),
        subjects,
        location: Location::of(resource),
    }
}
