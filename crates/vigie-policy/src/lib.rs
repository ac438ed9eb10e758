//! A Kyverno-compatible policy engine.
//!
//! Runs `kyverno.io/v1` ClusterPolicy and Policy validate rules (pattern,
//! anyPattern, deny, foreach, podSecurity) and mutate rules (patchStrategicMerge,
//! patchesJson6902, foreach, and `targets` on existing resources) against Kubernetes objects, and the
//! `kyverno test` suites and `kyverno apply` reports built on it. Policies are
//! parsed and their JMESPath compiled once; evaluation works on JSON values.
//!
//! The API is re-exported here; [`report`] (`kyverno apply`), [`suite`]
//! (`kyverno test`) and [`values`] (values files, `--set`) are the commands'
//! own namespaces.
//!
//! ```
//! use serde_json::json;
//! use vigie_policy::{evaluate, policies_from_str, Request, Status, Target};
//!
//! let loaded = policies_from_str(
//!     r#"
//! apiVersion: kyverno.io/v1
//! kind: ClusterPolicy
//! metadata: {name: no-latest}
//! spec:
//!   rules:
//!   - name: pinned-image
//!     match: {any: [{resources: {kinds: [Pod]}}]}
//!     validate:
//!       message: images must name a version
//!       pattern:
//!         spec:
//!           containers:
//!           - image: "!*:latest"
//! "#,
//!     "no-latest.yaml",
//! );
//! assert!(loaded.errors.is_empty());
//! let pod = Target::from_json(json!({
//!     "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
//!     "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]},
//! }));
//! let results = evaluate(&loaded.policies[0], &pod, &Request::default());
//! assert_eq!(results[0].status, Status::Fail);
//! ```

mod anchors;
mod autogen;
mod cel;
mod conditions;
mod context;
mod engine;
mod exception;
mod images;
mod inputs;
mod jmes;
mod json;
mod load;
mod matching;
mod offline;
mod patch;
mod patched;
mod pattern;
mod pod_security;
mod policy;
mod policy_generate;
mod policy_mutate;
mod quantity;
pub mod report;
pub mod suite;
pub mod values;
mod variables;
pub mod verify_images;

pub use engine::{
    deletions, evaluate, evaluate_in, generate, json_patch, labels_of, mutate, mutate_existing,
    mutates_existing, pin_image_digests, ExistingMutation, GenerateOutcome, MutationOutcome,
    Operation, PolicyContext, Request, RuleResult, Status, Target, UnknownOperation, Values,
};
pub use exception::{
    exempt, load_exceptions, parse_exception, ExceptionSpec, Exempted, LoadedExceptions,
    PolicyException,
};
pub use json::{json_to_node, json_to_resource, node_to_json};
pub use load::{load_policies, load_policies_and_objects, policies_from_str, LoadedPolicies};
pub use matching::{KindSelector, RequestUser, ResourceFilter};
pub use patch::json6902::apply as apply_json_patch;
pub use patch::JsonPatchError;
pub use policy::{
    AdmissionSettings, Check, ContextSource, FailureAction, FailureActionOverride, FailurePolicy,
    Mutation, Pattern, Policy, PolicyError, Rule, RuleAction,
};
