//! A Kyverno-compatible policy engine.
//!
//! Runs `kyverno.io/v1` ClusterPolicy and Policy validate rules (pattern,
//! anyPattern, deny, foreach, podSecurity) and mutate rules (patchStrategicMerge,
//! patchesJson6902, foreach) against Kubernetes objects, and the
//! `kyverno test` suites and `kyverno apply` reports built on it. Policies are
//! parsed and their JMESPath compiled once; evaluation works on JSON values.

pub mod anchors;
pub mod autogen;
pub mod cel;
pub mod conditions;
pub mod context;
pub mod engine;
pub mod exception;
pub mod images;
pub mod inputs;
pub mod jmes;
pub mod json;
pub mod load;
pub mod matching;
pub mod offline;
pub mod patch;
pub mod patched;
pub mod pattern;
pub mod pod_security;
pub mod policy;
mod policy_generate;
mod policy_mutate;
pub mod quantity;
pub mod report;
pub mod suite;
pub mod values;
pub mod variables;
pub mod wildcard;

pub use engine::{
    evaluate, evaluate_in, generate, json_patch, labels_of, mutate, GenerateOutcome,
    MutationOutcome, Operation, PolicyContext, Request, RuleResult, Status, Target,
    UnknownOperation, Values,
};
pub use load::{load_policies, load_policies_and_objects, policies_from_str, LoadedPolicies};
pub use policy::{
    AdmissionSettings, FailureAction, FailureActionOverride, FailurePolicy, Policy, PolicyError,
};
