//! Kubernetes' own ValidatingAdmissionPolicy and its binding
//! (`admissionregistration.k8s.io/v1`): a user can test the policies their
//! API server runs natively.
//!
//! The policy is read as a ValidatingPolicy is ([`super::vpol`]), without
//! Kyverno's autogen (the API server has none). A policy without a binding
//! runs as if bound with `Deny` and params of its kind chosen in the
//! object's namespace, as the Kyverno CLI applies an unbound policy.
//!
//! Each binding that names a policy is kept on it ([`Binding`]): a request
//! is evaluated once per binding whose `matchResources` selects it
//! (`namespaceSelector`, `objectSelector`, `resourceRules`,
//! `excludeResourceRules`; the policy's own match still applies first),
//! with that binding's `paramRef`. Its `validationActions`: a failure under
//! a binding with `Warn` alone is a warning; the policy is Enforce when a
//! binding has `Deny`, else Audit (a policy with a Deny binding and an
//! Audit one reports the Audit binding's failures as Enforce too).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::vpol::{kind_of_resource, rule_list};
use super::{CelInputs, ParamSource};
use crate::matching::LabelSelector;
use crate::policy::{
    parse_selector, Check, FailureAction, Mutation, Policy, PolicyError, Problem, RuleAction,
    RuleProblem,
};

/// Whether the document is a ValidatingAdmissionPolicy.
pub fn is_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("admissionregistration.k8s.io/") && kind == "ValidatingAdmissionPolicy"
}

/// Whether the document is a ValidatingAdmissionPolicyBinding or a
/// MutatingAdmissionPolicyBinding.
pub fn is_binding(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("admissionregistration.k8s.io/")
        && matches!(
            kind,
            "ValidatingAdmissionPolicyBinding" | "MutatingAdmissionPolicyBinding"
        )
}

/// Reads a ValidatingAdmissionPolicy document.
pub(crate) fn parse(doc: &Json, source: &str) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    super::vpol::parse_with(doc, source, false, super::vpol::CelAction::Validate)
}

/// One `resourceRules` entry of a binding's `matchResources`.
#[derive(Clone, Debug, Default)]
pub struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    /// `(Kind, subresource)` of each resource (`pods/exec` -> `("Pod", "exec")`).
    kinds: Vec<(String, String)>,
    operations: Vec<String>,
    names: Vec<String>,
}

/// A ValidatingAdmissionPolicyBinding as applied to its policy.
#[derive(Clone, Debug, Default)]
pub struct Binding {
    /// The binding's name.
    pub name: String,
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    rules: Vec<ResourceRule>,
    exclude: Vec<ResourceRule>,
    /// Where `params` comes from under this binding.
    pub params: Option<ParamSource>,
    /// Failures are warnings: `validationActions` is `Warn` alone.
    pub warn: bool,
}

fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl ResourceRule {
    fn read(rule: &Json) -> ResourceRule {
        let list = |k: &str| rule_list(rule, k);
        let kinds = list("resources")
            .iter()
            .map(|r| {
                let (plural, sub) = r.split_once('/').unwrap_or((r, ""));
                (kind_of_resource(plural), sub.to_string())
            })
            .collect();
        ResourceRule {
            groups: list("apiGroups"),
            versions: list("apiVersions"),
            kinds,
            operations: list("operations"),
            names: list("resourceNames"),
        }
    }

    /// Whether the request `inputs` describes is one this rule names.
    fn covers(&self, inputs: &CelInputs<'_>) -> bool {
        let r = |p: &str| {
            inputs
                .request
                .pointer(p)
                .and_then(Json::as_str)
                .unwrap_or_default()
        };
        let (kind, sub) = (r("/kind/kind"), r("/subResource"));
        listed(&self.groups, r("/kind/group"))
            && listed(&self.versions, r("/kind/version"))
            && listed(&self.operations, r("/operation"))
            && self
                .kinds
                .iter()
                .any(|(k, s)| (k == "*" || k == kind) && (s == "*" || s == sub))
            && (self.names.is_empty() || self.names.iter().any(|n| n == r("/name")))
    }
}

/// The labels at `metadata.labels` of a JSON object.
fn labels(object: &Json) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

impl Binding {
    /// Whether the binding's `matchResources` selects the request. A
    /// cluster-scoped object other than a Namespace is never left out by the
    /// namespace selector, as in Kubernetes.
    pub fn selects(&self, inputs: &CelInputs<'_>) -> bool {
        let object = match inputs.object.as_ref() {
            Json::Null => inputs.old_object.unwrap_or(&Json::Null),
            o => o,
        };
        let namespace_labels = match (&inputs.namespace_object, object.get("kind")) {
            (Json::Null, Some(k)) if k == "Namespace" => Some(labels(object)),
            (Json::Null, _) => None,
            (ns, _) => Some(labels(ns)),
        };
        let by_namespace = match (&self.namespace_selector, namespace_labels) {
            (Some(sel), Some(l)) => sel.matches(&l),
            _ => true,
        };
        let by_object = self
            .object_selector
            .as_ref()
            .is_none_or(|sel| sel.matches(&labels(object)));
        by_namespace
            && by_object
            && (self.rules.is_empty() || self.rules.iter().any(|r| r.covers(inputs)))
            && !self.exclude.iter().any(|r| r.covers(inputs))
    }
}

/// Applies one binding (read from `file`) to the policy it names.
pub fn apply_binding(
    policies: &mut [Policy],
    binding: &Json,
    file: &str,
) -> Result<(), Box<PolicyError>> {
    let name = binding
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let error = |path: &str, reason: String| {
        Box::new(PolicyError {
            file: file.to_string(),
            line: None,
            policy: name.to_string(),
            rule: None,
            path: path.to_string(),
            reason,
        })
    };
    let policy_name = binding
        .pointer("/spec/policyName")
        .and_then(Json::as_str)
        .ok_or_else(|| error("spec.policyName", "a binding needs spec.policyName".into()))?;
    let binding_kind = binding
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("ValidatingAdmissionPolicyBinding");
    let policy_kind = binding_kind.strip_suffix("Binding").unwrap_or(binding_kind);
    let validating = policy_kind == "ValidatingAdmissionPolicy";
    let policy = policies
        .iter_mut()
        .find(|p| p.kind == policy_kind && p.name == policy_name)
        .ok_or_else(|| {
            error(
                "spec.policyName",
                format!("no {policy_kind} named {policy_name} was loaded"),
            )
        })?;
    let actions: Vec<&str> = binding
        .pointer("/spec/validationActions")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    if validating && actions.is_empty() {
        return Err(error(
            "spec.validationActions",
            "a binding needs validationActions (Deny, Warn, Audit)".into(),
        ));
    }
    let scope = binding.pointer("/spec/matchResources");
    let selector = |key: &str| {
        parse_selector(
            scope.and_then(|m| m.get(key)),
            &format!("spec.matchResources.{key}"),
        )
        .map_err(|(path, reason)| error(&path, reason))
    };
    let rules = |key: &str| -> Vec<ResourceRule> {
        scope
            .and_then(|m| m.get(key))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(ResourceRule::read)
            .collect()
    };
    let mut bound = Binding {
        name: name.to_string(),
        namespace_selector: selector("namespaceSelector")?,
        object_selector: selector("objectSelector")?,
        rules: rules("resourceRules"),
        exclude: rules("excludeResourceRules"),
        params: None,
        warn: !actions.contains(&"Deny") && !actions.contains(&"Audit"),
    };
    let deny = actions.contains(&"Deny");
    let reference = binding.pointer("/spec/paramRef");
    let mut first = true;
    let param_ref = |params: &mut ParamSource| {
        let s = |k: &str| {
            reference
                .and_then(|r| r.get(k))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        params.name = s("name");
        params.namespace = s("namespace");
        params.deny_when_missing = s("parameterNotFoundAction") != "Allow";
    };
    for rule in &mut policy.rules {
        let cel = match &mut rule.action {
            RuleAction::Validate(v) => match &mut v.check {
                Check::Cel(cel) => cel,
                _ => continue,
            },
            // A MutatingAdmissionPolicyBinding gives its policy's params.
            RuleAction::Mutate(Mutation::Cel(cel)) => {
                if let Some(params) = Arc::get_mut(cel).and_then(|c| c.params.as_mut()) {
                    if reference.is_some() {
                        param_ref(params);
                    }
                }
                continue;
            }
            _ => continue,
        };
        // Policies are not shared until loading ends.
        let Some(cel) = Arc::get_mut(cel) else {
            continue;
        };
        first &= cel.bindings.is_empty();
        bound.params = cel.params.clone().map(|mut params| {
            param_ref(&mut params);
            params
        });
        cel.bindings.push(bound.clone());
    }
    // The first binding replaces the default (Deny); later ones can only
    // add Deny.
    if validating && (first || deny) {
        policy.failure_action = if deny {
            FailureAction::Enforce
        } else {
            FailureAction::Audit
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::engine::{evaluate, Request, Status, Target};
    use crate::load::policies_from_str;
    use crate::FailureAction;
    use serde_json::{json, Value as Json};

    const POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
    messageExpression: "'at most ' + params.data.max + ' replicas'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-binding}
spec:
  policyName: max-replicas
  validationActions: [Audit]
  paramRef: {name: limits, namespace: shop}
"#;

    #[test]
    fn policy_and_binding_with_params() {
        let loaded = policies_from_str(POLICY, "vap.yaml");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let policy = &loaded.policies[0];
        assert_eq!(policy.kind, "ValidatingAdmissionPolicy");
        assert_eq!(policy.failure_action, FailureAction::Audit);
        assert_eq!(policy.rules.len(), 1, "no autogen for Kubernetes' kind");
        let mut request = Request {
            config_maps: vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": "shop"}, "data": {"max": "1"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits", "namespace": "shop"}, "data": {"max": "3"}}),
            ],
            ..Request::default()
        };
        let deploy = |n: i64| {
            Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": n}}))
        };
        assert_eq!(
            evaluate(policy, &deploy(3), &request)[0].status,
            Status::Pass
        );
        let r = &evaluate(policy, &deploy(4), &request)[0];
        assert_eq!(
            (r.status, r.message.as_str()),
            (Status::Fail, "at most 3 replicas")
        );
        request.config_maps.pop();
        let r = &evaluate(policy, &deploy(1), &request)[0];
        assert_eq!(
            r.status,
            Status::Fail,
            "paramRef names a missing object: {}",
            r.message
        );
    }

    const TWO_BINDINGS: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - {expression: "object.spec.replicas <= 3", message: at most 3}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prod-deny}
spec:
  policyName: replicas
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: web-warn}
spec:
  policyName: replicas
  validationActions: [Warn]
  matchResources:
    objectSelector: {matchLabels: {tier: web}}
    resourceRules:
    - {apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: [deployments]}
    excludeResourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [legacy]}
"#;

    #[test]
    fn each_binding_selects_and_acts_on_its_own() {
        let loaded = policies_from_str(TWO_BINDINGS, "vap.yaml");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let policy = &loaded.policies[0];
        assert_eq!(policy.failure_action, FailureAction::Enforce);
        let mut request = Request::default();
        request
            .values
            .namespace_labels
            .insert("shop".into(), [("env".into(), "prod".into())].into());
        let outcome = |name: &str, namespace: &str, labels: Json| {
            let target = Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {"replicas": 5}}));
            let r = &evaluate(policy, &target, &request)[0];
            (r.status, r.message.clone())
        };
        // With several bindings, a message names the binding it comes from.
        assert_eq!(
            outcome("a", "shop", json!({})),
            (Status::Fail, "binding prod-deny: at most 3".into())
        );
        assert_eq!(outcome("a", "dev", json!({"tier": "web"})).0, Status::Warn);
        assert_eq!(outcome("a", "dev", json!({})).0, Status::Skip);
        assert_eq!(
            outcome("legacy", "dev", json!({"tier": "web"})).0,
            Status::Skip
        );
        let (status, message) = outcome("a", "shop", json!({"tier": "web"}));
        assert_eq!(status, Status::Fail);
        assert_eq!(message, "binding prod-deny: at most 3");
    }

    #[test]
    fn binding_to_an_unknown_policy_is_an_error() {
        let text = POLICY.replace("policyName: max-replicas", "policyName: nope");
        let loaded = policies_from_str(&text, "vap.yaml");
        assert_eq!(loaded.errors.len(), 1);
        assert!(
            loaded.errors[0].reason.contains("nope"),
            "{:?}",
            loaded.errors
        );
    }
}
