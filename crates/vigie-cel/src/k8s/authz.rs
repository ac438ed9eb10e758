//! Kubernetes' authorizer library: `authorizer.group(g).resource(r)`
//! `.subresource(s).namespace(ns).name(n).check(verb)`,
//! `authorizer.path(p).check(verb)`, `authorizer.serviceAccount(ns, name)`
//! (the same questions asked for that service account), and the decision's
//! `allowed()`, `reason()`, `errored()`, `error()`.
//!
//! The variable `authorizer` is bound to [`authorizer`]'s value, which
//! carries who asks and an [`Authorize`] that answers: the caller's RBAC
//! data (vigie-policy answers from the RBAC objects it was given).

use std::fmt::Debug;
use std::sync::Arc;

use cel::common::types::{CelBool, CelString, Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, Value};

use crate::library::{add_methods, err, one, owned, string_arg, two, R};

/// What an authorization check asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthzQuery {
    /// The user asking.
    pub user: String,
    /// The user's groups.
    pub groups: Vec<String>,
    /// The verb (`get`, `create`...), set by `check`.
    pub verb: String,
    /// The API group (empty for the core group).
    pub group: String,
    /// The resource, plural (`deployments`); empty for a path check.
    pub resource: String,
    /// The subresource (`status`, `scale`...), or empty.
    pub subresource: String,
    /// The namespace, or empty for cluster-wide.
    pub namespace: String,
    /// The object's name, or empty.
    pub name: String,
    /// A non-resource path (`/healthz`), or empty.
    pub path: String,
}

/// The answer to an [`AuthzQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// Why (the rule that allows it, or why nothing does).
    pub reason: String,
    /// Set when the question could not be answered.
    pub error: String,
}

/// Answers authorization questions.
pub trait Authorize: Send + Sync + Debug {
    /// The decision for `query`.
    fn authorize(&self, query: &AuthzQuery) -> Decision;
}

/// The CEL type of the authorizer and of its partial checks.
const AUTHORIZER: Type = Type::new_unspecified_type("kubernetes.authorization.Authorizer");
static AUTHORIZER_TYPE: Type = AUTHORIZER;
/// The CEL type of decisions.
const DECISION: Type = Type::new_unspecified_type("kubernetes.authorization.Decision");
static DECISION_TYPE: Type = DECISION;

/// The authorizer, or a check being built on it.
#[derive(Debug, Clone)]
pub struct Authz {
    source: Arc<dyn Authorize>,
    query: AuthzQuery,
}

impl PartialEq for Authz {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.source, &other.source) && self.query == other.query
    }
}
impl Eq for Authz {}

/// The value to bind `authorizer` to: checks for `user` (with `groups`)
/// answered by `source`.
pub fn authorizer(source: Arc<dyn Authorize>, user: &str, groups: &[String]) -> Value {
    Value::Opaque(Arc::new(Authz {
        source,
        query: AuthzQuery {
            user: user.to_string(),
            groups: groups.to_vec(),
            ..AuthzQuery::default()
        },
    }))
}

opaque_val!(
    Authz,
    AUTHORIZER_TYPE,
    "kubernetes.authorization.Authorizer"
);
opaque_val!(Decision, DECISION_TYPE, "kubernetes.authorization.Decision");

fn authz_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Authz, ExecutionError> {
    v.downcast_ref::<Authz>()
        .cloned()
        .ok_or_else(|| err(function, "called on something other than the authorizer"))
}

fn decision_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Decision, ExecutionError> {
    v.downcast_ref::<Decision>()
        .cloned()
        .ok_or_else(|| err(function, "called on something other than a decision"))
}

macro_rules! setter {
    ($f:ident, $cel:literal, $field:ident) => {
        fn $f<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
            let (a, s) = two(&args)?;
            let mut a = authz_arg(a, $cel)?;
            a.query.$field = string_arg(s, $cel)?.to_string();
            owned(a)
        }
    };
}

setter!(path, "path", path);
setter!(group, "group", group);
setter!(resource, "resource", resource);
setter!(subresource, "subresource", subresource);
setter!(namespace, "namespace", namespace);
setter!(name, "name", name);

fn check<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (a, verb) = two(&args)?;
    let mut a = authz_arg(a, "check")?;
    a.query.verb = string_arg(verb, "check")?.to_string();
    owned(a.source.authorize(&a.query))
}

fn service_account<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let [a, ns, n] = args.as_slice() else {
        return Err(ExecutionError::invalid_argument_count(
            2,
            args.len().saturating_sub(1),
        ));
    };
    let mut a = authz_arg(a, "serviceAccount")?;
    let (ns, n) = (
        string_arg(ns, "serviceAccount")?,
        string_arg(n, "serviceAccount")?,
    );
    a.query = AuthzQuery {
        user: format!("system:serviceaccount:{ns}:{n}"),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
        ..AuthzQuery::default()
    };
    owned(a)
}

fn allowed<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelBool::from(decision_arg(one(&args)?, "allowed")?.allowed))
}

fn errored<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelBool::from(
        !decision_arg(one(&args)?, "errored")?.error.is_empty(),
    ))
}

fn reason<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelString::from(decision_arg(one(&args)?, "reason")?.reason))
}

fn error<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelString::from(decision_arg(one(&args)?, "error")?.error))
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(AUTHORIZER)?;
    env.add_type(DECISION)?;
    add_methods(
        env,
        &AUTHORIZER,
        "authorizer_",
        &[STRING_TYPE],
        &[
            ("path", path),
            ("group", group),
            ("resource", resource),
            ("subresource", subresource),
            ("namespace", namespace),
            ("name", name),
            ("check", check),
        ],
    )?;
    env.add_member_overload(
        "serviceAccount",
        "authorizer_service_account",
        AUTHORIZER,
        vec![STRING_TYPE, STRING_TYPE],
        service_account,
    )?;
    add_methods(
        env,
        &DECISION,
        "decision_",
        &[],
        &[
            ("allowed", allowed),
            ("errored", errored),
            ("reason", reason),
            ("error", error),
        ],
    )
}
