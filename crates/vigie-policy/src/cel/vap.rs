//! Kubernetes' own ValidatingAdmissionPolicy and its binding
//! (`admissionregistration.k8s.io/v1`): a user can test the policies their
//! API server runs natively.
//!
//! The policy is read as a ValidatingPolicy is ([`super::vpol`]), without
//! Kyverno's autogen (the API server has none). A binding then sets, on the
//! policy it names, its `validationActions` (Deny is Enforce, Warn or Audit
//! alone are Audit) and its `paramRef` (which object of the policy's
//! `paramKind` is `params`). A policy without a binding runs as if bound with
//! `Deny` and params of its kind chosen in the object's namespace, as the
//! Kyverno CLI applies an unbound policy. When several bindings name one
//! policy, the last one read applies; a binding's `matchResources` is not
//! applied yet (it can only narrow the policy's own match).

use std::sync::Arc;

use serde_json::Value as Json;

use crate::policy::{
    Check, FailureAction, Mutation, Policy, PolicyError, Problem, RuleAction, RuleProblem,
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
    let policy = policies
        .iter_mut()
        .find(|p| p.kind == policy_kind && p.name == policy_name)
        .ok_or_else(|| {
            error(
                "spec.policyName",
                format!("no {policy_kind} named {policy_name} was loaded"),
            )
        })?;
    if policy_kind == "ValidatingAdmissionPolicy" {
        let actions: Vec<&str> = binding
            .pointer("/spec/validationActions")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if actions.is_empty() {
            return Err(error(
                "spec.validationActions",
                "a binding needs validationActions (Deny, Warn, Audit)".into(),
            ));
        }
        policy.failure_action = if actions.contains(&"Deny") {
            FailureAction::Enforce
        } else {
            FailureAction::Audit
        };
    }
    let reference = binding.pointer("/spec/paramRef");
    for rule in &mut policy.rules {
        let params = match &mut rule.action {
            RuleAction::Validate(v) => match &mut v.check {
                Check::Cel(cel) => Arc::get_mut(cel).and_then(|c| c.params.as_mut()),
                _ => None,
            },
            RuleAction::Mutate(Mutation::Cel(cel)) => {
                Arc::get_mut(cel).and_then(|c| c.params.as_mut())
            }
            _ => None,
        };
        let (Some(params), Some(reference)) = (params, reference) else {
            continue;
        };
        let s = |k: &str| {
            reference
                .get(k)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        params.name = s("name");
        params.namespace = s("namespace");
        params.deny_when_missing = s("parameterNotFoundAction") != "Allow";
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::engine::{evaluate, Request, Status, Target};
    use crate::load::policies_from_str;
    use crate::FailureAction;
    use serde_json::json;

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
