//! The policies a webhook serves, indexed by the kinds their rules match, so that
//! a request evaluates only the policies that can apply to it.

use std::collections::HashMap;
use std::sync::Arc;

use vigie_policy::report::PolicyInfo;
use vigie_policy::{Check, ContextSource, RuleAction};
use vigie_policy::{Policy, PolicyException};

/// One policy as served at admission.
#[derive(Debug)]
pub struct AdmissionPolicy {
    /// The policy, all of its rules.
    pub policy: Policy,
    /// The policy for DELETE requests: without the rules that check the object's
    /// content (pattern, anyPattern, podSecurity), which Kyverno skips on DELETE
    /// ("skipping validation on deleted resource"); deny and foreach rules stay.
    /// `None` when no rule is left.
    pub on_delete: Option<Policy>,
    /// Whether a rule reads ConfigMaps through a `configMap` context entry.
    pub reads_config_maps: bool,
    /// Whether a rule mutates (served at `/mutate`).
    pub mutates: bool,
    /// Whether a rule is a podSecurity check (which works on a positioned tree of
    /// the object, built once per request when needed).
    pub checks_pod_security: bool,
    /// Its name, severity, category and whether it is scored (an unscored
    /// policy's failures are warnings): made once at load and shared by its
    /// results rather than copied for each request.
    pub info: Arc<PolicyInfo>,
}

/// A loaded, indexed set of policies. Immutable: a reload builds a new one.
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: Vec<AdmissionPolicy>,
    /// Kind, in lower case -> indexes, in load order, of the policies with a
    /// rule that names that kind and of those in `any_kind`: merged at load
    /// rather than on each request. Only a first cut, which the rules' own
    /// matching refines: lower case so that the selectors comparing kinds
    /// without case (a CEL policy's `resourceRules`,
    /// `KindSelector::ignore_case`) are found too.
    by_kind: HashMap<String, Vec<usize>>,
    /// Policies with a rule that matches any kind (no `kinds`, or a wildcard).
    any_kind: Vec<usize>,
    /// Policies left out because of `spec.admission: false`.
    background_only: usize,
    /// Counts the loads, from 1; a new set has the next number.
    generation: u64,
    /// The PolicyExceptions served with the policies.
    exceptions: Vec<PolicyException>,
}

/// Whether `rule` is a ClusterPolicy `verifyImages` rule.
pub fn is_verify_images(rule: &vigie_policy::Rule) -> bool {
    matches!(
        rule.action,
        RuleAction::Mutate(vigie_policy::Mutation::VerifyImages(_))
    )
}

fn is_content_check(check: &Check) -> bool {
    matches!(
        check,
        Check::Pattern(_) | Check::AnyPattern(_) | Check::PodSecurity(_)
    )
}

impl PolicySet {
    /// Indexes `policies`; those with `spec.admission: false` are left out.
    pub fn new(policies: Vec<Policy>, generation: u64) -> Self {
        let mut set = PolicySet {
            generation,
            ..Self::default()
        };
        for mut policy in policies {
            // verifyImages rules are answered from a Context file's image
            // facts, which the webhook does not have: not served (said at
            // load, see `store::load_set_with_objects`).
            policy.rules.retain(|r| !is_verify_images(r));
            if !policy.admission.admission {
                set.background_only += 1;
                continue;
            }
            let index = set.policies.len();
            let mut kinds: Vec<String> = Vec::new();
            let mut any = false;
            let mut reads_config_maps = false;
            let mut checks_pod_security = false;
            let mut mutates = false;
            for rule in &policy.rules {
                match &rule.action {
                    RuleAction::Validate(validation) => {
                        checks_pod_security |= matches!(validation.check, Check::PodSecurity(_));
                        // An ImageValidatingPolicy's `mutateDigest` is served at
                        // `/mutate`, as Kyverno's mutating webhook serves it.
                        mutates |=
                            matches!(&validation.check, Check::Image(i) if i.mutates_digest());
                    }
                    // Mutating existing resources (`mutate.targets`) is the
                    // background controller's work in Kyverno, never part of
                    // the admission answer: such a rule is not served.
                    RuleAction::Mutate(_) if rule.mutates_existing() => continue,
                    RuleAction::Mutate(_) => mutates = true,
                    _ => continue,
                }
                reads_config_maps |= rule
                    .context
                    .iter()
                    .any(|c| matches!(c.source, ContextSource::ConfigMap { .. }));
                for filter in rule.match_resources.filters() {
                    let selectors = &filter.resources.kinds;
                    if selectors.is_empty() {
                        any = true;
                    }
                    for k in selectors {
                        if k.kind_is_pattern() {
                            any = true;
                        } else {
                            kinds.push(k.kind.to_ascii_lowercase());
                        }
                    }
                }
            }
            if any {
                set.any_kind.push(index);
            } else {
                kinds.sort_unstable();
                kinds.dedup();
                for kind in kinds {
                    set.by_kind.entry(kind).or_default().push(index);
                }
            }
            let mut on_delete = policy.clone();
            on_delete.rules.retain(|r| match &r.action {
                RuleAction::Validate(v) => !is_content_check(&v.check),
                _ => false,
            });
            // (Mutate rules never run on DELETE: there is no object to change.)
            let on_delete = (!on_delete.rules.is_empty()).then_some(on_delete);
            set.policies.push(AdmissionPolicy {
                info: Arc::new(PolicyInfo::of(&policy)),
                policy,
                on_delete,
                reads_config_maps,
                mutates,
                checks_pod_security,
            });
        }
        for indexes in set.by_kind.values_mut() {
            indexes.extend(&set.any_kind);
            indexes.sort_unstable();
        }
        set
    }

    /// The set with `exceptions` applied to its policies at admission.
    pub fn with_exceptions(mut self, exceptions: Vec<PolicyException>) -> Self {
        self.exceptions = exceptions;
        self
    }

    /// The PolicyExceptions served with the policies.
    pub fn exceptions(&self) -> &[PolicyException] {
        &self.exceptions
    }

    /// The policies that may apply to an object of `kind`, in load order.
    pub fn candidates(&self, kind: &str) -> Vec<&AdmissionPolicy> {
        self.by_kind
            .get(&kind.to_ascii_lowercase())
            .unwrap_or(&self.any_kind)
            .iter()
            .map(|&i| &self.policies[i])
            .collect()
    }

    /// Every policy served.
    pub fn policies(&self) -> &[AdmissionPolicy] {
        &self.policies
    }

    /// How many policies are served.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether no policy is served.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Policies left out because of `spec.admission: false`.
    pub fn background_only(&self) -> usize {
        self.background_only
    }

    /// Which load this set comes from (1 for the first).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}
