//! Mutating existing resources (`mutate.targets`), offline: the rule matches the
//! trigger, and its patch applies to each resource its `targets` select among
//! the resources given (`--target-resource`, `targetResources`), never a cluster.
//!
//! As in Kyverno's engine: the rule's `match`/`exclude`, `context` and
//! `preconditions` read the trigger (`request.object`); each `targets` entry is
//! substituted with those variables, then selects by apiVersion/kind, name and
//! namespace (wildcards), `uid` and label `selector`; each target selected binds
//! `target`, loads the entry's `context`, and is skipped unless the entry's
//! `preconditions` hold. Every rule starts from the targets as given (Kyverno's
//! CLI reads them from an unchanging fake cluster); a `foreach` chains its
//! elements on the target.

use std::borrow::Borrow;

use serde_json::Value as Json;
use vigie_resource::wildcard_match;

use super::mutate::{patch_object, success_message};
use super::policy_context::{preconditions_hold, PolicyContext};
use super::{rule_matches, Request, RuleResult, Status, Target};
use crate::context;
use crate::matching::KindSelector;
use crate::policy::{parse_selector, MutateExisting, Mutation, Policy, Rule, RuleAction};
use crate::variables::{self, Missing};

/// What one mutate-existing rule did to one target, or why it could not select
/// any (then `target` is `None`).
#[derive(Clone, Debug)]
pub struct ExistingMutation {
    /// The index of the rule's policy in the slice given.
    pub policy: usize,
    /// The index of the target in the slice given; `None` for a result on the
    /// trigger (preconditions not met, a target that cannot be read or found).
    pub target: Option<usize>,
    /// `pass` when it patched the target, `skip` when it changed nothing or the
    /// target's preconditions do not hold, `error` when it could not run.
    pub result: RuleResult,
    /// The target as the rule left it, when it changed.
    pub patched: Option<Json>,
}

/// Whether a policy has mutate rules with `targets`.
pub fn mutates_existing(policy: &Policy) -> bool {
    policy.rules.iter().any(Rule::mutates_existing)
}

impl Rule {
    /// Whether the rule mutates existing resources (`mutate.targets`) rather
    /// than the object that triggers it. Kyverno runs such rules in its
    /// background controller, never in the admission answer.
    pub fn mutates_existing(&self) -> bool {
        matches!(&self.action, RuleAction::Mutate(Mutation::Existing(_)))
    }
}

/// Runs the mutate rules with `targets` of `policies`, in policy and rule order,
/// for the trigger `trigger`, on the resources `targets` given.
pub fn mutate_existing<P: Borrow<Policy>>(
    policies: &[P],
    trigger: &Target,
    targets: &[Target],
    request: &Request,
) -> Vec<ExistingMutation> {
    let context = PolicyContext::new(trigger, request);
    let match_target = context.match_target();
    let mut out = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let policy = policy.borrow();
        if !context.policy_applies(policy) {
            continue;
        }
        for rule in &policy.rules {
            let RuleAction::Mutate(Mutation::Existing(existing)) = &rule.action else {
                continue;
            };
            if !rule_matches(rule, &match_target) {
                continue;
            }
            run_rule(
                &context,
                policy,
                rule,
                existing,
                targets,
                &mut |target, status, message, patched| {
                    out.push(ExistingMutation {
                        policy: index,
                        target,
                        result: RuleResult {
                            rule: rule.name.clone(),
                            status,
                            message,
                        },
                        patched,
                    });
                },
            );
        }
    }
    out
}

type Report<'r> = dyn FnMut(Option<usize>, Status, String, Option<Json>) + 'r;

/// Applies a MutatingPolicy's mutations to target `t` (the `object` of
/// `target_context`) and reports what they did.
fn apply_cel(
    cel: &crate::cel::mutation::CelMutation,
    target_context: &PolicyContext<'_>,
    t: usize,
    report: &mut Report<'_>,
) {
    match cel.apply(&crate::cel::CelInputs::of(target_context)) {
        Ok(Some(patched)) => {
            let message = success_message(&patched);
            report(Some(t), Status::Pass, message, Some(patched));
        }
        Ok(None) => report(Some(t), Status::Skip, "no patches applied".into(), None),
        Err((status, message)) => report(Some(t), status, message, None),
    }
}

fn run_rule(
    context: &PolicyContext<'_>,
    policy: &Policy,
    rule: &Rule,
    existing: &MutateExisting,
    targets: &[Target],
    report: &mut Report<'_>,
) {
    let rule_data = match context.rule_data(policy, rule) {
        Ok(d) => d,
        Err((status, message)) => return report(None, status, message, None),
    };
    if let (Some(expression), Mutation::Cel(cel)) = (&existing.target_expression, &existing.patch) {
        // The expression chooses the targets among the objects known offline
        // (`resource.List` answers from the suite's resources and Context
        // file); those given as targets are mutated and reported.
        let shared = crate::cel::CelResource::of(context);
        let chosen = match expression.eval(shared.activation()) {
            Ok(v) => vigie_cel::to_json(&v).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let items = match chosen {
            Ok(Json::Object(mut list)) if list.get("items").is_some_and(Json::is_array) => {
                list.remove("items").unwrap_or_default()
            }
            Ok(Json::Array(items)) => Json::Array(items),
            Ok(other) => {
                let what = if other.is_null() {
                    "null".into()
                } else {
                    other.to_string()
                };
                let shown: String = what.chars().take(80).collect();
                return report(
                    None,
                    Status::Error,
                    format!(
                        "targetMatchConstraints.expression must give a list of objects \
                         (such as resource.List(...)), not {shown}"
                    ),
                    None,
                );
            }
            Err(e) => {
                return report(
                    None,
                    Status::Error,
                    format!(
                        "targetMatchConstraints.expression '{}' resulted in error: {e}",
                        expression.source().trim()
                    ),
                    None,
                )
            }
        };
        let same = |t: &Target, o: &Json| {
            let s = |p: &str| o.pointer(p).and_then(Json::as_str).unwrap_or_default();
            t.api_version == s("/apiVersion")
                && t.kind == s("/kind")
                && t.name == s("/metadata/name")
                && t.namespace == s("/metadata/namespace")
        };
        for item in items.as_array().into_iter().flatten() {
            let Some(t) = targets.iter().position(|t| same(t, item)) else {
                continue;
            };
            let target_context = PolicyContext::new(&targets[t], context.request);
            if !target_context.policy_applies(policy) {
                continue;
            }
            apply_cel(cel, &target_context, t, report);
        }
        return;
    }
    if let (Some(target_match), Mutation::Cel(cel)) = (&existing.target_match, &existing.patch) {
        // A MutatingPolicy: each resource selected is the `object` of its
        // mutations (match conditions included), as in Kyverno's CLI.
        for (t, target) in targets.iter().enumerate() {
            let target_context = PolicyContext::new(target, context.request);
            if !target_context.policy_applies(policy)
                || !target_match.selects(&target_context.match_target())
            {
                continue;
            }
            apply_cel(cel, &target_context, t, report);
        }
        return;
    }
    for (i, entry) in existing.targets.iter().enumerate() {
        let spec = match variables::substitute(&entry.spec, &rule_data.data, Missing::Error) {
            Ok(spec) => spec,
            Err(e) => {
                report(
                    None,
                    Status::Error,
                    format!("failed to substitute variables in target[{i}]: {e}"),
                    None,
                );
                continue;
            }
        };
        let selected = match select(&spec, policy, targets) {
            Ok(selected) => selected,
            Err(message) => {
                report(None, Status::Error, format!("target[{i}]: {message}"), None);
                continue;
            }
        };
        for t in selected {
            let target = &targets[t];
            let mut data = rule_data.data.clone();
            data.set_path("target", target.var().clone());
            if let Err(e) = context::load(
                &entry.context,
                &mut data,
                &rule_data.provided,
                &context.request.config_maps,
            ) {
                report(
                    Some(t),
                    Status::Error,
                    format!("failed to load context: {e}"),
                    None,
                );
                continue;
            }
            match preconditions_hold(entry.preconditions.as_ref(), &data) {
                Ok(true) => {}
                Ok(false) => {
                    report(Some(t), Status::Skip, "preconditions not met".into(), None);
                    continue;
                }
                Err(e) => {
                    report(
                        Some(t),
                        Status::Error,
                        format!("failed to evaluate preconditions: {e}"),
                        None,
                    );
                    continue;
                }
            }
            match patch_object(
                &existing.patch,
                &target.object,
                data,
                &rule_data.provided,
                context.request,
            ) {
                Ok(Some(patched)) => {
                    let message = success_message(&patched);
                    report(Some(t), Status::Pass, message, Some(patched));
                }
                Ok(None) => report(Some(t), Status::Skip, "no patches applied".into(), None),
                Err(e) => report(Some(t), Status::Error, e, None),
            }
        }
    }
}

/// The indexes of the resources a substituted `targets` entry selects. A target
/// named exactly (namespace and name, no wildcard) that is not there is an
/// error, as a GET of a missing object is in Kyverno; a list selects what it
/// finds, possibly nothing.
fn select(spec: &Json, policy: &Policy, targets: &[Target]) -> Result<Vec<usize>, String> {
    let text = |field: &str| spec.get(field).and_then(Json::as_str).unwrap_or_default();
    let (api_version, kind, name, uid) =
        (text("apiVersion"), text("kind"), text("name"), text("uid"));
    // A namespaced Policy reaches targets in its own namespace only.
    let namespace = policy.namespace.as_deref().unwrap_or(text("namespace"));
    let kinds = KindSelector::parse(&if api_version.is_empty() {
        kind.to_string()
    } else {
        format!("{api_version}/{kind}")
    });
    let selector = parse_selector(spec.get("selector"), "selector")
        .map_err(|(path, reason)| format!("{path}: {reason}"))?;
    let selected: Vec<usize> = targets
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            kinds.matches(&t.api_version, &t.kind, None)
                && names_match(namespace, name, &t.namespace, &t.name)
                && (uid.is_empty()
                    || t.object.pointer("/metadata/uid").and_then(Json::as_str) == Some(uid))
                && selector.as_ref().is_none_or(|s| s.matches(&t.labels))
        })
        .map(|(i, _)| i)
        .collect();
    let exact = !namespace.is_empty()
        && !name.is_empty()
        && !has_wildcard(namespace)
        && !has_wildcard(name);
    if exact && selected.is_empty() {
        return Err(format!(
            "{} {namespace}/{name} not found among the target resources (--target-resource, targetResources)",
            if api_version.is_empty() {
                kind.to_string()
            } else {
                format!("{api_version}/{kind}")
            }
        ));
    }
    Ok(selected)
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Kyverno's target match: an empty pattern matches any; a name pattern
/// alone matches in every namespace.
fn names_match(namespace_pattern: &str, name_pattern: &str, namespace: &str, name: &str) -> bool {
    (namespace_pattern.is_empty() || wildcard_match(namespace_pattern, namespace))
        && (name_pattern.is_empty() || wildcard_match(name_pattern, name))
}
