//! Cleanup policies: Kyverno's `kyverno.io` CleanupPolicy and
//! ClusterCleanupPolicy (`match`/`exclude`, JMESPath `conditions`,
//! `context`), and the `policies.kyverno.io` DeletingPolicy and
//! NamespacedDeletingPolicy (`matchConstraints`, CEL `conditions` and
//! `variables`). Kyverno runs them on a `schedule` and deletes the resources
//! they select; vigie reports which of the given resources they would delete
//! (`policy apply`), and deletes nothing.
//!
//! Both are read into a policy with one rule named after the policy whose
//! action is [`RuleAction::Delete`]: a CleanupPolicy's `conditions` become the
//! rule's preconditions (its `{{ target.* }}` variables read the resource as
//! `request.object`), a DeletingPolicy's the CEL conditions of its
//! [`Deletion`]. Matching then works as for every other rule.

use std::sync::Arc;

use serde_json::{json, Value as Json};

use super::vpol::{parse_with, spec_and_name, CelAction};
use super::{conditions_and_variables, env, CelInputs, CelProblem, Named, Scope};
use crate::autogen::ANNOTATION;
use crate::engine::Status;
use crate::policy::{parse_policy, Parse, Policy, Problem, RuleAction, RuleProblem};

/// What a cleanup rule deletes, and when.
#[derive(Clone, Debug, Default)]
pub struct Deletion {
    /// `schedule`: when Kyverno runs it (a cron expression), for reports.
    pub schedule: String,
    /// A DeletingPolicy's CEL `conditions` and `variables`.
    pub cel: Option<Arc<CelDeletion>>,
}

/// A DeletingPolicy's compiled conditions.
#[derive(Debug, Default)]
pub struct CelDeletion {
    /// `conditions`: all must hold for a resource to be deleted.
    pub conditions: Vec<Named>,
    /// `variables`, in order.
    pub variables: Vec<Named>,
}

/// Whether `api_version`/`kind` is a CleanupPolicy or ClusterCleanupPolicy.
pub fn is_cleanup_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("kyverno.io/")
        && matches!(kind, "CleanupPolicy" | "ClusterCleanupPolicy")
}

/// Whether `api_version`/`kind` is a DeletingPolicy or NamespacedDeletingPolicy.
pub fn is_deleting_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("policies.kyverno.io/")
        && matches!(kind, "DeletingPolicy" | "NamespacedDeletingPolicy")
}

/// Reads a cleanup policy of either family.
pub(crate) fn parse(doc: &Json, source: &str) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    let text = |k: &str| doc.get(k).and_then(Json::as_str).unwrap_or_default();
    if is_deleting_policy(text("apiVersion"), text("kind")) {
        return parse_with(doc, source, false, CelAction::Delete);
    }
    let (spec, name) = spec_and_name(doc)?;
    let mut rule = json!({
        "name": name,
        "delete": {"schedule": spec.get("schedule").cloned().unwrap_or(Json::Null)},
    });
    for (from, to) in [("match", "match"), ("exclude", "exclude")] {
        if let Some(v) = spec.get(from).filter(|v| !v.is_null()) {
            rule[to] = v.clone();
        }
    }
    for (from, to) in [("context", "context"), ("conditions", "preconditions")] {
        if let Some(v) = spec.get(from).filter(|v| !v.is_null()) {
            rule[to] = target_as_object(v);
        }
    }
    let mut metadata = doc.get("metadata").cloned().unwrap_or(json!({}));
    // Cleanup rules are not copied for pod controllers.
    metadata["annotations"] = json!({ ANNOTATION: "none" });
    let kind = text("kind");
    let equivalent = json!({
        "apiVersion": "kyverno.io/v1",
        "kind": if kind == "CleanupPolicy" { "Policy" } else { "ClusterPolicy" },
        "metadata": metadata,
        "spec": {"rules": [rule]},
    });
    let rename = |p: String| {
        p.replace("spec.rules[0].preconditions", "spec.conditions")
            .replace("spec.rules[0].", "spec.")
    };
    let (mut policy, problems) =
        parse_policy(&equivalent, source).map_err(|(p, r)| (rename(p), r))?;
    policy.kind = kind.to_string();
    let problems = problems
        .into_iter()
        .map(|(rule, (p, r))| (rule, (rename(p), r)))
        .collect();
    Ok((policy, problems))
}

/// A cleanup policy's variables name the resource `target`; the rule engine
/// binds it as `request.object`: every `target.` path in the strings of `v`
/// is renamed (a `target.` inside a literal string is renamed too).
fn target_as_object(v: &Json) -> Json {
    static TARGET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(^|[^A-Za-z0-9_.$@])target\.").expect("a valid pattern")
    });
    match v {
        Json::String(s) => Json::String(TARGET.replace_all(s, "${1}request.object.").into_owned()),
        Json::Array(items) => Json::Array(items.iter().map(target_as_object).collect()),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), target_as_object(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The action of a rule whose (internal) `delete` block is `v`, at `path`.
pub(crate) fn action(v: &Json, path: &str) -> Parse<RuleAction> {
    let schedule = v
        .get("schedule")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let cel = match v.get("cel") {
        None => None,
        Some(cel) => {
            let compiled =
                conditions_and_variables(&env(), cel, &format!("{path}.cel"), "conditions").map(
                    |(conditions, variables)| CelDeletion {
                        conditions,
                        variables,
                    },
                );
            match compiled {
                Ok(c) => Some(Arc::new(c)),
                Err(CelProblem::Unsupported(feature)) => {
                    return Ok(RuleAction::Unsupported(feature))
                }
                Err(CelProblem::Invalid(p, reason)) => return Err((p, reason)),
            }
        }
    };
    Ok(RuleAction::Delete(Deletion { schedule, cel }))
}

impl Deletion {
    /// Whether the resource would be deleted, once matching and preconditions
    /// have selected it: `Pass` (deleted), `Skip` (a CEL condition is false)
    /// or `Error`, with the message reported.
    pub fn decide(&self, inputs: &CelInputs<'_>) -> (Status, String) {
        if let Some(cel) = &self.cel {
            let scope = Scope {
                match_conditions: &cel.conditions,
                variables: &cel.variables,
                params: None,
                ignore_errors: false,
                reads_request: super::reads_request(
                    cel.conditions
                        .iter()
                        .chain(&cel.variables)
                        .map(|n| &n.program),
                ),
            };
            if let Err((status, message)) = scope.bind(&super::CelResource::new(inputs.clone())) {
                // An undecidable condition deletes nothing: an error, not a fail.
                let status = if status == Status::Fail {
                    Status::Error
                } else {
                    status
                };
                return (status, message);
            }
        }
        let when = if self.schedule.is_empty() {
            String::new()
        } else {
            format!(" (schedule {})", self.schedule)
        };
        (Status::Pass, format!("would be deleted{when}"))
    }
}
