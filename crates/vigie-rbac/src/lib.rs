//! Kubernetes RBAC as the API server evaluates it, answered from objects (files
//! today, a cluster's lists later): who may do an action and through which
//! binding, role and rule ([`who_can`]), and the chains of permissions that lead
//! a subject to cluster-admin power ([`escalation_paths`]), and the roles bound
//! to the user of an admission request ([`RoleBindingIndex`]).
//!
//! Matching follows the RBAC authorizer's documented rules: `*` verbs, groups and
//! resources, `resource/subresource` and `*/subresource`, `resourceNames` (which
//! never grant a request that names no object), non-resource URLs with a `*`
//! suffix, RoleBindings granting only in their namespace, and aggregated
//! ClusterRoles holding the rules of the roles their selectors match.
//!
//! ```
//! use vigie_rbac::{who_can, Action, Rbac, Scope};
//! let text = "\
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: pod-maker, namespace: ci}
//! rules: [{apiGroups: [''], resources: [pods], verbs: [create]}]
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: devs, namespace: ci}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-maker}
//! subjects: [{kind: User, name: alice}]
//! ";
//! let loaded = vigie_resource::load_text(text, "rbac.yaml", &Default::default());
//! let rbac = Rbac::from_resources(&loaded.resources);
//! let action = Action::parse("create", "pods", None, None);
//! let grants = who_can(&rbac, &action, &Scope::Namespace("ci".into()));
//! assert!(grants.iter().any(|g| g.subject.name == "alice"));
//! ```

#![deny(missing_docs)]

mod model;
mod paths;
mod rule;
mod user_roles;
mod who_can;

pub use model::{Binding, Location, Rbac, Role, Subject, Workload};
pub use paths::{escalation_paths, EscalationPath, Step, MAX_STEPS};
pub use rule::{Action, PolicyRule, Target};
pub use user_roles::{RoleBindingIndex, UserRoles};
pub use who_can::{who_can, Authorizer, Evidence, Grant, Scope};
