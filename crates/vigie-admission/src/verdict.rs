//! The verdict on one admission request, with Kyverno's semantics: Enforce
//! failures deny, Audit failures allow and are reported (and returned as warnings
//! when the policy emits them), rule errors follow the policy's failure policy,
//! and a spent time budget is answered by the failure policy too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value as Json;
use vigie_policy::report::PolicyInfo;
use vigie_policy::{
    evaluate_in, json_to_resource, PolicyContext, Request as EngineRequest, RequestUser, Status,
    Target, Values,
};
use vigie_policy::{FailureAction, FailurePolicy, Operation, Policy};

use crate::cluster::ClusterData;
use crate::policy_set::{AdmissionPolicy, PolicySet};
use crate::review::AdmissionRequest;

/// One rule result at admission, with the action that applied to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The policy: its name (`namespace/name` for a namespaced Policy), its
    /// severity and category annotations.
    pub policy: Arc<PolicyInfo>,
    /// The rule.
    pub rule: String,
    /// pass, fail, warn (a failure of an unscored policy), error or skip.
    pub status: Status,
    /// The engine's message.
    pub message: String,
    /// The action in force for this rule in the request's namespace.
    pub action: FailureAction,
}

/// What to answer, and what to report.
#[derive(Clone, Debug, Default)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The denial message, when denied.
    pub message: Option<String>,
    /// Warnings for the client.
    pub warnings: Vec<String>,
    /// Every rule result (for metrics and reports).
    pub results: Vec<RuleOutcome>,
    /// Set when the time budget ran out before every policy was evaluated: the
    /// answer then follows the failure policy of those not evaluated.
    pub deadline_hit: bool,
}

/// `Kind/namespace/name` (or `Kind/name`), as Kyverno names a resource in messages.
pub fn resource_name(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{namespace}/{name}")
    }
}

/// The target the policies look at, and the engine request around it.
pub struct Subject {
    /// The object, ready for evaluation.
    pub target: Target,
    /// Everything else about the request.
    pub request: EngineRequest,
}

/// Builds what the engine evaluates: on DELETE the object is `oldObject`.
/// The objects are moved out of `review` into the target and the engine's
/// request, not copied (the decoded object is the engine's: one JSON tree per
/// request); `review.object` and `review.old_object` are `None` afterwards.
/// `None` when there is no object to evaluate (cannot happen after decoding).
pub fn subject(
    review: &mut AdmissionRequest,
    cluster: &ClusterData,
    with_config_maps: bool,
    with_tree: bool,
) -> Option<Subject> {
    let (object, old_object) = match review.operation {
        // The object deleted is both the target and `request.oldObject`: the
        // one case with two copies (DELETE requests carry no new object).
        Operation::Delete => match (review.old_object.take(), review.object.take()) {
            (Some(old), _) => (old.clone(), Some(old)),
            (None, object) => (object?, None),
        },
        _ => (review.object.take()?, review.old_object.take()),
    };
    let mut target = Target::from_json(object);
    if let Some((kind, api_version)) = review.parent_kind() {
        target.kind = kind.to_string();
        target.api_version = api_version.to_string();
    }
    if with_tree {
        // podSecurity checks read a tree of the object: built once here rather
        // than by each such policy.
        target.resource = json_to_resource(&target.object, "<admission request>");
    }
    // The API server fills these in the request even when the object omits them.
    if target.namespace.is_empty() {
        target.namespace.clone_from(&review.namespace);
    }
    if target.name.is_empty() {
        target.name.clone_from(&review.name);
    }
    let mut values = Values::default();
    // The API server always sends dryRun; the engine sets it only when true (as
    // the CLI's offline requests have none), so it is given as a value here.
    values
        .global
        .insert("request.dryRun".into(), Json::Bool(review.dry_run));
    if review.operation == Operation::Delete {
        // The object deleted is matched and checked, but `request.object` is null
        // on DELETE, as the API server sends it (the engine would set it to the
        // target).
        values.global.insert("request.object".into(), Json::Null);
    }
    if let Some(labels) = cluster.namespace_labels.get(&target.namespace) {
        values
            .namespace_labels
            .insert(target.namespace.clone(), labels.clone());
    }
    let request = EngineRequest {
        operation: review.operation,
        old_object,
        subresource: review.sub_resource.clone(),
        dry_run: review.dry_run,
        user: user_of(review, cluster),
        values,
        config_maps: if with_config_maps {
            cluster.config_maps.clone()
        } else {
            Vec::new()
        },
        // The webhook keeps no copy of the cluster's objects or of image
        // metadata: `resource.Get` and `image.GetMetadata` find nothing and
        // the policy's failure policy decides (docs/policy.md).
        cel_lookup: Default::default(),
        // The webhook indexes bindings, not the roles' rules: `authorizer`
        // checks are errored decisions (docs/policy.md).
        cel_authorizer: None,
    };
    Some(Subject { target, request })
}

/// The request's user, with the roles and cluster roles its bindings give it (the
/// API server sends only the username and groups; Kyverno looks the roles up in
/// RBAC, for `roles`/`clusterRoles` in `match` and `exclude` and the
/// `request.roles`/`request.clusterRoles` variables).
fn user_of(review: &mut AdmissionRequest, cluster: &ClusterData) -> RequestUser {
    let mut user = std::mem::take(&mut review.user);
    if !cluster.role_bindings.is_empty() {
        let bound = cluster.role_bindings.roles_of(&user.username, &user.groups);
        user.roles = bound.roles;
        user.cluster_roles = bound.cluster_roles;
    }
    user
}

/// The action for `rule` of `policy` in a namespace: the rule's own
/// `failureAction`, else the policy's; then the first override that applies.
fn action_for(
    policy: &Policy,
    rule: &str,
    namespace: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> FailureAction {
    let base = policy.rule_failure_action(rule);
    policy
        .admission
        .overrides_of(rule)
        .iter()
        .find(|o| o.applies(namespace, labels))
        .map_or(base, |o| o.action)
}

/// Evaluates the candidate policies of `set` for `review` and decides, checking
/// `deadline` between policies. The request's objects are moved into the
/// engine's target (see [`subject`]).
pub fn decide(
    set: &PolicySet,
    review: &mut AdmissionRequest,
    cluster: &ClusterData,
    deadline: Instant,
) -> Decision {
    let Some(object) = review.subject() else {
        return Decision {
            allowed: true,
            ..Decision::default()
        };
    };
    let kind = review.policy_kind(object);
    let candidates = set.candidates(kind);
    let with_config_maps = candidates.iter().any(|p| p.reads_config_maps);
    let with_tree = candidates.iter().any(|p| p.checks_pod_security);
    let Some(Subject { target, request }) = subject(review, cluster, with_config_maps, with_tree)
    else {
        return Decision {
            allowed: true,
            ..Decision::default()
        };
    };
    let labels = cluster.namespace_labels.get(&target.namespace);
    let mut decision = Decision {
        allowed: true,
        ..Decision::default()
    };
    // Indexes of the results that block the request; the denial message is
    // written from them once, at the end, without copying their messages.
    let mut blocking: Vec<usize> = Vec::new();
    let mut not_evaluated: Vec<&AdmissionPolicy> = Vec::new();
    // One context for every policy: its variables document is built once.
    let context = PolicyContext::new(&target, &request);
    for (i, candidate) in candidates.iter().enumerate() {
        if Instant::now() >= deadline {
            not_evaluated.extend(&candidates[i..]);
            break;
        }
        let policy = match review.operation {
            Operation::Delete => match &candidate.on_delete {
                Some(p) => p,
                None => continue,
            },
            _ => &candidate.policy,
        };
        let name = &candidate.info.name;
        // PolicyExceptions: the policy as they leave it for this request, and
        // a result for each rule they exempt.
        let exempted = (!set.exceptions().is_empty())
            .then(|| vigie_policy::exempt(set.exceptions(), policy, &target, &request));
        let (policy, skipped) = match &exempted {
            Some(e) => (&*e.policy, e.skipped.clone()),
            None => (policy, Vec::new()),
        };
        for result in skipped.into_iter().chain(evaluate_in(&context, policy)) {
            let action = action_for(policy, &result.rule, &target.namespace, labels);
            let status = match result.status {
                Status::Fail if !candidate.info.scored => Status::Warn,
                s => s,
            };
            let enforce = action == FailureAction::Enforce;
            match status {
                Status::Fail if enforce => blocking.push(decision.results.len()),
                Status::Error
                    if enforce && policy.admission.failure_policy == FailurePolicy::Fail =>
                {
                    blocking.push(decision.results.len());
                }
                Status::Fail | Status::Warn if policy.admission.emit_warning => {
                    decision
                        .warnings
                        .push(format!("policy {name}.{}: {}", result.rule, result.message));
                }
                Status::Error if enforce => {
                    decision.warnings.push(format!(
                        "policy {name}.{}: error ignored (failurePolicy Ignore): {}",
                        result.rule, result.message
                    ));
                }
                _ => {}
            }
            decision.results.push(RuleOutcome {
                policy: candidate.info.clone(),
                rule: result.rule,
                status,
                message: result.message,
                action,
            });
        }
    }
    // policy -> rule -> message, for the denial message (sorted, as Kyverno's).
    let mut blocked: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for &i in &blocking {
        let outcome = &decision.results[i];
        blocked
            .entry(outcome.policy.name.as_str())
            .or_default()
            .insert(outcome.rule.as_str(), outcome.message.as_str());
    }
    let resource = resource_name(&target.kind, &target.namespace, &target.name);
    let budget_message;
    if !not_evaluated.is_empty() {
        decision.deadline_hit = true;
        let names: Vec<&str> = not_evaluated.iter().map(|p| p.info.name.as_str()).collect();
        let failing: Vec<&str> = not_evaluated
            .iter()
            .filter(|p| p.policy.admission.failure_policy == FailurePolicy::Fail)
            .map(|p| p.info.name.as_str())
            .collect();
        if failing.is_empty() {
            decision.warnings.push(format!(
                "vigie: the time budget ran out before policies {} were evaluated on {resource}; allowed by their failurePolicy Ignore",
                names.join(", ")
            ));
        } else {
            budget_message = format!(
                "the time budget (--timeout) ran out before policies {} were evaluated; denied by their failurePolicy Fail",
                failing.join(", ")
            );
            blocked
                .entry("vigie-admission")
                .or_default()
                .insert("time-budget", &budget_message);
        }
    }
    if !blocked.is_empty() {
        let message = blocked_message(&resource, &blocked);
        decision.allowed = false;
        decision.message = Some(message);
    }
    decision
}

/// The denial text, laid out as Kyverno's: the resource, then each policy with
/// the message of each of its rules that blocked.
pub fn blocked_message(resource: &str, blocked: &BTreeMap<&str, BTreeMap<&str, &str>>) -> String {
    let length: usize = blocked
        .iter()
        .map(|(p, rules)| {
            p.len()
                + 2
                + rules
                    .iter()
                    .map(|(r, m)| r.len() + m.len() + 8)
                    .sum::<usize>()
        })
        .sum();
    let mut out = String::with_capacity(resource.len() + 64 + length);
    let _ = write!(
        out,
        "\n\nresource {resource} was blocked due to the following policies\n\n"
    );
    for (policy, rules) in blocked {
        out.push_str(policy);
        out.push_str(":\n");
        for (rule, message) in rules {
            out.push_str("  ");
            out.push_str(rule);
            out.push_str(": '");
            // Quotes doubled, as in a YAML single-quoted string.
            for (i, piece) in message.split('\'').enumerate() {
                if i > 0 {
                    out.push_str("''");
                }
                out.push_str(piece);
            }
            out.push_str("'\n");
        }
    }
    out
}
