//! The `/mutate` side: the mutate rules of the policies that can apply to the
//! object run in policy order (vigie-policy's mutate engine), and the changes go
//! back as one RFC 6902 JSON Patch. The API server then calls `/validate` with the
//! mutated object, so validation sees it.

use serde_json::Value as Json;
use vigie_policy::{
    exempt, json_patch, mutate as run_mutations, pin_image_digests, Exempted, FailureAction,
    Operation, Policy, Status, Target,
};

use crate::cluster::ClusterData;
use crate::policy_set::PolicySet;
use crate::review::AdmissionRequest;
use crate::verdict::{subject, RuleOutcome, Subject};

/// What the mutate rules did to a request's object.
#[derive(Debug, Default)]
pub struct Mutation {
    /// The object after every mutate rule, in policy order; `None` when unchanged.
    pub patched: Option<Json>,
    /// The RFC 6902 JSON Patch (JSON text) from the request's object to `patched`.
    pub patch: Option<Vec<u8>>,
    /// The result of each mutate rule that matched.
    pub results: Vec<RuleOutcome>,
    /// Warnings for the client: rules that could not run (the object is left as
    /// the rules before them made it).
    pub warnings: Vec<String>,
}

/// Applies the mutate rules of `set` to the request's object (CREATE and UPDATE:
/// DELETE and CONNECT have no object to change).
/// The request's objects are moved into the engine's target (see [`subject`]).
pub fn mutate(set: &PolicySet, review: &mut AdmissionRequest, cluster: &ClusterData) -> Mutation {
    if !matches!(review.operation, Operation::Create | Operation::Update) {
        return Mutation::default();
    }
    let Some(object) = review.object.as_ref() else {
        return Mutation::default();
    };
    let kind = review.policy_kind(object);
    let candidates: Vec<_> = set
        .candidates(kind)
        .into_iter()
        .filter(|p| p.mutates)
        .collect();
    if candidates.is_empty() {
        return Mutation::default();
    }
    let with_config_maps = candidates.iter().any(|p| p.reads_config_maps);
    let Some(Subject { target, request }) = subject(review, cluster, with_config_maps, false)
    else {
        return Mutation::default();
    };
    // PolicyExceptions: each policy as they leave it for this request, and a
    // result for each rule they exempt.
    let exempted: Vec<Exempted<'_>> = candidates
        .iter()
        .map(|p| exempt(set.exceptions(), &p.policy, &target, &request))
        .collect();
    let policies: Vec<&Policy> = exempted.iter().map(|e| &*e.policy).collect();
    let mut outcome = run_mutations(&policies, &target, &request);
    // ImageValidatingPolicies pin image digests after the mutate rules, on
    // the object they left (`mutateDigest`); only failures give a result.
    let mutated;
    let before = if outcome.changed {
        mutated = Target::from_json(outcome.object.clone());
        &mutated
    } else {
        &target
    };
    let pinned = pin_image_digests(&policies, before, &request);
    outcome.results.extend(pinned.results);
    if pinned.changed {
        outcome.object = pinned.object;
        outcome.changed = true;
    }
    for (index, e) in exempted.iter().enumerate() {
        outcome
            .results
            .extend(e.skipped.iter().map(|r| (index, r.clone())));
    }
    let mut mutation = Mutation::default();
    for (index, result) in outcome.results {
        let candidate = candidates[index];
        let name = &candidate.info.name;
        if result.status == Status::Error {
            mutation.warnings.push(format!(
                "policy {name}.{}: mutation failed: {}",
                result.rule, result.message
            ));
        }
        mutation.results.push(RuleOutcome {
            policy: candidate.info.clone(),
            rule: result.rule,
            status: result.status,
            message: result.message,
            action: FailureAction::Audit,
        });
    }
    if outcome.changed {
        let patch = json_patch(&target.object, &outcome.object);
        mutation.patch = serde_json::to_vec(&patch).ok();
        mutation.patched = Some(outcome.object);
    }
    mutation
}
