//! The cleanup handler, as a dry run: which resources the rules of
//! CleanupPolicy, ClusterCleanupPolicy and DeletingPolicy would delete.
//! Kyverno deletes them on the policy's schedule; the CLI only reports.

use std::borrow::Borrow;

use super::policy_context::PolicyContext;
use super::{rule_matches, Request, RuleResult, Target};
use crate::cel::CelInputs;
use crate::policy::{Policy, RuleAction};

/// Runs the cleanup rules of `policies` that match `target`: `pass` when the
/// resource would be deleted, `skip` when a condition spares it, `error`
/// when a condition cannot be evaluated; each with the index of its policy.
pub fn deletions<P: Borrow<Policy>>(
    policies: &[P],
    target: &Target,
    request: &Request,
) -> Vec<(usize, RuleResult)> {
    let context = PolicyContext::new(target, request);
    let match_target = context.match_target();
    let mut out = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let policy = policy.borrow();
        if !context.policy_applies(policy) {
            continue;
        }
        for rule in &policy.rules {
            let RuleAction::Delete(deletion) = &rule.action else {
                continue;
            };
            if !rule_matches(rule, &match_target) {
                continue;
            }
            // The rule's context and preconditions (a CleanupPolicy's
            // `conditions`) first, then a DeletingPolicy's CEL conditions.
            let (status, message) = match context.rule_data(policy, rule) {
                Ok(_) => deletion.decide(&CelInputs::of(&context)),
                Err(result) => result,
            };
            out.push((
                index,
                RuleResult {
                    rule: rule.name.clone(),
                    status,
                    message,
                },
            ));
        }
    }
    out
}

/// Whether a policy has cleanup rules.
pub fn deletes(policy: &Policy) -> bool {
    policy
        .rules
        .iter()
        .any(|r| matches!(r.action, RuleAction::Delete(_)))
}
