//! Kyverno's `policies.kyverno.io` MutatingPolicy and NamespacedMutatingPolicy
//! (v1alpha1, v1beta1, v1), and Kubernetes' own MutatingAdmissionPolicy
//! (`admissionregistration.k8s.io` v1alpha1, v1beta1).
//!
//! They are read as a ValidatingPolicy is ([`super::vpol`]): rewritten into
//! the equivalent ClusterPolicy (or Policy) with one rule named after the
//! policy, whose `mutate` holds the compiled CEL mutations
//! ([`super::mutation`]), so that matching (`matchConstraints`), reports, the
//! suites' `patchedResources` and the admission webhook treat them as any
//! other mutate rule. A MutatingPolicy that matches only Pods is also applied
//! to the pod templates of the pod controllers (autogen, as Kyverno does;
//! `spec.autogen.podControllers.controllers` narrows or empties the list);
//! a MutatingAdmissionPolicy has no autogen. A MutatingAdmissionPolicyBinding
//! chooses its policy's `params` ([`super::vap::apply_binding`]).

use serde_json::Value as Json;

use super::vpol::{parse_with, CelAction};
use crate::policy::{Policy, Problem, RuleProblem};

/// Kyverno's mutating kinds.
const KYVERNO_KINDS: &[&str] = &["MutatingPolicy", "NamespacedMutatingPolicy"];

/// Whether `api_version`/`kind` is a Kyverno CEL mutating policy.
pub fn is_mutating_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("policies.kyverno.io/") && KYVERNO_KINDS.contains(&kind)
}

/// Whether the document is a Kubernetes MutatingAdmissionPolicy.
pub fn is_admission_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("admissionregistration.k8s.io/") && kind == "MutatingAdmissionPolicy"
}

/// Reads a GeneratingPolicy or NamespacedGeneratingPolicy document (no
/// autogen: Kyverno generates for the triggers the policy names).
pub(crate) fn parse_generating(
    doc: &Json,
    source: &str,
) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    parse_with(doc, source, false, CelAction::Generate)
}

/// Reads a MutatingPolicy, NamespacedMutatingPolicy or
/// MutatingAdmissionPolicy document.
pub(crate) fn parse(doc: &Json, source: &str) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    let api_version = doc
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let kyverno = api_version.starts_with("policies.kyverno.io/");
    parse_with(doc, source, kyverno, CelAction::Mutate)
}
