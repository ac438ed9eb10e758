//! CEL's `authorizer` answered from RBAC objects (Roles, ClusterRoles and
//! their bindings) with vigie-rbac: in `vigie policy test`, those among the
//! suite's resources. Without RBAC objects every check is an errored
//! decision saying so, never an allowed one.

use std::sync::Arc;

use vigie_cel::k8s::authz::{Authorize, AuthzQuery, Decision};
use vigie_rbac::{Action, Authorizer, Rbac, Subject, Target};

/// Answers authorizer checks from RBAC objects.
#[derive(Debug)]
pub struct RbacAnswers {
    rbac: Rbac,
}

impl RbacAnswers {
    /// Answers from `rbac`.
    pub fn new(rbac: Rbac) -> Self {
        RbacAnswers { rbac }
    }
}

/// The subjects a request's user acts as: the user (or service account)
/// and its groups.
fn subjects(q: &AuthzQuery) -> Vec<Subject> {
    let user = match q
        .user
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
    {
        Some((ns, name)) => Subject::service_account(ns, name),
        None => Subject {
            kind: "User".into(),
            name: q.user.clone(),
            namespace: None,
        },
    };
    std::iter::once(user)
        .chain(q.groups.iter().map(|g| Subject::group(g)))
        .collect()
}

impl Authorize for RbacAnswers {
    fn authorize(&self, q: &AuthzQuery) -> Decision {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let target = if q.path.is_empty() {
            Target::Resource {
                group: q.group.clone(),
                resource: q.resource.clone(),
                subresource: some(&q.subresource),
                name: some(&q.name),
            }
        } else {
            Target::Url(q.path.clone())
        };
        let action = Action {
            verb: q.verb.clone(),
            target,
        };
        let authorizer = Authorizer::new(&self.rbac);
        let namespace = (!q.namespace.is_empty()).then_some(q.namespace.as_str());
        for subject in subjects(q) {
            if let Some(e) = authorizer.allowed(&subject, &action, namespace) {
                let binding = &self.rbac.bindings[e.binding];
                let role = &self.rbac.roles[e.role];
                return Decision {
                    allowed: true,
                    reason: format!(
                        "{} allowed by {} through {}",
                        subject,
                        role.describe(),
                        binding.describe()
                    ),
                    error: String::new(),
                };
            }
        }
        Decision {
            allowed: false,
            reason: format!("no RBAC rule given allows {} to {}", q.user, q.verb),
            error: String::new(),
        }
    }
}

/// The answer when no RBAC objects were given: an errored decision.
#[derive(Debug)]
pub struct NoRbac;

impl Authorize for NoRbac {
    fn authorize(&self, _: &AuthzQuery) -> Decision {
        Decision {
            allowed: false,
            reason: String::new(),
            error: "no RBAC objects (Roles, ClusterRoles, bindings) were given to answer authorizer checks".into(),
        }
    }
}

/// The source for `authorizer` checks: RBAC answers when `rbac` has
/// bindings, else [`NoRbac`].
pub fn answers(rbac: Rbac) -> Arc<dyn Authorize> {
    if rbac.bindings.is_empty() {
        Arc::new(NoRbac)
    } else {
        Arc::new(RbacAnswers::new(rbac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: Group, name: auditors}
- {kind: ServiceAccount, name: web}
"#;

    fn ask(user: &str, groups: &[&str], verb: &str, namespace: &str) -> Decision {
        let loaded = vigie_resource::load_text(RBAC, "rbac.yaml", &Default::default());
        answers(Rbac::from_resources(&loaded.resources)).authorize(&AuthzQuery {
            user: user.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            verb: verb.into(),
            resource: "pods".into(),
            namespace: namespace.into(),
            ..AuthzQuery::default()
        })
    }

    #[test]
    fn rbac_objects_answer_checks() {
        let d = ask("alice", &["auditors"], "get", "shop");
        assert!(d.allowed, "{d:?}");
        assert!(d.reason.contains("reader"), "{}", d.reason);
        assert!(!ask("alice", &["auditors"], "delete", "shop").allowed);
        assert!(!ask("alice", &["auditors"], "get", "other").allowed);
        assert!(!ask("bob", &[], "get", "shop").allowed);
        assert!(ask("system:serviceaccount:shop:web", &[], "list", "shop").allowed);
        let none = answers(Rbac::from_resources(&[])).authorize(&AuthzQuery::default());
        assert!(!none.allowed && !none.error.is_empty());
    }

    #[test]
    fn policies_ask_for_the_request_user() {
        use crate::engine::{evaluate, Request, Status, Target};
        use crate::matching::RequestUser;
        let text = r#"
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: readers-only}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  validations:
  - expression: "authorizer.group('').resource('pods').namespace('shop').check('get').allowed()"
    message: only pod readers
"#;
        let loaded = crate::load::policies_from_str(text, "p.yaml");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let rbac = vigie_resource::load_text(RBAC, "rbac.yaml", &Default::default());
        let mut request = Request {
            cel_authorizer: Some(answers(Rbac::from_resources(&rbac.resources))),
            ..Request::default()
        };
        let cm = Target::from_json(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "shop"}}));
        request.user = RequestUser {
            username: "alice".into(),
            groups: vec!["auditors".into()],
            ..RequestUser::default()
        };
        assert_eq!(
            evaluate(&loaded.policies[0], &cm, &request)[0].status,
            Status::Pass
        );
        request.user.groups.clear();
        let r = &evaluate(&loaded.policies[0], &cm, &request)[0];
        assert_eq!(
            (r.status, r.message.as_str()),
            (Status::Fail, "only pod readers")
        );
    }
}
