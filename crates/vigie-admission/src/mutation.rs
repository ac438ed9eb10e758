//! The `/mutate` side. vigie-policy has no mutate engine yet: until it has, no
//! rule mutates and `/mutate` allows every request unchanged (policies with mutate
//! rules are reported at start as not supported yet, never silently skipped).
//! Plugging the engine in is this one function.

use serde_json::Value as Json;

use crate::policy_set::PolicySet;
use crate::review::AdmissionRequest;
use crate::verdict::RuleOutcome;

/// What the mutate rules did to a request's object.
#[derive(Debug, Default)]
pub struct Mutation {
    /// The object after every mutate rule, in policy order; `None` when unchanged.
    /// Validation at `/validate` sees it when the API server calls back after
    /// mutation, as with Kyverno.
    pub patched: Option<Json>,
    /// The RFC 6902 JSON Patch (JSON text) from the request's object to `patched`
    /// (vigie-policy's patch between two values).
    pub patch: Option<Vec<u8>>,
    /// The result of each mutate rule.
    pub results: Vec<RuleOutcome>,
}

/// Applies the mutate rules of `set` to the request's object.
pub fn mutate(_set: &PolicySet, _review: &AdmissionRequest) -> Mutation {
    Mutation::default()
}
