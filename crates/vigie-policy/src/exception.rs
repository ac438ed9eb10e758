//! PolicyExceptions: `kyverno.io/v2` (and `v2beta1`, `v2alpha1`) exceptions that
//! exempt resources from rules of ClusterPolicies and Policies, and the
//! `policies.kyverno.io` exceptions of the CEL policy kinds (read and kept for
//! them; they name no ClusterPolicy rule).
//!
//! An exception applies to a rule on a resource when one of its `exceptions`
//! names the policy (`name`, or `namespace/name` for a Policy) and the rule
//! (wildcards allowed, autogen rules by their own `autogen-` names, as in
//! Kyverno), its `match` selects the resource and its `conditions` hold. The rule
//! is then not run: its result is `skip`. An exception with `podSecurity`
//! controls does not skip a `podSecurity` rule but adds them to its exclusions.

use std::borrow::Cow;
use vigie_resource::wildcard_match;

use serde_json::Value as Json;
use vigie_resource::input::ReadError;
use vigie_resource::{load, LoadOptions, Resource};

use crate::conditions::{self, Conditions};
use crate::engine::{PolicyContext, Request, RuleResult, Status, Target};
use crate::inputs::{gather, resources_of_text};
use crate::json::node_to_json;
use crate::matching::MatchResources;
use crate::policy::{
    parse_conditions_opt, parse_match, parse_pod_security_exclusions, problem, strings, Check,
    Parse, PodSecurityExclusion, Policy, RuleAction,
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
}

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
    let gathered = gather(paths, max_file_bytes, false);
    let mut out = LoadedExceptions {
        unreadable: gathered.errors,
        ..Default::default()
    };
    let loaded = load(&gathered.paths, &LoadOptions::plain_files(max_file_bytes));
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        out.errors.push(d.located().to_string());
    }
    let mut found = std::collections::HashSet::new();
    let mut resources: Vec<Resource> = loaded.resources;
    for (name, text) in &gathered.texts {
        let (more, errors) = resources_of_text(name, text);
        out.errors
            .extend(errors.into_iter().map(|(l, e)| format!("{name}:{l}: {e}")));
        resources.extend(more);
    }
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
        v if v.starts_with("policies.kyverno.io/") => ExceptionSpec::Cel(parse_cel(spec)?),
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
                let policy = e.get("policyName").and_then(Json::as_str).ok_or((
                    format!("{p}.policyName"),
                    "an exception needs the policy it exempts from".to_string(),
                ))?;
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

fn parse_cel(spec: &Json) -> Parse<CelException> {
    let pairs = |key: &str, a: &str, b: &str| -> Parse<Vec<(String, String)>> {
        let mut out = Vec::new();
        if let Some(Json::Array(items)) = spec.get(key) {
            for (i, item) in items.iter().enumerate() {
                let field = |k: &str| -> Parse<String> {
                    item.get(k)
                        .and_then(Json::as_str)
                        .map(str::to_string)
                        .ok_or((
                            format!("spec.{key}[{i}].{k}"),
                            format!("expected a string {k}"),
                        ))
                };
                out.push((field(a)?, field(b)?));
            }
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
    Ok(CelException {
        policy_refs,
        match_conditions: pairs("matchConditions", "name", "expression")?,
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

/// `namespace/name` of an exception, `name` without a namespace.
fn key(e: &PolicyException) -> String {
    if e.namespace.is_empty() {
        e.name.clone()
    } else {
        format!("{}/{}", e.namespace, e.name)
    }
}
