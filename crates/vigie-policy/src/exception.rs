//! PolicyExceptions: `kyverno.io/v2` (and `v2beta1`, `v2alpha1`) exceptions that
//! exempt resources from rules of ClusterPolicies and Policies, and the
//! `policies.kyverno.io` (v1alpha1, v1beta1, v1) exceptions of the CEL policy
//! kinds, which name their policies by kind and name (`policyRefs`) and select
//! resources with CEL `matchConditions`.
//!
//! An exception applies to a rule on a resource when one of its `exceptions`
//! names the policy (`name`, or `namespace/name` for a Policy) and the rule
//! (wildcards allowed, autogen rules by their own `autogen-` names, as in
//! Kyverno), its `match` selects the resource and its `conditions` hold. The rule
//! is then not run: its result is `skip`. An exception with `podSecurity`
//! controls does not skip a `podSecurity` rule but adds them to its exclusions.

use std::borrow::Cow;
use std::sync::Arc;
use vigie_resource::wildcard_match;

use serde_json::Value as Json;
use vigie_resource::input::ReadError;
use vigie_resource::{LoadOptions, Resource};

use crate::cel::Named;
use crate::conditions::{self, Conditions};
use crate::engine::{PolicyContext, Request, RuleResult, Status, Target};
use crate::inputs::gather;
use crate::json::node_to_json;
use crate::matching::MatchResources;
use crate::policy::{
    parse_conditions_opt, parse_match, parse_pod_security_exclusions, problem, required_str,
    strings, Check, Parse, PodSecurityExclusion, Policy, RuleAction,
};
use crate::variables::Missing;

/// One PolicyException.
#[derive(Clone, Debug)]
pub struct PolicyException {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (empty when not given).
    pub namespace: String,
    /// The file and line it was read from.
    pub source: String,
    /// What it exempts.
    pub spec: ExceptionSpec,
}

/// What an exception exempts, by API.
#[derive(Clone, Debug)]
pub enum ExceptionSpec {
    /// `kyverno.io/v2*`: rules of ClusterPolicies and Policies.
    Kyverno(Box<KyvernoException>),
    /// `policies.kyverno.io`: CEL policies named by `policyRefs`, for the
    /// resources its CEL `matchConditions` select. The CEL policy kinds read these.
    Cel(CelException),
}

/// The spec of a `kyverno.io/v2` PolicyException.
#[derive(Clone, Debug)]
pub struct KyvernoException {
    /// (policy name pattern, rule name patterns).
    pub exceptions: Vec<(String, Vec<String>)>,
    /// The resources exempted.
    pub match_resources: MatchResources,
    /// Conditions on the request that must hold too.
    pub conditions: Option<Conditions>,
    /// podSecurity controls exempted (added to the exclusions of `podSecurity` rules).
    pub pod_security: Vec<PodSecurityExclusion>,
}

/// The spec of a `policies.kyverno.io` PolicyException.
#[derive(Clone, Debug)]
pub struct CelException {
    /// (kind, name) of each policy it exempts from.
    pub policy_refs: Vec<(String, String)>,
    /// (name, CEL expression) conditions selecting the resources exempted.
    pub match_conditions: Vec<(String, String)>,
    /// `matchConditions` compiled (they see `object`, `oldObject`, `request`
    /// and `namespaceObject`); all must hold for the exception to apply.
    pub conditions: Arc<Vec<Named>>,
    /// `allowedValues`: bound as `exceptions.allowedValues` for the policy's
    /// expressions instead of exempting the resource.
    pub allowed_values: Vec<String>,
    /// `images`: bound as `exceptions.allowedImages`, likewise.
    pub images: Vec<String>,
    /// `reportResult: pass`: an exempted resource is reported as passing
    /// rather than skipped.
    pub report_pass: bool,
    /// `expiresAt` as Unix seconds: past it, the exception applies no more.
    pub expires_at: Option<i64>,
}

impl CelException {
    /// Whether the exception exempts from evaluation altogether (it grants
    /// no values for the policy's expressions to read).
    pub fn exempts_fully(&self) -> bool {
        self.allowed_values.is_empty() && self.images.is_empty()
    }
}

/// The policy kinds a `policies.kyverno.io` PolicyException can name.
pub const CEL_EXCEPTION_KINDS: &[&str] = &[
    "ValidatingPolicy",
    "NamespacedValidatingPolicy",
    "ImageValidatingPolicy",
    "NamespacedImageValidatingPolicy",
    "MutatingPolicy",
    "NamespacedMutatingPolicy",
    "GeneratingPolicy",
    "NamespacedGeneratingPolicy",
];

/// The exceptions read from files, and the problems met.
#[derive(Debug, Default)]
pub struct LoadedExceptions {
    /// The exceptions, in the order read.
    pub exceptions: Vec<PolicyException>,
    /// `file:line: reason` for each document or file that could not be used.
    pub errors: Vec<String>,
    /// Files that could not be read at all.
    pub unreadable: Vec<ReadError>,
}

/// Reads every PolicyException in the files or directories given. A file named
/// directly that holds none is an error; other documents are passed over.
pub fn load_exceptions(paths: &[String], max_file_bytes: u64) -> LoadedExceptions {
    let mut gathered = gather(paths, max_file_bytes, false);
    let mut out = LoadedExceptions {
        unreadable: std::mem::take(&mut gathered.errors),
        ..Default::default()
    };
    let mut resources: Vec<Resource> = Vec::new();
    out.errors = gathered.load_each(
        &LoadOptions::plain_files(max_file_bytes),
        |r| r,
        |r| resources.push(r),
    );
    let mut found = std::collections::HashSet::new();
    for r in &resources {
        if r.kind != "PolicyException" {
            continue;
        }
        let file = r.origin.file.path.clone();
        found.insert(file.clone());
        let source = format!("{file}:{}", r.pos.line);
        match parse_exception(&node_to_json(&r.root), &source) {
            Ok(e) => out.exceptions.push(e),
            Err((path, reason)) => out.errors.push(format!(
                "{source}: PolicyException {}: {path}: {reason}",
                r.name
            )),
        }
    }
    for name in &gathered.named {
        let failed = out.unreadable.iter().any(|e| e.file() == name)
            || out.errors.iter().any(|e| e.starts_with(name.as_str()));
        if !found.contains(name) && !failed {
            out.errors.push(format!(
                "{name}: holds no PolicyException; nothing was read from it"
            ));
        }
    }
    out
}

/// Parses one PolicyException document.
pub fn parse_exception(doc: &Json, source: &str) -> Parse<PolicyException> {
    let text = |p: &str| doc.pointer(p).and_then(Json::as_str).unwrap_or_default();
    let api_version = text("/apiVersion");
    let spec = doc.get("spec").unwrap_or(&Json::Null);
    let spec = match api_version {
        "kyverno.io/v2" | "kyverno.io/v2beta1" | "kyverno.io/v2alpha1" => {
            ExceptionSpec::Kyverno(Box::new(parse_kyverno(spec)?))
        }
        "policies.kyverno.io/v1alpha1"
        | "policies.kyverno.io/v1beta1"
        | "policies.kyverno.io/v1" => ExceptionSpec::Cel(parse_cel(spec)?),
        other => {
            return problem(
                "apiVersion",
                format!(
                    "unknown PolicyException API {other:?}; expected kyverno.io/v2, \
                     kyverno.io/v2beta1 or policies.kyverno.io/v1alpha1|v1beta1|v1"
                ),
            )
        }
    };
    Ok(PolicyException {
        name: text("/metadata/name").to_string(),
        namespace: text("/metadata/namespace").to_string(),
        source: source.to_string(),
        spec,
    })
}

fn parse_kyverno(spec: &Json) -> Parse<KyvernoException> {
    let mut exceptions = Vec::new();
    match spec.get("exceptions") {
        Some(Json::Array(items)) if !items.is_empty() => {
            for (i, e) in items.iter().enumerate() {
                let p = format!("spec.exceptions[{i}]");
                let policy = required_str(
                    e.get("policyName"),
                    &format!("{p}.policyName"),
                    "an exception needs the policy it exempts from",
                )?;
                let rules = strings(e.get("ruleNames"), &format!("{p}.ruleNames"))?;
                if rules.is_empty() {
                    return problem(&format!("{p}.ruleNames"), "an exception needs rule names");
                }
                exceptions.push((policy.to_string(), rules));
            }
        }
        _ => return problem("spec.exceptions", "expected a non-empty list"),
    }
    let match_resources = match spec.get("match") {
        Some(m) => parse_match(m, "spec.match")?,
        None => return problem("spec.match", "an exception needs a match block"),
    };
    Ok(KyvernoException {
        exceptions,
        match_resources,
        conditions: parse_conditions_opt(spec.get("conditions"), "spec.conditions")?,
        pod_security: parse_pod_security_exclusions(spec.get("podSecurity"), "spec.podSecurity")?,
    })
}

/// The fields of a `policies.kyverno.io` PolicyException's spec.
const CEL_SPEC_FIELDS: &[&str] = &[
    "policyRefs",
    "matchConditions",
    "images",
    "allowedValues",
    "reportResult",
    "expiresAt",
    "properties",
    "evaluationMode",
];

fn parse_cel(spec: &Json) -> Parse<CelException> {
    let Some(fields) = spec.as_object() else {
        return problem("spec", "expected a map with policyRefs");
    };
    // A misplaced block (validations written into an exception) would
    // otherwise be dropped without a word.
    if let Some(unknown) = fields
        .keys()
        .find(|k| !CEL_SPEC_FIELDS.contains(&k.as_str()))
    {
        return problem(
            &format!("spec.{unknown}"),
            format!(
                "unknown field of a policies.kyverno.io PolicyException (it has {})",
                CEL_SPEC_FIELDS.join(", ")
            ),
        );
    }
    let pairs = |key: &str, a: &str, b: &str| -> Parse<Vec<(String, String)>> {
        let mut out = Vec::new();
        let items = match spec.get(key) {
            None | Some(Json::Null) => return Ok(out),
            Some(Json::Array(items)) => items,
            Some(_) => return problem(&format!("spec.{key}"), "expected a list"),
        };
        for (i, item) in items.iter().enumerate() {
            let field = |k: &str| -> Parse<String> {
                item.get(k)
                    .and_then(Json::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
                    .ok_or((
                        format!("spec.{key}[{i}].{k}"),
                        format!("expected a non-empty string {k}"),
                    ))
            };
            out.push((field(a)?, field(b)?));
        }
        Ok(out)
    };
    let policy_refs = pairs("policyRefs", "kind", "name")?;
    if policy_refs.is_empty() {
        return problem(
            "spec.policyRefs",
            "an exception needs the policies it exempts from",
        );
    }
    for (i, (kind, _)) in policy_refs.iter().enumerate() {
        if !CEL_EXCEPTION_KINDS.contains(&kind.as_str()) {
            return problem(
                &format!("spec.policyRefs[{i}].kind"),
                format!(
                    "unknown policy kind {kind:?}; a policies.kyverno.io PolicyException \
                     names one of {}",
                    CEL_EXCEPTION_KINDS.join(", ")
                ),
            );
        }
    }
    let match_conditions = pairs("matchConditions", "name", "expression")?;
    let conditions = crate::cel::compile_named(
        spec.get("matchConditions"),
        "spec.matchConditions",
        "name",
        "expression",
    )
    .map_err(|e| match e {
        crate::cel::CelProblem::Invalid(path, reason) => (path, reason),
        crate::cel::CelProblem::Unsupported(feature) => (
            "spec.matchConditions".to_string(),
            format!("{feature} is not supported in an exception's match conditions"),
        ),
    })?;
    let report_pass = match spec.get("reportResult") {
        None | Some(Json::Null) => false,
        Some(Json::String(s)) if s == "skip" => false,
        Some(Json::String(s)) if s == "pass" => true,
        Some(other) => {
            return problem(
                "spec.reportResult",
                format!("expected skip or pass, not {other}"),
            )
        }
    };
    let expires_at = match spec.get("expiresAt") {
        None | Some(Json::Null) => None,
        Some(v) => {
            let parsed = v.as_str().and_then(crate::jmes::time::parse_rfc3339);
            match parsed {
                Some(t) => Some(t.seconds.floor() as i64),
                None => {
                    return problem(
                        "spec.expiresAt",
                        format!("expected an RFC 3339 time such as 2026-05-01T00:00:00Z, not {v}"),
                    )
                }
            }
        }
    };
    Ok(CelException {
        policy_refs,
        match_conditions,
        conditions: Arc::new(conditions),
        allowed_values: strings(spec.get("allowedValues"), "spec.allowedValues")?,
        images: strings(spec.get("images"), "spec.images")?,
        report_pass,
        expires_at,
    })
}

/// What the exceptions do to one policy on one resource.
pub struct Exempted<'p> {
    /// The policy to run: the one given, or a copy without the exempted rules and
    /// with the exempted podSecurity controls added to its exclusions.
    pub policy: Cow<'p, Policy>,
    /// A `skip` result for each exempted rule.
    pub skipped: Vec<RuleResult>,
}

/// Applies `exceptions` to `policy` on `target`.
pub fn exempt<'p>(
    exceptions: &[PolicyException],
    policy: &'p Policy,
    target: &Target,
    request: &Request,
) -> Exempted<'p> {
    let mut out = Exempted {
        policy: Cow::Borrowed(policy),
        skipped: Vec::new(),
    };
    if exceptions.is_empty() {
        return out;
    }
    let context = PolicyContext::new(target, request);
    let match_target = context.match_target();
    if CEL_EXCEPTION_KINDS.contains(&policy.kind.as_str()) {
        exempt_cel(exceptions, &context, &mut out);
        return out;
    }
    let qualified = policy.qualified_name();
    for exception in exceptions {
        let ExceptionSpec::Kyverno(spec) = &exception.spec else {
            continue;
        };
        let names_policy = |pattern: &str| {
            wildcard_match(pattern, &qualified) || wildcard_match(pattern, &policy.name)
        };
        let rules: Vec<&String> = spec
            .exceptions
            .iter()
            .filter(|(p, _)| names_policy(p))
            .flat_map(|(_, rules)| rules)
            .collect();
        if rules.is_empty() || !spec.match_resources.selects(&match_target) {
            continue;
        }
        if let Some(c) = &spec.conditions {
            match conditions::evaluate(c, &context.base(), Missing::EmptyString) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    // An exception whose conditions cannot be evaluated exempts nothing,
                    // and says so on each rule it names.
                    for rule in &out.policy.rules {
                        if rules.iter().any(|r| wildcard_match(r, &rule.name)) {
                            out.skipped.push(RuleResult {
                                rule: rule.name.clone(),
                                status: Status::Error,
                                message: format!(
                                    "policy exception {}: failed to evaluate conditions: {e}",
                                    key(exception)
                                ),
                            });
                        }
                    }
                    continue;
                }
            }
        }
        let owned = out.policy.to_mut();
        let mut kept = Vec::with_capacity(owned.rules.len());
        for mut rule in std::mem::take(&mut owned.rules) {
            if !rules.iter().any(|r| wildcard_match(r, &rule.name)) {
                kept.push(rule);
                continue;
            }
            if !spec.pod_security.is_empty() {
                if let RuleAction::Validate(v) = &mut rule.action {
                    if let Check::PodSecurity(ps) = &mut v.check {
                        ps.exclude.extend(spec.pod_security.iter().cloned());
                        kept.push(rule);
                        continue;
                    }
                }
            }
            // Only a rule that matches the resource gets a result, as when it runs.
            if crate::engine::rule_matches(&rule, &match_target) {
                out.skipped.push(RuleResult {
                    rule: rule.name.clone(),
                    status: Status::Skip,
                    message: format!("rule skipped due to policy exception {}", key(exception)),
                });
            }
        }
        owned.rules = kept;
    }
    out
}

/// Whether a `policies.kyverno.io` exception names `policy` in its
/// `policyRefs` (by kind and name, as Kyverno looks them up) and has not expired.
fn names_cel_policy(exception: &CelException, policy: &Policy, now: i64) -> bool {
    exception
        .policy_refs
        .iter()
        .any(|(kind, name)| *kind == policy.kind && *name == policy.name)
        && exception.expires_at.is_none_or(|t| now < t)
}

/// What the `policies.kyverno.io` exceptions that name a CEL policy do to it
/// on the resource of `context`, as Kyverno's engines apply them: every
/// exception whose match conditions all hold matches; one that grants no
/// values exempts the resource (each rule of the policy that matches it is
/// `skip`, or `pass` with `reportResult: pass`, "rule is skipped due to
/// policy exception: ..." naming every exception that matched); otherwise the
/// matched exceptions' `allowedValues` and `images` are given to the policy's
/// expressions as `exceptions.allowedValues` and `exceptions.allowedImages`.
/// A match condition that cannot be evaluated makes the policy an `error`
/// naming the exception, unless a full exemption matched or the policy's
/// `failurePolicy` is `Ignore` (then that exception does not match).
fn exempt_cel(exceptions: &[PolicyException], context: &PolicyContext<'_>, out: &mut Exempted<'_>) {
    let policy: &Policy = &out.policy;
    let now = crate::jmes::time::now().seconds.floor() as i64;
    let naming: Vec<(&PolicyException, &CelException)> = exceptions
        .iter()
        .filter_map(|e| match &e.spec {
            ExceptionSpec::Cel(c) if names_cel_policy(c, policy, now) => Some((e, c)),
            _ => None,
        })
        .collect();
    if naming.is_empty() || !context.policy_applies(policy) {
        return;
    }
    let match_target = context.match_target();
    let matching_rules: Vec<String> = policy
        .rules
        .iter()
        .filter(|r| crate::engine::rule_matches(r, &match_target))
        .map(|r| r.name.clone())
        .collect();
    if matching_rules.is_empty() {
        return;
    }
    let ignore_errors = policy.admission.failure_policy == crate::policy::FailurePolicy::Ignore;
    let activation = context.cel().activation();
    let mut matched: Vec<(&PolicyException, &CelException)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for (exception, cel) in naming {
        let mut holds = true;
        for condition in cel.conditions.iter() {
            let problem = match condition.program.eval(activation) {
                Ok(vigie_cel::Value::Bool(true)) => continue,
                Ok(vigie_cel::Value::Bool(false)) => {
                    holds = false;
                    break;
                }
                Ok(other) => format!("gave {other:?}, not a bool"),
                Err(e) => format!("resulted in error: {e}"),
            };
            holds = false;
            if !ignore_errors {
                errors.push(format!(
                    "policy exception {}: match condition {} {problem}",
                    key(exception),
                    condition.name
                ));
            }
            break;
        }
        if holds {
            matched.push((exception, cel));
        }
    }
    let full = matched.iter().any(|(_, c)| c.exempts_fully());
    let status_and_message = if full {
        let keys: Vec<String> = matched.iter().map(|(e, _)| key(e)).collect();
        let pass = matched.first().is_some_and(|(_, c)| c.report_pass);
        let (status, verb) = if pass {
            (Status::Pass, "passed")
        } else {
            (Status::Skip, "skipped")
        };
        Some((
            status,
            format!(
                "rule is {verb} due to policy exception: {}",
                keys.join(", ")
            ),
        ))
    } else if !errors.is_empty() {
        Some((Status::Error, errors.join("; ")))
    } else {
        None
    };
    if let Some((status, message)) = status_and_message {
        for rule in matching_rules {
            out.skipped.push(RuleResult {
                rule,
                status,
                message: message.clone(),
            });
        }
        let owned = out.policy.to_mut();
        owned
            .rules
            .retain(|r| !out.skipped.iter().any(|s| s.rule == r.name));
        return;
    }
    if matched.is_empty() {
        return;
    }
    let values = |list: fn(&CelException) -> &Vec<String>| -> Json {
        Json::Array(
            matched
                .iter()
                .flat_map(|(_, c)| list(c).iter().cloned().map(Json::String))
                .collect(),
        )
    };
    let granted = serde_json::json!({
        "allowedValues": values(|c| &c.allowed_values),
        "allowedImages": values(|c| &c.images),
    });
    out.policy.to_mut().exception_values = Some(Arc::new(granted));
}

/// `namespace/name` of an exception, `name` without a namespace.
fn key(e: &PolicyException) -> String {
    if e.namespace.is_empty() {
        e.name.clone()
    } else {
        format!("{}/{}", e.namespace, e.name)
    }
}
