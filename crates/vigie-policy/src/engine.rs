//! Evaluating policies against resources: per-rule pass, fail, skip, warn or error.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value as Json};

use crate::conditions::{self, Conditions};
use crate::context;
use crate::images;
use crate::jmes::{self, Rcvar, Variable};
use crate::matching::{MatchTarget, RequestUser};
use crate::pattern::{self, MismatchKind};
use crate::policy::{Check, FailureAction, Foreach, Policy, Rule, RuleAction, Validation};
use crate::variables::{self, Missing};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Error,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: String,
    pub status: Status,
    pub message: String,
}

/// Values given offline (the `cli.kyverno.io/v1alpha1` Values format, `--set`).
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub global: Map<String, Json>,
    /// policy name -> rule name -> values
    pub rules: HashMap<String, HashMap<String, Map<String, Json>>>,
    /// policy name -> resource name -> values
    pub resources: HashMap<String, HashMap<String, Map<String, Json>>>,
    /// namespace name -> labels
    pub namespace_labels: HashMap<String, BTreeMap<String, String>>,
}

/// A resource ready for evaluation: its JSON, converted once.
#[derive(Clone, Debug)]
pub struct Target {
    pub object: Json,
    pub var: Rcvar,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The loaded resource, for checks that work on positioned trees (podSecurity).
    pub resource: Option<vigie_resource::Resource>,
}

fn string_map(v: Option<&Json>) -> BTreeMap<String, String> {
    v.and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Target {
    pub fn from_json(object: Json) -> Target {
        let s = |p: &str| {
            object
                .pointer(p)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Target {
            api_version: s("/apiVersion"),
            kind: s("/kind"),
            name: s("/metadata/name"),
            namespace: s("/metadata/namespace"),
            labels: string_map(object.pointer("/metadata/labels")),
            annotations: string_map(object.pointer("/metadata/annotations")),
            var: jmes::to_var(&object),
            object,
            resource: None,
        }
    }

    pub fn from_resource(resource: vigie_resource::Resource) -> Target {
        let mut t = Target::from_json(crate::json::node_to_json(&resource.root));
        t.resource = Some(resource);
        t
    }
}

/// The admission operation of a request (`request.operation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Operation {
    /// An object is created (the default of the CLI, as in `kyverno apply`).
    #[default]
    Create,
    /// An object is changed: `request.oldObject` holds it before the change.
    Update,
    /// An object is deleted: `request.oldObject` holds it, `request.object` is null.
    Delete,
    /// A connection to a subresource (`pods/exec`, `pods/attach`, `pods/portforward`).
    Connect,
}

impl Operation {
    /// The name the API server uses: `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation name that is none of `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation {0:?} (expected CREATE, UPDATE, DELETE or CONNECT)")]
pub struct UnknownOperation(pub String);

impl std::str::FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "CREATE" => Ok(Operation::Create),
            "UPDATE" => Ok(Operation::Update),
            "DELETE" => Ok(Operation::Delete),
            "CONNECT" => Ok(Operation::Connect),
            other => Err(UnknownOperation(other.to_string())),
        }
    }
}

/// Everything about the request that is not the object itself.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// What is being done to the object.
    pub operation: Operation,
    /// The object before the change, on UPDATE and DELETE (`request.oldObject`).
    pub old_object: Option<Json>,
    /// The subresource asked for (`exec` for `pods/exec`, `status`, `scale`...), which
    /// `match` kinds such as `Pod/exec` select.
    pub subresource: Option<String>,
    /// `request.dryRun`: the API server will not persist the object.
    pub dry_run: bool,
    /// Who sends the request.
    pub user: RequestUser,
    /// Values given offline (values files, `--set`).
    pub values: Values,
    /// ConfigMaps that `configMap` context entries can read.
    pub config_maps: Vec<Json>,
}

/// The result of one policy on one resource.
#[derive(Clone, Debug)]
pub struct PolicyResult {
    pub rules: Vec<RuleResult>,
}

/// Evaluates every validate rule of `policy` that applies to `target`.
pub fn evaluate(policy: &Policy, target: &Target, request: &Request) -> Vec<RuleResult> {
    evaluate_sharing(policy, target, request, &mut None)
}

/// [`evaluate`], for several policies on the same target and request: the
/// variables document (`request.*`, `images`...) is built by the first policy
/// that needs it, kept in `base`, and reused by the next ones (it depends on the
/// target and request only).
pub fn evaluate_sharing(
    policy: &Policy,
    target: &Target,
    request: &Request,
    base: &mut Option<Rcvar>,
) -> Vec<RuleResult> {
    if let Some(ns) = &policy.namespace {
        if &target.namespace != ns {
            return Vec::new();
        }
    }
    let operation = request
        .values
        .global
        .get("request.operation")
        .and_then(Json::as_str)
        .unwrap_or(request.operation.as_str())
        .to_string();
    let namespace_labels = request.values.namespace_labels.get(&target.namespace);
    let match_target = MatchTarget {
        api_version: &target.api_version,
        kind: &target.kind,
        subresource: request.subresource.as_deref(),
        name: &target.name,
        namespace: &target.namespace,
        labels: target.labels.clone(),
        annotations: target.annotations.clone(),
        namespace_labels,
        operation: &operation,
        user: &request.user,
    };
    let mut results = Vec::new();
    for rule in &policy.rules {
        let RuleAction::Validate(validation) = &rule.action else {
            continue;
        };
        if !rule.match_resources.selects(&match_target) {
            continue;
        }
        if rule
            .exclude
            .as_ref()
            .is_some_and(|e| e.excludes(&match_target))
        {
            continue;
        }
        let base = base.get_or_insert_with(|| base_document(target, request, &operation));
        let (status, message) =
            evaluate_rule(policy, rule, validation, target, request, base.clone());
        results.push(RuleResult {
            rule: rule.name.clone(),
            status,
            message,
        });
    }
    results
}

fn base_document(target: &Target, request: &Request, operation: &str) -> Rcvar {
    let user = &request.user;
    let (sa_namespace, sa_name) = user
        .username
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
        .unwrap_or(("", ""));
    let (group, version) = target
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &target.api_version));
    // Only what the user-info file gives is set: an absent field stays absent.
    let mut user_info = Map::new();
    if !user.username.is_empty() {
        user_info.insert("username".into(), json!(user.username));
    }
    if !user.groups.is_empty() {
        user_info.insert("groups".into(), json!(user.groups));
    }
    let doc = json!({
        "request": {
            "operation": operation,
            "userInfo": user_info,
            "roles": user.roles,
            "clusterRoles": user.cluster_roles,
            "namespace": target.namespace,
            "name": target.name,
            "kind": {"group": group, "version": version, "kind": target.kind},
        },
        "serviceAccountName": sa_name,
        "serviceAccountNamespace": sa_namespace,
        "images": images::images_variable(&target.object, &target.kind),
    });
    let mut root = jmes::to_var(&doc);
    context::set_path(&mut root, "request.object", target.var.clone());
    let old_object = match &request.old_object {
        Some(old) => jmes::to_var(old),
        None => Rcvar::new(jmes::Variable::Null),
    };
    context::set_path(&mut root, "request.oldObject", old_object);
    if request.dry_run {
        context::set_path(
            &mut root,
            "request.dryRun",
            Rcvar::new(Variable::Bool(true)),
        );
    }
    context::apply_values(&mut root, &request.values.global);
    root
}

fn evaluate_rule(
    policy: &Policy,
    rule: &Rule,
    validation: &Validation,
    target: &Target,
    request: &Request,
    mut data: Rcvar,
) -> (Status, String) {
    let empty = Map::new();
    let rule_values = request
        .values
        .rules
        .get(&policy.name)
        .and_then(|r| {
            r.get(&rule.name)
                .or_else(|| r.get(base_rule_name(&rule.name)))
        })
        .unwrap_or(&empty);
    let resource_values = request
        .values
        .resources
        .get(&policy.name)
        .and_then(|r| r.get(&target.name))
        .unwrap_or(&empty);
    context::apply_values(&mut data, rule_values);
    context::apply_values(&mut data, resource_values);
    // An UPDATE without an old object compares the object with itself, as Kyverno's CLI does.
    if let Variable::Object(root) = &*data {
        let request = root.get("request");
        let operation = request
            .and_then(|r| r.as_object())
            .and_then(|r| r.get("operation"))
            .and_then(|o| o.as_string().cloned());
        let old_missing = request
            .and_then(|r| r.as_object())
            .and_then(|r| r.get("oldObject"))
            .is_none_or(|o| o.is_null());
        if operation.as_deref() == Some("UPDATE") && old_missing {
            context::set_path(&mut data, "request.oldObject", target.var.clone());
        }
    }
    let provided = [&request.values.global, rule_values, resource_values];
    if let Err(e) = context::load(&rule.context, &mut data, &provided, &request.config_maps) {
        return (Status::Error, format!("failed to load context: {e}"));
    }
    match preconditions_hold(rule.preconditions.as_ref(), &data) {
        Ok(true) => {}
        Ok(false) => return (Status::Skip, "preconditions not met".into()),
        Err(e) => {
            return (
                Status::Error,
                format!("failed to evaluate preconditions: {e}"),
            )
        }
    }
    let foreach_elements = std::cell::Cell::new(0);
    let scope = Scope {
        object: &target.object,
        data,
        target,
        request,
        provided: &provided,
        nesting: 0,
        foreach_elements: &foreach_elements,
    };
    let (status, detail) = run_check(&validation.check, &scope);
    let action = validation.failure_action.unwrap_or(policy.failure_action);
    let message = match status {
        Status::Fail => {
            let text = validation
                .message
                .as_deref()
                .map(
                    |m| match variables::substitute_str(m, &scope.data, Missing::Error) {
                        Ok(v) => crate::json::display(&v),
                        Err(_) => m.to_string(),
                    },
                )
                .unwrap_or_default();
            format!(
                "validation error: {text}. rule {} failed: {detail}",
                rule.name
            )
        }
        _ => detail,
    };
    let _ = action == FailureAction::Enforce;
    (status, message)
}

/// `autogen-cronjob-x` and `autogen-x` take the values given for rule `x`.
pub(crate) fn base_rule_name(name: &str) -> &str {
    name.strip_prefix("autogen-cronjob-")
        .or_else(|| name.strip_prefix("autogen-"))
        .unwrap_or(name)
}

fn preconditions_hold(conditions: Option<&Conditions>, data: &Rcvar) -> Result<bool, String> {
    match conditions {
        None => Ok(true),
        Some(c) => conditions::evaluate(c, data, Missing::EmptyString).map_err(|e| e.to_string()),
    }
}

/// Where a check runs: the object patterns apply to and the variables document.
struct Scope<'a> {
    object: &'a Json,
    data: Rcvar,
    target: &'a Target,
    request: &'a Request,
    provided: &'a [&'a Map<String, Json>],
    nesting: usize,
    /// Elements visited by every `foreach` of the rule so far, nested ones included.
    foreach_elements: &'a std::cell::Cell<usize>,
}

/// The most elements all `foreach` loops of one rule may visit together: nested
/// loops multiply, and a rule over a big list inside a big list would not end.
pub const MAX_FOREACH_ELEMENTS: usize = 100_000;
/// The deepest nesting of `foreach` inside `foreach`.
pub const MAX_FOREACH_NESTING: usize = 16;
/// The deepest pattern checked (after variables are substituted, which can
/// graft values from the resource into it).
pub const MAX_PATTERN_DEPTH: usize = 256;

fn run_check(check: &Check, scope: &Scope<'_>) -> (Status, String) {
    match check {
        Check::Pattern(p) => match_pattern(p, scope),
        Check::AnyPattern(patterns) => {
            let mut failures = Vec::new();
            let mut skips = 0;
            for (i, p) in patterns.iter().enumerate() {
                match match_pattern(p, scope) {
                    (Status::Pass, _) => return (Status::Pass, format!("anyPattern[{i}] passed")),
                    (Status::Skip, _) => skips += 1,
                    (Status::Error, m) => return (Status::Error, m),
                    (_, m) => failures.push(format!("anyPattern[{i}]: {m}")),
                }
            }
            if failures.is_empty() && skips > 0 {
                (Status::Skip, "all patterns skipped".into())
            } else {
                (Status::Fail, failures.join("; "))
            }
        }
        Check::Deny(conditions) => {
            if conditions.is_empty() {
                return (Status::Fail, "denied".into());
            }
            match conditions::evaluate(conditions, &scope.data, Missing::Error) {
                Ok(true) => (Status::Fail, "deny conditions met".into()),
                Ok(false) => (Status::Pass, "deny conditions not met".into()),
                Err(e) => (
                    Status::Error,
                    format!("failed to evaluate deny conditions: {e}"),
                ),
            }
        }
        Check::Foreach(list) => run_foreach(list, scope),
        Check::PodSecurity(ps) => crate::pod_security::check(ps, scope.target),
    }
}

fn match_pattern(pattern: &Json, scope: &Scope<'_>) -> (Status, String) {
    let substituted;
    let pattern = if variables::tree_has_variables(pattern) {
        match variables::substitute(pattern, &scope.data, Missing::Error) {
            Ok(p) => {
                substituted = p;
                &substituted
            }
            Err(e) => return (Status::Error, format!("variable substitution failed: {e}")),
        }
    } else {
        pattern
    };
    let referenced;
    let pattern = match pattern::references::resolve(pattern) {
        Ok(None) => pattern,
        Ok(Some(p)) => {
            referenced = p;
            &referenced
        }
        Err(e) => return (Status::Error, e),
    };
    if depth_exceeds(pattern, MAX_PATTERN_DEPTH) {
        return (
            Status::Error,
            format!("the pattern nests deeper than the limit of {MAX_PATTERN_DEPTH} levels"),
        );
    }
    match pattern::validate(scope.object, pattern) {
        Ok(()) => (Status::Pass, "validation passed".into()),
        Err(m) => match m.kind {
            MismatchKind::ConditionalSkip | MismatchKind::GlobalSkip => (Status::Skip, m.message),
            MismatchKind::Negation | MismatchKind::Fail => {
                (Status::Fail, format!("{} (path {})", m.message, m.path))
            }
        },
    }
}

/// Whether a JSON tree nests deeper than `limit` (measured without recursion).
fn depth_exceeds(value: &Json, limit: usize) -> bool {
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match v {
            Json::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Json::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    false
}

fn run_foreach(list: &[Foreach], scope: &Scope<'_>) -> (Status, String) {
    if scope.nesting >= MAX_FOREACH_NESTING {
        return (
            Status::Error,
            format!("foreach nests deeper than the limit of {MAX_FOREACH_NESTING} levels"),
        );
    }
    let mut applied = 0;
    for foreach in list {
        let elements = match variables::compile_cached(&foreach.list)
            .map_err(|e| e.to_string())
            .and_then(|e| e.search(&scope.data).map_err(|e| e.to_string()))
        {
            Ok(v) => match &*v {
                jmes::Variable::Array(items) => items.clone(),
                _ => vec![v.clone()],
            },
            // A list that cannot be evaluated contributes nothing, as in Kyverno.
            Err(_) => continue,
        };
        let (status, message, count) = run_elements(foreach, &elements, scope);
        if status != Status::Pass {
            return (status, message);
        }
        applied += count;
    }
    if applied == 0 {
        (Status::Skip, "rule skipped: no element to check".into())
    } else {
        (Status::Pass, "rule passed".into())
    }
}

fn run_elements(
    foreach: &Foreach,
    elements: &[Rcvar],
    scope: &Scope<'_>,
) -> (Status, String, usize) {
    let mut applied = 0;
    for (index, element) in elements.iter().enumerate() {
        if element.is_null() {
            continue;
        }
        let visited = scope.foreach_elements.get() + 1;
        scope.foreach_elements.set(visited);
        if visited > MAX_FOREACH_ELEMENTS {
            return (
                Status::Error,
                format!(
                    "foreach stopped: more than the limit of {MAX_FOREACH_ELEMENTS} elements in one rule"
                ),
                applied,
            );
        }
        let mut data = scope.data.clone();
        let index_var = Rcvar::new(jmes::Variable::Number(index.into()));
        context::set_path(&mut data, "element", element.clone());
        context::set_path(&mut data, "elementIndex", index_var.clone());
        context::set_path(
            &mut data,
            &format!("element{}", scope.nesting),
            element.clone(),
        );
        context::set_path(
            &mut data,
            &format!("elementIndex{}", scope.nesting),
            index_var,
        );
        let element_json = jmes::to_json(element);
        let scoped = foreach.element_scope.unwrap_or(element_json.is_object());
        if let Err(e) = context::load(
            &foreach.context,
            &mut data,
            scope.provided,
            &scope.request.config_maps,
        ) {
            return (
                Status::Error,
                format!("failed to load context: {e}"),
                applied,
            );
        }
        match preconditions_hold(foreach.preconditions.as_ref(), &data) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                return (
                    Status::Error,
                    format!("failed to evaluate preconditions: {e}"),
                    applied,
                )
            }
        }
        let inner = Scope {
            object: if scoped { &element_json } else { scope.object },
            data,
            target: scope.target,
            request: scope.request,
            provided: scope.provided,
            nesting: scope.nesting + 1,
            foreach_elements: scope.foreach_elements,
        };
        let (status, message) = run_check(&foreach.check, &inner);
        match status {
            Status::Pass => applied += 1,
            Status::Skip => {}
            Status::Error if index + 1 < elements.len() => {}
            _ => {
                return (
                    status,
                    format!("validation failure at element {index}: {message}"),
                    applied,
                )
            }
        }
    }
    (Status::Pass, String::new(), applied)
}
