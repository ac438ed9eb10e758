//! Escalation paths: chains of permissions that lead a subject to power
//! equivalent to cluster-admin. Each step is one permission RBAC grants and what
//! it lets the holder become: another service account (by running a pod as it,
//! minting its token, reading its token Secret, exec'ing into its pods,
//! impersonating it, or binding a role in its namespace), or an administrator
//! outright (every verb on every resource, impersonating `system:masters`,
//! binding or escalating roles cluster-wide, the kubelet API through
//! `nodes/proxy`, approving certificate requests, registering admission webhooks).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::model::{Rbac, Subject};
use crate::rule::Action;
use crate::who_can::{Authorizer, Evidence};

/// Longest chain followed: past it a path is too indirect to report.
pub const MAX_STEPS: u32 = 8;

/// One subject's shortest way to cluster-admin power.
#[derive(Clone, Debug, Serialize)]
pub struct EscalationPath {
    /// Who starts.
    pub subject: Subject,
    /// The chain, in order; the last step reaches admin power.
    pub steps: Vec<Step>,
}

/// One link: a subject holds a permission, which lets it become something.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Who acts.
    pub subject: Subject,
    /// What it may do: `create pods in namespace ci`.
    pub permission: String,
    /// Which binding, role and rule grant it.
    pub granted_by: String,
    /// What it leads to: another service account, or admin power.
    pub leads_to: String,
    /// The service account this step leads to, when it is not the last.
    pub next: Option<Subject>,
}

/// What a permission leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Reach {
    /// Power equivalent to cluster-admin.
    Admin,
    /// Any service account of the namespace.
    AnyAccount,
    /// Service accounts that pods of the namespace run as.
    AccountWithWorkload,
    /// Service accounts that have a legacy token Secret.
    AccountWithToken,
}

#[derive(Clone, Debug)]
struct Capability {
    reach: Reach,
    /// `None`: every namespace.
    namespace: Option<String>,
    permission: String,
    leads_to: &'static str,
    evidence: Evidence,
}

struct Check {
    actions: &'static [(&'static str, &'static str)],
    reach: Reach,
    cluster_only: bool,
    permission: &'static str,
    leads_to: &'static str,
}

/// Permissions that lead somewhere, each given as `(verb, resource)` pairs that
/// must all be allowed.
const CHECKS: &[Check] = &[
    Check {
        actions: &[("*", "*.*")],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "use every verb on every resource",
        leads_to: "cluster-admin power",
    },
    Check {
        actions: &[("impersonate", "groups")],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "impersonate groups",
        leads_to: "acting as the system:masters group",
    },
    Check {
        actions: &[("impersonate", "users")],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "impersonate users",
        leads_to: "acting as any user, administrators included",
    },
    Check {
        actions: &[
            ("bind", "clusterroles.rbac.authorization.k8s.io"),
            ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
        ],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "bind ClusterRoles and create ClusterRoleBindings",
        leads_to: "binding cluster-admin to itself",
    },
    Check {
        actions: &[
            ("escalate", "clusterroles.rbac.authorization.k8s.io"),
            ("update", "clusterroles.rbac.authorization.k8s.io"),
        ],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "escalate and update ClusterRoles",
        leads_to: "adding any permission to a ClusterRole it holds",
    },
    Check {
        actions: &[("get", "nodes/proxy")],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "get nodes/proxy",
        leads_to: "running commands in any pod through the kubelet API",
    },
    Check {
        actions: &[("create", "nodes/proxy")],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "create nodes/proxy",
        leads_to: "running commands in any pod through the kubelet API",
    },
    Check {
        actions: &[
            ("create", "certificatesigningrequests.certificates.k8s.io"),
            (
                "update",
                "certificatesigningrequests.certificates.k8s.io/approval",
            ),
            ("approve", "signers.certificates.k8s.io"),
        ],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "create and approve certificate signing requests",
        leads_to: "a client certificate for the system:masters group",
    },
    Check {
        actions: &[(
            "create",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        )],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "create mutating webhook configurations",
        leads_to: "seeing and rewriting every object written to the API",
    },
    Check {
        actions: &[(
            "patch",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        )],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "patch mutating webhook configurations",
        leads_to: "seeing and rewriting every object written to the API",
    },
    Check {
        actions: &[(
            "create",
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
        )],
        reach: Reach::Admin,
        cluster_only: true,
        permission: "create validating webhook configurations",
        leads_to: "receiving every object written to the API, Secrets included",
    },
    Check {
        actions: &[("create", "pods")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create pods",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "deployments.apps")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create deployments",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "daemonsets.apps")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create daemonsets",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "statefulsets.apps")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create statefulsets",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "jobs.batch")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create jobs",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "cronjobs.batch")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create cronjobs",
        leads_to: "running a pod as",
    },
    Check {
        actions: &[("create", "serviceaccounts/token")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create serviceaccounts/token",
        leads_to: "minting a token for",
    },
    Check {
        actions: &[("create", "secrets")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "create secrets",
        leads_to: "having a token Secret filled for",
    },
    Check {
        actions: &[("impersonate", "serviceaccounts")],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "impersonate serviceaccounts",
        leads_to: "acting as",
    },
    Check {
        actions: &[
            ("bind", "clusterroles.rbac.authorization.k8s.io"),
            ("create", "rolebindings.rbac.authorization.k8s.io"),
        ],
        reach: Reach::AnyAccount,
        cluster_only: false,
        permission: "bind ClusterRoles and create RoleBindings",
        leads_to: "granting itself any role, then running a pod as",
    },
    Check {
        actions: &[("create", "pods/exec")],
        reach: Reach::AccountWithWorkload,
        cluster_only: false,
        permission: "create pods/exec",
        leads_to: "running commands in a pod of",
    },
    Check {
        actions: &[("list", "secrets")],
        reach: Reach::AccountWithToken,
        cluster_only: false,
        permission: "list secrets",
        leads_to: "reading the token Secret of",
    },
    Check {
        actions: &[("get", "secrets")],
        reach: Reach::AccountWithToken,
        cluster_only: false,
        permission: "get secrets",
        leads_to: "reading the token Secret of",
    },
];

/// For every role, the first rule allowing each action of each check: computed
/// once per role, not once per subject bound to it.
struct RoleTable {
    /// `[role][check][action]`.
    allowed: Vec<Vec<Vec<Option<usize>>>>,
}

impl RoleTable {
    fn new(rbac: &Rbac) -> Self {
        let actions: Vec<Vec<Option<Action>>> = CHECKS
            .iter()
            .map(|c| {
                c.actions
                    .iter()
                    .map(|(verb, resource)| {
                        // `*.*` stands for a rule with `*` verbs, groups and resources.
                        (*resource != "*.*").then(|| Action::parse(verb, resource, None, None))
                    })
                    .collect()
            })
            .collect();
        let allowed = rbac
            .roles
            .iter()
            .map(|role| {
                actions
                    .iter()
                    .map(|check| {
                        check
                            .iter()
                            .map(|action| {
                                role.rules.iter().position(|r| match action {
                                    Some(action) => r.allows(action),
                                    None => {
                                        let star = |xs: &[String]| xs.iter().any(|x| x == "*");
                                        star(&r.verbs) && star(&r.api_groups) && star(&r.resources)
                                    }
                                })
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        RoleTable { allowed }
    }
}

/// What `subject` can reach through its permissions, one entry per check and
/// namespace where it holds.
fn capabilities(
    authorizer: &Authorizer<'_>,
    table: &RoleTable,
    subject: &Subject,
) -> Vec<Capability> {
    let rbac = authorizer.rbac();
    let bindings = authorizer.bindings_of(subject);
    let mut out = Vec::new();
    for (k, check) in CHECKS.iter().enumerate() {
        // The namespaces where every action of the check is allowed, with the
        // evidence of the first.
        let mut namespaces: Option<Vec<(Option<String>, Evidence)>> = None;
        for a in 0..check.actions.len() {
            let allowed: Vec<(Option<String>, Evidence)> = bindings
                .iter()
                .filter_map(|&b| {
                    let binding = &rbac.bindings[b];
                    let role = binding.role?;
                    let rule = table.allowed[role][k][a]?;
                    Some((
                        binding.namespace.clone(),
                        Evidence {
                            binding: b,
                            role,
                            rule,
                        },
                    ))
                })
                .collect();
            namespaces = Some(match namespaces {
                None => allowed,
                Some(before) => intersect(before, &allowed),
            });
        }
        for (namespace, evidence) in namespaces.unwrap_or_default() {
            if check.cluster_only && namespace.is_some() {
                continue;
            }
            out.push(Capability {
                reach: check.reach,
                permission: match &namespace {
                    Some(ns) => format!("{} in namespace {ns}", check.permission),
                    None if check.cluster_only => format!("{} cluster-wide", check.permission),
                    None => format!("{} in every namespace", check.permission),
                },
                namespace,
                leads_to: check.leads_to,
                evidence,
            });
        }
    }
    out
}

/// The namespaces in both lists (`None` is every namespace).
fn intersect(
    a: Vec<(Option<String>, Evidence)>,
    b: &[(Option<String>, Evidence)],
) -> Vec<(Option<String>, Evidence)> {
    let b_all = b.iter().any(|(ns, _)| ns.is_none());
    let mut out = Vec::new();
    for (ns, e) in a {
        match ns {
            None if b_all => out.push((None, e)),
            // Everywhere for `a`, some namespaces for `b`: those namespaces.
            None => out.extend(b.iter().map(|(ns, _)| (ns.clone(), e))),
            Some(n) => {
                if b_all || b.iter().any(|(m, _)| m.as_deref() == Some(n.as_str())) {
                    out.push((Some(n), e));
                }
            }
        }
    }
    out
}

/// Every subject's shortest escalation path, shortest first. Subjects are the
/// ones bindings name and the service accounts the input mentions.
pub fn escalation_paths(rbac: &Rbac) -> Vec<EscalationPath> {
    let authorizer = Authorizer::new(rbac);
    let mut subjects: BTreeSet<Subject> = rbac.service_accounts();
    for b in &rbac.bindings {
        subjects.extend(b.subjects.iter().cloned());
    }
    let subjects: Vec<Subject> = subjects.into_iter().collect();
    let table = RoleTable::new(rbac);
    let caps: Vec<Vec<Capability>> = subjects
        .iter()
        .map(|s| capabilities(&authorizer, &table, s))
        .collect();
    // Service accounts that pods run as, and those with a token Secret: sets, so
    // that the cost stays linear in subjects plus workloads.
    let running: HashSet<Subject> = rbac
        .workloads
        .iter()
        .map(|w| Subject::service_account(&w.namespace, &w.service_account))
        .collect();
    let tokens: HashSet<Subject> = rbac
        .token_secrets
        .iter()
        .map(|(ns, _, account)| Subject::service_account(ns, account))
        .collect();
    let has_workload: Vec<bool> = subjects.iter().map(|s| running.contains(s)).collect();
    let has_token: Vec<bool> = subjects.iter().map(|s| tokens.contains(s)).collect();

    // dist[i] = steps to admin; via[i] = (capability index, next subject index).
    let mut dist: Vec<Option<u32>> = vec![None; subjects.len()];
    let mut via: Vec<Option<(usize, Option<usize>)>> = vec![None; subjects.len()];
    for (i, c) in caps.iter().enumerate() {
        if let Some(k) = c.iter().position(|c| c.reach == Reach::Admin) {
            dist[i] = Some(1);
            via[i] = Some((k, None));
        }
    }
    // Rounds of relaxation through the best service account of each namespace
    // and reach: linear in subjects and capabilities per round, at most
    // MAX_STEPS rounds.
    for _ in 1..MAX_STEPS {
        let mut best: HashMap<(Reach, Option<&str>), (u32, usize)> = HashMap::new();
        for (i, s) in subjects.iter().enumerate() {
            let (Some(d), "ServiceAccount") = (dist[i], s.kind.as_str()) else {
                continue;
            };
            let ns = s.namespace.as_deref();
            let mut reaches = vec![Reach::AnyAccount];
            if has_workload[i] {
                reaches.push(Reach::AccountWithWorkload);
            }
            if has_token[i] {
                reaches.push(Reach::AccountWithToken);
            }
            for reach in reaches {
                for key in [(reach, ns), (reach, None)] {
                    let entry = best.entry(key).or_insert((d, i));
                    if d < entry.0 {
                        *entry = (d, i);
                    }
                }
            }
        }
        let mut changed = false;
        for i in 0..subjects.len() {
            for (k, c) in caps[i].iter().enumerate() {
                if c.reach == Reach::Admin {
                    continue;
                }
                let Some(&(d, target)) = best.get(&(c.reach, c.namespace.as_deref())) else {
                    continue;
                };
                if target == i {
                    continue;
                }
                if dist[i].is_none_or(|current| d + 1 < current) {
                    dist[i] = Some(d + 1);
                    via[i] = Some((k, Some(target)));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut paths: Vec<EscalationPath> = (0..subjects.len())
        .filter(|&i| dist[i].is_some())
        .map(|start| {
            let mut steps = Vec::new();
            let mut at = start;
            while let Some((k, next)) = via[at] {
                let c = &caps[at][k];
                steps.push(Step {
                    subject: subjects[at].clone(),
                    permission: c.permission.clone(),
                    granted_by: authorizer.describe(c.evidence),
                    leads_to: match next {
                        Some(n) => format!("{} {}", c.leads_to, subjects[n]),
                        None => c.leads_to.to_string(),
                    },
                    next: next.map(|n| subjects[n].clone()),
                });
                match next {
                    Some(n) if steps.len() < MAX_STEPS as usize => at = n,
                    _ => break,
                }
            }
            EscalationPath {
                subject: subjects[start].clone(),
                steps,
            }
        })
        .collect();
    paths.sort_by(|a, b| {
        a.steps
            .len()
            .cmp(&b.steps.len())
            .then_with(|| a.subject.cmp(&b.subject))
    });
    paths
}
