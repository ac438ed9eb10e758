//! CEL validation, shared by every policy kind that validates with CEL:
//! ClusterPolicy `validate.cel` ([`rule`]) and the `policies.kyverno.io`
//! ValidatingPolicy ([`vpol`]), which is turned into the same form; and CEL
//! mutation ([`mutation`]) for MutatingPolicy and MutatingAdmissionPolicy
//! ([`mpol`]); GeneratingPolicy ([`generation`]); and the cleanup policies
//! ([`deletion`]).
//!
//! A [`CelValidation`] is compiled once, when the policy is loaded (every
//! expression parsed and checked against the variables Kubernetes declares),
//! then evaluated per resource with [`CelValidation::evaluate`], the way the
//! API server runs a ValidatingAdmissionPolicy: match conditions first (any
//! false one skips), then the variables in order, then each validation.

pub mod authz;
pub mod deletion;
pub mod generation;
pub mod ivpol;
pub mod mpol;
pub mod mutation;
pub mod rule;
pub mod vap;
pub mod vpol;

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use serde_json::{json, Value as Json};
use vigie_cel::k8s::authz::{authorizer, Authorize};
use vigie_cel::kyverno::{lookup, Offline};
use vigie_cel::{Activation, CompileError, Env, Program, Shared, Value};

use crate::engine::{PolicyContext, Status};

/// What `exceptions` holds when no PolicyException grants values.
static NO_EXCEPTION_VALUES: std::sync::LazyLock<Json> =
    std::sync::LazyLock::new(|| json!({"allowedValues": [], "allowedImages": []}));

/// Roots of Kyverno's own CEL libraries that need a cluster or a registry
/// to answer and have no offline form: an expression that calls one is
/// reported as unsupported with the library's name, never run or passed.
/// (The json, yaml, hash, time, math, transform, random and x509 libraries
/// are vigie-cel's.)
const KYVERNO_LIBRARIES: &[(&str, &str)] = &[
    ("globalContext", "CEL globalContext library"),
    ("images", "CEL image library"),
    ("imageData", "CEL image library"),
    ("http", "CEL http library"),
    ("generator", "CEL generator library"),
    ("kyverno", "Kyverno CEL library"),
];

/// Global functions of Kyverno's CEL libraries that vigie does not provide:
/// an expression calling one is reported as unsupported, as for
/// [`KYVERNO_LIBRARIES`].
const KYVERNO_FUNCTIONS: &[(&str, &str)] = &[("parseImageReference", "CEL image library")];

/// Why a CEL block cannot be compiled.
#[derive(Debug)]
pub enum CelProblem {
    /// A bad expression: the path to it and the reason.
    Invalid(String, String),
    /// An expression calls a library vigie cannot answer offline.
    Unsupported(&'static str),
}

/// An expression with the path it was read from (for error messages).
#[derive(Debug)]
pub struct Named {
    /// The name given in the policy (a variable's name, an annotation key...).
    pub name: String,
    /// The compiled expression.
    pub program: Program,
}

/// One validation: an expression that must be true.
#[derive(Debug)]
pub struct CelCheck {
    /// The compiled expression.
    pub program: Program,
    /// `message`: the text reported when the expression is false.
    pub message: Option<String>,
    /// `messageExpression`: a string expression that gives the message.
    pub message_expression: Option<Program>,
}

impl CelCheck {
    /// Evaluates the check: `Ok(true)` passes, `Ok(false)` fails, and `Err`
    /// names why the expression gave no bool (a runtime error or another type).
    pub(crate) fn holds(&self, act: &Activation) -> Result<bool, String> {
        match self.program.eval(act) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "expression '{}' gave {other:?}, not a bool",
                self.program.source().trim()
            )),
            Err(e) => Err(format!(
                "expression '{}' resulted in error: {e}",
                self.program.source().trim()
            )),
        }
    }
}

/// Where the `params` of a policy come from.
#[derive(Clone, Debug, Default)]
pub struct ParamSource {
    /// `paramKind.apiVersion`.
    pub api_version: String,
    /// `paramKind.kind`.
    pub kind: String,
    /// `paramRef.name` (empty: chosen by selector).
    pub name: String,
    /// `paramRef.namespace` (empty: the object's namespace).
    pub namespace: String,
    /// `paramRef.parameterNotFoundAction`: `Deny` (the default) or `Allow`.
    pub deny_when_missing: bool,
}

/// A compiled CEL validation.
#[derive(Debug, Default)]
pub struct CelValidation {
    /// Conditions that must all hold for the validation to apply.
    pub match_conditions: Vec<Named>,
    /// Variables, evaluated in order (each sees the ones before it).
    pub variables: Vec<Named>,
    /// The validations.
    pub checks: Vec<CelCheck>,
    /// `auditAnnotations`: string expressions whose values are reported.
    pub audit_annotations: Vec<Named>,
    /// Where `params` comes from, if the policy takes parameters.
    pub params: Option<ParamSource>,
    /// `failurePolicy: Ignore`: an expression that cannot be evaluated is
    /// passed over. With `Fail` (the default) it denies, as in Kubernetes.
    pub ignore_errors: bool,
    /// Failures are warnings: `validationActions` is `Warn` alone.
    pub warn: bool,
    /// The ValidatingAdmissionPolicyBindings of the policy: each one that
    /// selects the request evaluates the policy with its own params. None:
    /// the policy runs once, as if bound to everything it matches.
    pub bindings: Vec<vap::Binding>,
    /// Whether an expression reads `request` or `namespaceObject`
    /// ([`reads_request`]), found on the first evaluation: asking each
    /// program on every resource cost more than not binding them saved.
    reads_request: std::sync::OnceLock<bool>,
}

/// The environment CEL expressions of admission policies compile in.
pub fn env() -> Env {
    vigie_cel::kyverno::admission_env()
}

/// Compiles one expression found at `path` in `env`.
pub fn compile_in(env: &Env, expr: &str, path: &str) -> Result<Program, CelProblem> {
    let program = Program::compile(expr, env).map_err(|e| match &e {
        CompileError::UndeclaredVariable { name, .. } => {
            let root = name.split('.').next().unwrap_or(name);
            match KYVERNO_LIBRARIES.iter().find(|(r, _)| *r == root) {
                Some((_, feature)) => CelProblem::Unsupported(feature),
                None => CelProblem::Invalid(path.to_string(), e.to_string()),
            }
        }
        _ => CelProblem::Invalid(path.to_string(), e.to_string()),
    })?;
    match KYVERNO_FUNCTIONS
        .iter()
        .find(|(f, _)| program.calls_function(f))
    {
        Some((_, feature)) => Err(CelProblem::Unsupported(feature)),
        None => Ok(program),
    }
}

/// Compiles an optional expression-valued field (`messageExpression`) in `env`.
fn compile_opt_in(env: &Env, v: Option<&Json>, path: &str) -> Result<Option<Program>, CelProblem> {
    match v.and_then(Json::as_str).filter(|s| !s.trim().is_empty()) {
        Some(s) => compile_in(env, s, path).map(Some),
        None => Ok(None),
    }
}

/// Compiles a list of `{name, expression}` entries (variables,
/// matchConditions, auditAnnotations with `key`/`valueExpression`).
pub(crate) fn compile_named(
    list: Option<&Json>,
    path: &str,
    name_key: &str,
    expr_key: &str,
) -> Result<Vec<Named>, CelProblem> {
    compile_named_in(&env(), list, path, name_key, expr_key)
}

/// [`compile_named`] in `env`.
fn compile_named_in(
    env: &Env,
    list: Option<&Json>,
    path: &str,
    name_key: &str,
    expr_key: &str,
) -> Result<Vec<Named>, CelProblem> {
    let mut out = Vec::new();
    let Some(items) = list.and_then(Json::as_array) else {
        return Ok(out);
    };
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = item
            .get(name_key)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(expr) = item.get(expr_key).and_then(Json::as_str) else {
            return Err(CelProblem::Invalid(
                format!("{p}.{expr_key}"),
                format!("missing {expr_key}"),
            ));
        };
        out.push(Named {
            name,
            program: compile_in(env, expr, &format!("{p}.{expr_key}"))?,
        });
    }
    Ok(out)
}

/// A block's conditions (under `conditions_key`) and `variables`, both lists
/// of `{name, expression}`, compiled in `env`.
fn conditions_and_variables(
    env: &Env,
    cel: &Json,
    path: &str,
    conditions_key: &str,
) -> Result<(Vec<Named>, Vec<Named>), CelProblem> {
    let list = |key: &str| {
        compile_named_in(
            env,
            cel.get(key),
            &format!("{path}.{key}"),
            "name",
            "expression",
        )
    };
    Ok((list(conditions_key)?, list("variables")?))
}

/// Compiles `validations` (or ClusterPolicy `expressions`).
fn compile_checks(list: Option<&Json>, path: &str) -> Result<Vec<CelCheck>, CelProblem> {
    compile_checks_in(&env(), list, path)
}

/// [`compile_checks`] in `env`.
fn compile_checks_in(
    env: &Env,
    list: Option<&Json>,
    path: &str,
) -> Result<Vec<CelCheck>, CelProblem> {
    let mut out = Vec::new();
    for (i, item) in list
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("{path}[{i}]");
        let Some(expr) = item.get("expression").and_then(Json::as_str) else {
            return Err(CelProblem::Invalid(
                format!("{p}.expression"),
                "missing expression".into(),
            ));
        };
        out.push(CelCheck {
            program: compile_in(env, expr, &format!("{p}.expression"))?,
            message: item
                .get("message")
                .and_then(Json::as_str)
                .map(|s| s.trim().to_string()),
            message_expression: compile_opt_in(
                env,
                item.get("messageExpression"),
                &format!("{p}.messageExpression"),
            )?,
        });
    }
    Ok(out)
}

/// Reads `paramKind` and `paramRef`.
fn param_source(kind: Option<&Json>, reference: Option<&Json>) -> Option<ParamSource> {
    let kind = kind?;
    let s = |v: Option<&Json>, k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(ParamSource {
        api_version: s(Some(kind), "apiVersion"),
        kind: s(Some(kind), "kind"),
        name: s(reference, "name"),
        namespace: s(reference, "namespace"),
        deny_when_missing: s(reference, "parameterNotFoundAction") != "Allow",
    })
}

/// Everything an evaluation binds besides the policy's own expressions.
#[derive(Clone)]
pub struct CelInputs<'a> {
    /// The object (null on DELETE).
    pub object: &'a Json,
    /// The object before the change (null on CREATE).
    pub old_object: Option<&'a Json>,
    /// `request`: the admission request's attributes.
    pub request: Json,
    /// `namespaceObject`: the object's Namespace (null for cluster-scoped objects).
    pub namespace_object: Json,
    /// Objects `params` may be chosen from (the suite's or command's resources).
    pub param_candidates: &'a [Json],
    /// What `resource.Get/List` and `image.GetMetadata` answer from.
    pub lookup: &'a Arc<Offline>,
    /// What `authorizer` checks are answered from (none: errored decisions).
    pub authorizer: Option<&'a Arc<dyn Authorize>>,
    /// `exceptions`: the `allowedValues` and `allowedImages` PolicyExceptions
    /// grant the policy on this resource (none: both empty).
    pub exceptions: Option<Arc<Json>>,
}

impl<'a> CelInputs<'a> {
    /// The inputs of the resource `context` evaluates.
    pub fn of(context: &PolicyContext<'a>) -> Self {
        let target = context.target;
        let request = context.request;
        let (group, version) = match target.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", target.api_version.as_str()),
        };
        let namespace = if target.namespace.is_empty() && !is_cluster_scoped(&target.kind) {
            "default"
        } else {
            target.namespace.as_str()
        };
        let user = &request.user;
        let request_json = json!({
            "operation": context.operation(),
            "kind": {"group": group, "version": version, "kind": target.kind},
            "name": target.name,
            "namespace": namespace,
            "subResource": request.subresource.clone().unwrap_or_default(),
            "dryRun": request.dry_run,
            "userInfo": {"username": user.username, "groups": user.groups},
        });
        let namespace_object = if is_cluster_scoped(&target.kind) {
            Json::Null
        } else if let Some(ns) = request.values.namespace_objects.get(namespace) {
            ns.clone()
        } else {
            let labels = request
                .values
                .namespace_labels
                .get(namespace)
                .cloned()
                .unwrap_or_default();
            json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": labels},
            })
        };
        CelInputs {
            object: &target.object,
            old_object: request.old_object.as_ref(),
            request: request_json,
            namespace_object,
            param_candidates: &request.config_maps,
            lookup: &request.cel_lookup,
            authorizer: request.cel_authorizer.as_ref(),
            exceptions: context.exception_values_shared(),
        }
    }

    /// The activation binding `object`, `oldObject`, `exceptions`, the
    /// libraries and `authorizer`; not `request` and `namespaceObject`,
    /// which [`CelInputs::bind_request`] binds for the expressions that read
    /// them (`params` and `variables` are the policy's, bound per rule).
    pub fn activation(&self) -> Activation {
        let mut act = Activation::new();
        // A namespaced object written without a namespace is in `default`,
        // as the Kyverno CLI places it: CEL sees it there.
        let namespace = self
            .request
            .get("namespace")
            .and_then(Json::as_str)
            .unwrap_or_default();
        act.bind_json("object", &with_namespace(self.object, namespace));
        act.bind_json("oldObject", self.old_object.unwrap_or(&Json::Null));
        // Kyverno binds `exceptions` for every CEL policy, empty when no
        // PolicyException grants values.
        let exceptions = self.exceptions.as_deref().unwrap_or(&NO_EXCEPTION_VALUES);
        act.bind_json("exceptions", exceptions);
        for library in ["resource", "image"] {
            // Binding an opaque value cannot fail.
            let _ = act.bind(library, lookup(self.lookup.clone()));
        }
        // Fields read with `get`: `pointer` parses its path on every call
        // (a tenth of binding a resource, measured).
        let user = |k: &str| self.request.get("userInfo").and_then(|u| u.get(k));
        let groups = crate::json::string_items(user("groups"));
        let answers = self
            .authorizer
            .cloned()
            .unwrap_or_else(|| Arc::new(authz::NoRbac));
        // Binding an opaque value cannot fail.
        let _ = act.bind(
            "authorizer",
            authorizer(
                answers,
                user("username").and_then(Json::as_str).unwrap_or_default(),
                &groups,
            ),
        );
        act
    }

    /// Binds `request` and `namespaceObject` in `act`.
    pub fn bind_request(&self, act: &mut Activation) {
        act.bind_json("request", &self.request);
        act.bind_json("namespaceObject", &self.namespace_object);
    }
}

/// The variables [`CelInputs::bind_request`] binds.
const REQUEST: &[&str] = &["request", "namespaceObject"];

/// Whether one of `programs` may read `request` or `namespaceObject`, or
/// whether it may run depends on them (its cost bound reads their sizes):
/// binding them or not then changes nothing else.
pub(crate) fn reads_request<'p>(programs: impl IntoIterator<Item = &'p Program>) -> bool {
    programs
        .into_iter()
        .any(|p| REQUEST.iter().any(|v| p.reads(v) || p.cost_reads(v)))
}

/// `object` with `metadata.namespace` set to `namespace` when it has none
/// and `namespace` is not empty (the object is namespaced).
fn with_namespace<'a>(object: &'a Json, namespace: &str) -> Cow<'a, Json> {
    let has_one = object
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Json::as_str)
        .is_some_and(|ns| !ns.is_empty());
    match object.get("metadata").and_then(Json::as_object) {
        Some(_) if !has_one && !namespace.is_empty() => {
            let mut copy = object.clone();
            if let Some(meta) = copy.get_mut("metadata").and_then(Json::as_object_mut) {
                meta.insert("namespace".into(), Json::String(namespace.to_string()));
            }
            Cow::Owned(copy)
        }
        _ => Cow::Borrowed(object),
    }
}

/// Kinds that have no namespace (the common built-in ones).
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "StorageClass"
            | "PriorityClass"
            | "RuntimeClass"
            | "IngressClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "ClusterPolicy"
            | "PodSecurityPolicy"
    )
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}

impl CelValidation {
    /// Runs the validation on one resource: `Skip` when a match condition
    /// is false, `Fail` with the messages of the false validations, `Error`
    /// when an expression cannot be evaluated, else `Pass`.
    ///
    /// With bindings, each binding that selects the request evaluates the
    /// policy with its params; the most severe outcome is the result (a
    /// failure under a Warn-only binding is a warning), `Skip` when none
    /// selects it.
    pub fn evaluate(&self, inputs: &CelInputs<'_>) -> (Status, String) {
        self.evaluate_in(&CelResource::new(inputs.clone()))
    }

    /// [`CelValidation::evaluate`] on a resource whose activation (and
    /// variables computed by expressions of the inputs alone) the rules
    /// evaluated on it share.
    pub fn evaluate_in(&self, shared: &CelResource<'_>) -> (Status, String) {
        if self.bindings.is_empty() {
            return self.evaluate_bound(shared, self.params.as_ref(), self.warn);
        }
        let mut worst: Option<(Status, String)> = None;
        for b in self.bindings.iter().filter(|b| b.selects(&shared.inputs)) {
            let (status, message) = self.evaluate_bound(shared, b.params.as_ref(), b.warn);
            let message = if self.bindings.len() > 1 && !message.is_empty() {
                format!("binding {}: {message}", b.name)
            } else {
                message
            };
            if worst
                .as_ref()
                .is_none_or(|(w, _)| severity(status) > severity(*w))
            {
                worst = Some((status, message));
            }
        }
        worst.unwrap_or((
            Status::Skip,
            "no binding of the policy selects the resource".into(),
        ))
    }

    /// One evaluation with `params` chosen from `source`; failures become
    /// warnings when `warn`.
    fn evaluate_bound(
        &self,
        shared: &CelResource<'_>,
        source: Option<&ParamSource>,
        warn: bool,
    ) -> (Status, String) {
        match self.evaluate_with(shared, source) {
            (Status::Fail, m) if warn => (Status::Warn, m),
            other => other,
        }
    }

    fn evaluate_with(
        &self,
        shared: &CelResource<'_>,
        source: Option<&ParamSource>,
    ) -> (Status, String) {
        let scope = Scope {
            match_conditions: &self.match_conditions,
            variables: &self.variables,
            params: source,
            ignore_errors: self.ignore_errors,
            reads_request: *self.reads_request.get_or_init(|| self.any_reads_request()),
        };
        let (act, variable_errors) = match scope.bind(shared) {
            Ok(bound) => bound,
            Err(result) => return result,
        };
        let mut failures = Vec::new();
        for check in &self.checks {
            let problem = match check.holds(&act) {
                Ok(true) => continue,
                Ok(false) => {
                    failures.push(self.message(check, &act));
                    continue;
                }
                Err(problem) => problem,
            };
            // Kubernetes denies on an expression it cannot evaluate unless
            // the failure policy is Ignore.
            if !self.ignore_errors {
                let mut m = problem;
                if !variable_errors.is_empty() {
                    m.push_str(&format!(" ({})", variable_errors.join("; ")));
                }
                failures.push(m);
            }
        }
        if failures.is_empty() {
            let annotations = self.annotations(&act);
            (Status::Pass, annotations)
        } else {
            (Status::Fail, failures.join("; "))
        }
    }

    /// Whether an expression of the validation may read `request` or
    /// `namespaceObject`.
    fn any_reads_request(&self) -> bool {
        let named = self
            .match_conditions
            .iter()
            .chain(&self.variables)
            .chain(&self.audit_annotations)
            .map(|n| &n.program);
        let checks = self
            .checks
            .iter()
            .flat_map(|c| std::iter::once(&c.program).chain(&c.message_expression));
        reads_request(named.chain(checks))
    }

    /// The message of a false validation: `messageExpression` when it gives a
    /// string, else `message`, else Kubernetes' "failed expression: ...".
    fn message(&self, check: &CelCheck, act: &Activation) -> String {
        if let Some(m) = &check.message_expression {
            if let Ok(text) = m.eval(act) {
                if let Some(s) = string_of(&text).filter(|s| !s.trim().is_empty()) {
                    return s;
                }
            }
        }
        match &check.message {
            Some(m) if !m.is_empty() => m.clone(),
            _ => format!("failed expression: {}", check.program.source().trim()),
        }
    }

    /// `auditAnnotations` as `key=value` text (those that give null are left out).
    fn annotations(&self, act: &Activation) -> String {
        let mut out = Vec::new();
        for a in &self.audit_annotations {
            match a.program.eval(act) {
                Ok(Value::Null) => {}
                Ok(v) => out.push(format!("{}={}", a.name, string_of(&v).unwrap_or_default())),
                Err(e) => out.push(format!("{}: error: {e}", a.name)),
            }
        }
        out.join(", ")
    }
}

/// How much an outcome weighs when several bindings give one.
fn severity(s: Status) -> u8 {
    match s {
        Status::Skip => 0,
        Status::Pass => 1,
        Status::Warn => 2,
        Status::Error => 3,
        Status::Fail => 4,
    }
}

/// What every CEL block binds before its own expressions run: the inputs,
/// `params`, then the match conditions (any false one skips) and the
/// variables in order.
pub(crate) struct Scope<'a> {
    /// `matchConditions` (or a rule's `celPreconditions`).
    pub match_conditions: &'a [Named],
    /// `variables`, in order.
    pub variables: &'a [Named],
    /// Where `params` comes from.
    pub params: Option<&'a ParamSource>,
    /// `failurePolicy: Ignore`.
    pub ignore_errors: bool,
    /// Whether an expression the block evaluates in the activation may read
    /// `request` or `namespaceObject`: only then are they bound (converting
    /// them for every resource, when no Pod Security policy reads them, was
    /// a fifth of binding a resource: docs/policy.md, Benchmark).
    pub reads_request: bool,
}

impl Scope<'_> {
    /// The activation the block's expressions run in, with the errors of
    /// variables that could not be evaluated; or the result of the whole
    /// block when a match condition is false or undecidable, or params are
    /// missing.
    pub(crate) fn bind(
        &self,
        shared: &CelResource<'_>,
    ) -> Result<(Activation, Vec<String>), (Status, String)> {
        let inputs = &shared.inputs;
        // Shares the bound values: only what this block binds is converted.
        let base = if self.reads_request {
            shared.with_request()
        } else {
            &shared.activation
        };
        let mut act = Activation::extend(base.clone());
        // The shared activation binds `params` to null already: a block
        // without params binds nothing of its own here.
        if self.params.is_some() {
            match find_params(self.params, inputs) {
                Ok(p) => act.bind_json("params", &p),
                Err(result) => return Err(result),
            };
        }
        // Kyverno's policies may use variables in their match conditions:
        // the variables come first for those (and only for those, since a
        // resource the conditions leave out needs none).
        let conditions_read_variables = self
            .match_conditions
            .iter()
            .any(|c| c.program.source().contains("variables"));
        if !conditions_read_variables {
            self.check_conditions(&act)?;
        }
        // Variables are evaluated in order; one that fails is left out, so
        // that only an expression using it fails (Kubernetes evaluates them
        // lazily, with the same effect). `variables` starts as the empty map
        // the shared activation binds.
        let mut variable_errors = Vec::new();
        for v in self.variables {
            match shared.variable(&v.program, &act) {
                Ok(value) => {
                    act.bind_field("variables", &v.name, &value);
                }
                Err(e) => variable_errors.push(format!("variable {}: {e}", v.name)),
            }
        }
        if conditions_read_variables {
            self.check_conditions(&act)?;
        }
        Ok((act, variable_errors))
    }

    /// `Err` with the block's result when a match condition is false or
    /// cannot be decided.
    fn check_conditions(&self, act: &Activation) -> Result<(), (Status, String)> {
        for c in self.match_conditions {
            let problem = match c.program.eval(act) {
                Ok(Value::Bool(true)) => continue,
                Ok(Value::Bool(false)) => {
                    return Err((Status::Skip, format!("match condition {} not met", c.name)))
                }
                Ok(other) => format!("match condition {} gave {other:?}, not a bool", c.name),
                Err(e) => format!("match condition {} resulted in error: {e}", c.name),
            };
            // An undecidable condition: Kubernetes applies the failure policy.
            return Err(if self.ignore_errors {
                (Status::Skip, problem)
            } else {
                (Status::Fail, problem)
            });
        }
        Ok(())
    }
}

/// The `params` object: the candidate of `paramKind` named by `paramRef`.
fn find_params(
    source: Option<&ParamSource>,
    inputs: &CelInputs<'_>,
) -> Result<Json, (Status, String)> {
    let Some(source) = source else {
        return Ok(Json::Null);
    };
    let s = |o: &Json, p: &str| {
        o.pointer(p)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let object_ns = s(inputs.object, "/metadata/namespace");
    let found = inputs.param_candidates.iter().find(|c| {
        s(c, "/kind") == source.kind
            && (source.api_version.is_empty() || s(c, "/apiVersion") == source.api_version)
            && (source.name.is_empty() || s(c, "/metadata/name") == source.name)
            && (source.namespace.is_empty() && s(c, "/metadata/namespace") == object_ns
                || s(c, "/metadata/namespace") == source.namespace
                || source.namespace.is_empty() && source.name.is_empty())
    });
    match found {
        Some(p) => Ok(p.clone()),
        None if source.deny_when_missing => Err((
            Status::Fail,
            format!(
                "no params found: {} {} named {:?} in namespace {:?} (paramRef)",
                source.api_version, source.kind, source.name, source.namespace
            ),
        )),
        None => Err((
            Status::Skip,
            "no params found; parameterNotFoundAction is Allow".into(),
        )),
    }
}

/// Runs the CEL validation of a rule in `context`.
pub fn run(context: &PolicyContext<'_>, validation: &CelValidation) -> (Status, String) {
    validation.evaluate_in(context.cel())
}

/// What every CEL rule on one resource shares, made by the first one
/// ([`PolicyContext`] keeps it): the inputs, and the activation that binds
/// them. Converting the object to CEL values once per resource rather than
/// once per rule is what brought the CEL Pod Security policies level with
/// their pattern versions (bench/policy/README.md).
pub struct CelResource<'a> {
    /// The inputs of the resource.
    pub inputs: CelInputs<'a>,
    /// `inputs` bound but `request` and `namespaceObject`: what the
    /// activation of every rule that reads neither extends.
    activation: Arc<Activation>,
    /// `activation` extended with `request` and `namespaceObject`, bound
    /// when a rule on the resource first reads one of them.
    with_request: OnceCell<Arc<Activation>>,
    /// Variables already computed on this resource, by expression text:
    /// most Pod Security policies compute the same list of all containers.
    /// A handful per resource: a list compared by text (lengths first) is
    /// cheaper than hashing each text looked up.
    variables: RefCell<Vec<(String, Shared)>>,
}

/// The variables whose values differ between rules on the same resource: an
/// expression that reads none of them gives every rule the same value.
const PER_RULE: &[&str] = &["params", "variables", "authorizer"];

impl<'a> CelResource<'a> {
    /// The activation binding all the inputs, `request` and
    /// `namespaceObject` included.
    pub(crate) fn activation(&self) -> &Activation {
        self.with_request()
    }

    /// [`CelResource::activation`], shared.
    fn with_request(&self) -> &Arc<Activation> {
        self.with_request.get_or_init(|| {
            let mut act = Activation::extend(self.activation.clone());
            self.inputs.bind_request(&mut act);
            Arc::new(act)
        })
    }

    /// The inputs of `context`'s resource and their activation.
    pub fn of(context: &PolicyContext<'a>) -> Self {
        CelResource::new(CelInputs::of(context))
    }

    /// `inputs` and their activation.
    pub fn new(inputs: CelInputs<'a>) -> Self {
        let mut activation = inputs.activation();
        // What a block without params or variables sees, bound once per
        // resource rather than converted again for each rule.
        activation.bind_json("params", &Json::Null);
        activation.bind_json("variables", &Json::Object(serde_json::Map::new()));
        CelResource {
            inputs,
            activation: Arc::new(activation),
            with_request: OnceCell::new(),
            variables: RefCell::new(Vec::new()),
        }
    }

    /// The value of variable `program` in `act` (an activation made from
    /// this resource's), computed once per resource when it depends on the
    /// resource alone.
    fn variable(
        &self,
        program: &Program,
        act: &Activation,
    ) -> Result<Shared, vigie_cel::EvalError> {
        let per_resource = !PER_RULE.iter().any(|v| program.reads(v));
        if !per_resource {
            return program.eval_shared(act);
        }
        let known = self
            .variables
            .borrow()
            .iter()
            .find(|(text, _)| text == program.source())
            .map(|(_, v)| v.clone());
        if let Some(v) = known {
            return Ok(v);
        }
        let value = program.eval_shared(act)?;
        self.variables
            .borrow_mut()
            .push((program.source().to_string(), value.clone()));
        Ok(value)
    }
}
