//! What a policy says about admission requests, beside its rules: whether it runs
//! at admission at all, what a rule error does, whether audit failures become
//! warnings, and the per-namespace overrides of the failure action. The CLI does
//! not use these; the admission webhook does.

use std::collections::BTreeMap;
use vigie_resource::wildcard_match;

use serde_json::{Map, Value as Json};

use super::{parse_failure_action, parse_selector, strings, FailureAction, Parse};
use crate::matching::LabelSelector;

/// What happens to a request when a rule cannot be evaluated (an error, or the
/// webhook's time budget spent): Kyverno's `spec.failurePolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// The request is denied (the default).
    #[default]
    Fail,
    /// The request is allowed, with a warning.
    Ignore,
}

/// One entry of `validationFailureActionOverrides` (policy level) or
/// `validate.failureActionOverrides` (rule level): this action in these namespaces.
#[derive(Clone, Debug)]
pub struct FailureActionOverride {
    /// The action that applies in the namespaces selected.
    pub action: FailureAction,
    /// Namespace names, with wildcards.
    pub namespaces: Vec<String>,
    /// Namespace labels that select, when set.
    pub namespace_selector: Option<LabelSelector>,
}

impl FailureActionOverride {
    /// Whether the override applies to a request in `namespace` with these labels.
    /// Names and selector must both hold when both are given, as in Kyverno.
    pub fn applies(&self, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        if self.namespaces.is_empty() && self.namespace_selector.is_none() {
            return false;
        }
        let named = self.namespaces.is_empty()
            || self.namespaces.iter().any(|n| wildcard_match(n, namespace));
        let selected = match &self.namespace_selector {
            None => true,
            Some(s) => labels.is_some_and(|l| s.matches(l)),
        };
        named && selected
    }
}

/// The admission settings of a policy (`spec.admission`, `spec.failurePolicy`,
/// `spec.emitWarning`, the failure action overrides).
#[derive(Clone, Debug)]
pub struct AdmissionSettings {
    /// `spec.admission`: false keeps the policy out of admission (background only).
    pub admission: bool,
    /// `spec.failurePolicy`.
    pub failure_policy: FailurePolicy,
    /// Whether `spec.failurePolicy` is written (not the default).
    pub failure_policy_set: bool,
    /// `spec.webhookTimeoutSeconds` (1 to 30): how long the API server waits
    /// for the webhook on this policy's requests.
    pub webhook_timeout_seconds: Option<i32>,
    /// `spec.emitWarning`: audit failures are returned to the client as warnings.
    pub emit_warning: bool,
    /// `spec.validationFailureActionOverrides`.
    pub overrides: Vec<FailureActionOverride>,
    /// `validate.failureActionOverrides` of each rule, by rule name (autogen rules
    /// take those of the rule they come from).
    pub rule_overrides: BTreeMap<String, Vec<FailureActionOverride>>,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        Self {
            admission: true,
            failure_policy: FailurePolicy::Fail,
            failure_policy_set: false,
            webhook_timeout_seconds: None,
            emit_warning: false,
            overrides: Vec::new(),
            rule_overrides: BTreeMap::new(),
        }
    }
}

impl AdmissionSettings {
    /// The overrides that apply to `rule`: the rule's own when it has some, else
    /// the policy's.
    pub fn overrides_of(&self, rule: &str) -> &[FailureActionOverride] {
        let base = crate::engine::base_rule_name(rule);
        self.rule_overrides
            .get(rule)
            .or_else(|| self.rule_overrides.get(base))
            .map_or(&self.overrides, |o| o)
    }
}

/// Reads the admission settings of a policy's `spec`.
pub(super) fn parse_admission(spec: &Map<String, Json>) -> Parse<AdmissionSettings> {
    let flag = |key: &str, default: bool| -> Parse<bool> {
        match spec.get(key) {
            None | Some(Json::Null) => Ok(default),
            Some(Json::Bool(b)) => Ok(*b),
            Some(_) => Err((format!("spec.{key}"), "expected true or false".into())),
        }
    };
    let failure_policy = match spec.get("failurePolicy").and_then(Json::as_str) {
        None => FailurePolicy::Fail,
        Some("Fail") => FailurePolicy::Fail,
        Some("Ignore") => FailurePolicy::Ignore,
        Some(other) => {
            return Err((
                "spec.failurePolicy".into(),
                format!("unknown failure policy {other:?}; expected Fail or Ignore"),
            ))
        }
    };
    let webhook_timeout_seconds = match spec.get("webhookTimeoutSeconds") {
        None | Some(Json::Null) => None,
        Some(v) => match v.as_i64().filter(|n| (1..=30).contains(n)) {
            Some(n) => Some(n as i32),
            None => {
                return Err((
                    "spec.webhookTimeoutSeconds".into(),
                    "expected a number of seconds from 1 to 30".into(),
                ))
            }
        },
    };
    let overrides = parse_overrides(
        spec.get("validationFailureActionOverrides"),
        "spec.validationFailureActionOverrides",
    )?;
    let mut rule_overrides = BTreeMap::new();
    if let Some(Json::Array(rules)) = spec.get("rules") {
        for (i, rule) in rules.iter().enumerate() {
            let Some(name) = rule.get("name").and_then(Json::as_str) else {
                continue;
            };
            let raw = rule.pointer("/validate/failureActionOverrides");
            let path = format!("spec.rules[{i}].validate.failureActionOverrides");
            let parsed = parse_overrides(raw, &path)?;
            if raw.is_some() {
                rule_overrides.insert(name.to_string(), parsed);
            }
        }
    }
    Ok(AdmissionSettings {
        admission: flag("admission", true)?,
        failure_policy,
        failure_policy_set: spec.get("failurePolicy").and_then(Json::as_str).is_some(),
        webhook_timeout_seconds,
        emit_warning: flag("emitWarning", false)?,
        overrides,
        rule_overrides,
    })
}

fn parse_overrides(v: Option<&Json>, path: &str) -> Parse<Vec<FailureActionOverride>> {
    let items = match v {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(items)) => items,
        Some(_) => return Err((path.to_string(), "expected a list".into())),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let action = match item.get("action") {
            Some(a) => parse_failure_action(a, &format!("{p}.action"))?,
            None => return Err((format!("{p}.action"), "an override needs an action".into())),
        };
        out.push(FailureActionOverride {
            action,
            namespaces: strings(item.get("namespaces"), &format!("{p}.namespaces"))?,
            namespace_selector: parse_selector(
                item.get("namespaceSelector"),
                &format!("{p}.namespaceSelector"),
            )?,
        });
    }
    Ok(out)
}
