//! `apply` and its outputs: summary text, JSON, policy reports, SARIF, JUnit
//! and the mutated objects; and the JSON/JUnit forms of `test` reports.

mod output;
mod suite_output;

pub use output::{
    junit, mutated_document, report_set, text, write_json, write_mutated,
    write_policy_reports_yaml, write_sarif, yaml_document, MutatedWriter,
};
pub use suite_output::{test_json, test_junit};

use std::collections::HashSet;
use std::sync::Arc;

use vigie_resource::{Limits, LoadOptions, Resource};

use crate::engine::delete::deletes;
use crate::engine::{
    deletions, evaluate_in, generate, mutate, mutate_existing, mutates_existing, PolicyContext,
    Request, RuleResult, Status, Target,
};
use crate::exception::{exempt, load_exceptions, Exempted};
use crate::inputs::gather;
use crate::json::node_to_json;
use crate::load::load_policies;
use crate::policy::{
    Check, ContextEntry, ContextSource, FailureAction, Mutation, Policy, RuleAction,
};

/// How many rule results had each status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Results that passed.
    pub pass: usize,
    /// Results that failed.
    pub fail: usize,
    /// Failures reported as warnings (unscored policies, `--audit-warn`).
    pub warn: usize,
    /// Rules that could not be evaluated.
    pub error: usize,
    /// Rules that did not apply (preconditions, exclusions).
    pub skip: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Warn => self.warn += 1,
            Status::Error => self.error += 1,
            Status::Skip => self.skip += 1,
        }
    }
}

/// What every result of one policy shares, kept once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInfo {
    /// `namespace/name` for a Policy, `name` for a ClusterPolicy.
    pub name: String,
    /// `policies.kyverno.io/severity`.
    pub severity: Option<String>,
    /// `policies.kyverno.io/category`.
    pub category: Option<String>,
    /// False when `policies.kyverno.io/scored` is `"false"`: failures are warnings.
    pub scored: bool,
    /// The file the policy was read from.
    pub source: String,
}

impl PolicyInfo {
    /// What `policy`'s name and annotations say of its results.
    pub fn of(policy: &Policy) -> PolicyInfo {
        PolicyInfo {
            name: policy.qualified_name(),
            severity: policy.severity().map(str::to_string),
            category: policy.category().map(str::to_string),
            scored: policy.annotation("policies.kyverno.io/scored") != Some("false"),
            source: policy.source.clone(),
        }
    }
}

/// One rule result on one resource. Kept small: what results share (the policy,
/// the rule name, the resource) is shared, so memory grows with the results
/// kept, never with the size of the objects.
#[derive(Clone, Debug)]
pub struct ApplyResult {
    /// The policy the rule belongs to.
    pub policy: Arc<PolicyInfo>,
    /// The rule's name.
    pub rule: Arc<str>,
    /// What the rule concluded, after the warn rules of [`ApplyOptions`].
    pub status: Status,
    /// Shared between results with the same text (most failures of one rule).
    pub message: Arc<str>,
    /// The resource the rule ran on.
    pub resource: Arc<ResourceRef>,
}

/// Which object a result is about, and where it was read.
#[derive(Clone, Debug)]
pub struct ResourceRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; empty for cluster-wide objects.
    pub namespace: String,
    /// The file the object was read from.
    pub file: String,
    /// The line its document starts on.
    pub line: u32,
}

/// An object that mutate rules changed, as they left it, or one a generate rule
/// would create.
#[derive(Clone, Debug)]
pub struct MutatedResource {
    /// The object as it was loaded; for a generated one, the object that
    /// triggered the rule.
    pub resource: Arc<ResourceRef>,
    /// The object after every mutation, or the generated object.
    pub object: serde_json::Value,
    /// `policy/rule` of each rule that changed (or generated) it, in order.
    pub rules: Vec<String>,
    /// Whether a generate rule made the object (`resource` is then its trigger).
    pub generated: bool,
}

/// What an `apply` run gave: results, counts, changed objects and problems.
#[derive(Clone, Debug, Default)]
pub struct ApplyOutcome {
    /// The objects mutate rules changed, in the order they were read (validation
    /// ran on these, as in `kyverno apply`); empty with [`apply_streaming`].
    pub mutated: Vec<MutatedResource>,
    /// How many objects mutate rules changed.
    pub mutated_resources: usize,
    /// How many objects generate rules would create.
    pub generated_resources: usize,
    /// What the cleanup policies (CleanupPolicy, DeletingPolicy) would delete:
    /// one `pass` result per resource and rule, the message saying when.
    pub deletions: Vec<ApplyResult>,
    /// The results kept (see [`ApplyOptions::keep_passing`]), resource by resource.
    pub results: Vec<ApplyResult>,
    /// Every result, kept or not.
    pub counts: Counts,
    /// Policies or resources that could not be loaded, rules that could not run,
    /// or nothing to apply (the rest still ran): exit code 2.
    pub input_errors: Vec<String>,
    /// Files skipped on purpose (a FIFO or device inside a directory).
    pub notes: Vec<String>,
    /// Policies applied.
    pub policies: usize,
    /// Resources they were applied to.
    pub resources: usize,
}

/// How `apply` runs.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Report failures of rules whose action is Audit as warnings (the rule's own
    /// `validate.failureAction`, else the policy's: [`Policy::rule_failure_action`]).
    pub audit_warn: bool,
    /// Keep pass and skip results too (the JSON, YAML, SARIF and JUnit outputs list
    /// them; the text summary only counts them).
    pub keep_passing: bool,
    /// The size cap on each file read.
    pub max_file_bytes: u64,
    /// Files or directories of PolicyExceptions (`--exceptions`).
    pub exceptions: Vec<String>,
    /// Files or directories of the existing resources `mutate.targets` rules
    /// select among (`--target-resource`, `--target-resources`).
    pub target_resources: Vec<String>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            audit_warn: false,
            keep_passing: true,
            max_file_bytes: Limits::DEFAULT_MAX_FILE_BYTES,
            exceptions: Vec::new(),
            target_resources: Vec::new(),
        }
    }
}

/// The results of every policy on one resource, computed where it was parsed.
struct Evaluated {
    resource: Arc<ResourceRef>,
    results: Vec<Kept>,
    /// The mutated object and the rules that changed it, when any did.
    mutated: Option<(serde_json::Value, Vec<String>)>,
    /// The objects generate rules would create, each with `policy/rule`.
    generated: Vec<(serde_json::Value, String)>,
    /// The cleanup rules (policy index, rule, message) that would delete it.
    deleted_by: Vec<(usize, Arc<str>, Box<str>)>,
    /// The results of its mutate-existing rules on target resources: policy
    /// index, rule, target index, status, message and the patched target.
    on_targets: Vec<TargetResult>,
}

/// One mutate-existing rule's result on one target resource.
struct TargetResult {
    policy: usize,
    rule: Arc<str>,
    target: usize,
    status: Status,
    message: Box<str>,
    patched: Option<serde_json::Value>,
}

/// Applies every policy to every resource. Resources stream through the policies
/// as they are parsed (in parallel), and only compact result records are kept, so
/// memory does not grow with the size of the input objects.
pub fn apply(
    policy_paths: &[String],
    resource_paths: &[String],
    request: Request,
    options: &ApplyOptions,
) -> ApplyOutcome {
    let mut mutated = Vec::new();
    let mut outcome = apply_streaming(policy_paths, resource_paths, request, options, &mut |m| {
        mutated.push(m)
    });
    outcome.mutated = mutated;
    outcome
}

/// [`apply`], handing each mutated object to `on_mutated` as soon as it is ready
/// instead of keeping it ([`ApplyOutcome::mutated`] stays empty), so that memory
/// does not grow with the objects written out.
pub fn apply_streaming(
    policy_paths: &[String],
    resource_paths: &[String],
    mut request: Request,
    options: &ApplyOptions,
    on_mutated: &mut dyn FnMut(MutatedResource),
) -> ApplyOutcome {
    let mut loaded = load_policies(policy_paths, options.max_file_bytes);
    let mut outcome = ApplyOutcome {
        policies: loaded.policies.len(),
        notes: loaded.notes.clone(),
        ..Default::default()
    };
    outcome
        .input_errors
        .extend(loaded.unreadable.iter().map(ToString::to_string));
    outcome
        .input_errors
        .extend(loaded.errors.iter().map(ToString::to_string));
    for (file, kind, name) in &loaded.unsupported {
        outcome.input_errors.push(format!(
            "{file}: {kind} {name}: this policy kind is not supported yet; it was not applied"
        ));
    }
    outcome
        .input_errors
        .extend(loaded.unsupported_rules.iter().map(ToString::to_string));
    if loaded.policies.is_empty()
        && loaded.unsupported.is_empty()
        && loaded.errors.is_empty()
        && loaded.unreadable.is_empty()
    {
        outcome.input_errors.push(format!(
            "no Kyverno policy (ClusterPolicy or Policy) found in {}; nothing was applied",
            policy_paths.join(", ")
        ));
    }
    // PolicyExceptions written among the policies apply too, as in
    // `kyverno apply`.
    let mut exceptions = std::mem::take(&mut loaded.exceptions);
    exceptions.extend(if options.exceptions.is_empty() {
        Vec::new()
    } else {
        let loaded = load_exceptions(&options.exceptions, options.max_file_bytes);
        outcome
            .input_errors
            .extend(loaded.unreadable.iter().map(ToString::to_string));
        outcome.input_errors.extend(loaded.errors);
        loaded.exceptions
    });
    let gathered = gather(resource_paths, options.max_file_bytes, true);
    outcome.notes.extend(gathered.notes.iter().cloned());
    outcome
        .input_errors
        .extend(gathered.errors.iter().map(ToString::to_string));
    let load_options = LoadOptions {
        no_kustomize: false,
        limits: Limits {
            max_file_bytes: options.max_file_bytes,
            ..Limits::default()
        },
        ..Default::default()
    };
    if loaded.policies.iter().any(uses_config_maps) {
        // ConfigMaps may come after the objects that read them: gather them first.
        let mut config_maps = Vec::new();
        let config_map = |r: Resource| (r.kind == "ConfigMap").then(|| node_to_json(&r.root));
        // Errors are reported by the pass over the resources below.
        gathered.load_each(&load_options, config_map, |cm| config_maps.extend(cm));
        request.config_maps = config_maps;
    }
    let cleaning = loaded.policies.iter().any(deletes);
    let generating = loaded.policies.iter().any(|p| {
        p.rules
            .iter()
            .any(|r| matches!(r.action, RuleAction::Generate(_)))
    });
    // `clone` and `cloneList` copy resources given with the others, which may come
    // after the objects that trigger them: gather them first (kept whole, so memory
    // grows with the input only when a policy clones).
    let mut clone_sources = Vec::new();
    if loaded.policies.iter().any(clones) {
        let object = |r: Resource| node_to_json(&r.root);
        gathered.load_each(&load_options, object, |o| clone_sources.push(o));
    }
    // The existing resources mutate-existing rules patch: loaded whole, and each
    // trigger starts from them as given (Kyverno's CLI reads them from a fake
    // cluster that its mutations do not change).
    let existing_policies = loaded.policies.iter().any(mutates_existing);
    let mut target_resources: Vec<Target> = Vec::new();
    if existing_policies && !options.target_resources.is_empty() {
        let targets = gather(&options.target_resources, options.max_file_bytes, true);
        outcome.notes.extend(targets.notes.iter().cloned());
        outcome
            .input_errors
            .extend(targets.errors.iter().map(ToString::to_string));
        let errors = targets.load_each(&load_options, Target::from_resource, |t| {
            target_resources.push(t)
        });
        outcome.input_errors.extend(errors);
    }
    let target_refs: Vec<Arc<ResourceRef>> = target_resources
        .iter()
        .map(|t| {
            let (file, line) = t
                .resource
                .as_ref()
                .map(|res| (res.origin.file.path.clone(), res.pos.line))
                .unwrap_or_default();
            Arc::new(ResourceRef {
                api_version: t.api_version.clone(),
                kind: t.kind.clone(),
                name: t.name.clone(),
                namespace: t.namespace.clone(),
                file,
                line,
            })
        })
        .collect();
    let infos: Vec<Arc<PolicyInfo>> = loaded
        .policies
        .iter()
        .map(|p| Arc::new(PolicyInfo::of(p)))
        .collect();
    let rule_names: Vec<Vec<Arc<str>>> = loaded
        .policies
        .iter()
        .map(|p| p.rules.iter().map(|r| Arc::from(r.name.as_str())).collect())
        .collect();
    let evaluate_one = |resource: Resource| -> Evaluated {
        let target = Target::from_resource(resource);
        let (file, line) = target
            .resource
            .as_ref()
            .map(|res| (res.origin.file.path.clone(), res.pos.line))
            .unwrap_or_default();
        let mut results = Vec::new();
        // The policies as the exceptions leave them for this resource.
        let exempted: Vec<Exempted<'_>> = if exceptions.is_empty() {
            Vec::new()
        } else {
            loaded
                .policies
                .iter()
                .map(|p| exempt(&exceptions, p, &target, &request))
                .collect()
        };
        let policies: Vec<&Policy> = if exempted.is_empty() {
            loaded.policies.iter().collect()
        } else {
            exempted.iter().map(|e| &*e.policy).collect()
        };
        for (index, e) in exempted.iter().enumerate() {
            for r in &e.skipped {
                results.push(kept(&rule_names, index, r.clone()));
            }
        }
        let (target, mutated) =
            mutate_first(&policies, &rule_names, target, &request, &mut results);
        // One context for every policy: what their rules share is built once.
        let context = PolicyContext::new(&target, &request);
        for (index, policy) in policies.iter().copied().enumerate() {
            let scored = infos[index].scored;
            for r in evaluate_in(&context, policy) {
                let mut status = r.status;
                if status == Status::Fail
                    && (!scored
                        || options.audit_warn
                            && policy.rule_failure_action(&r.rule) == FailureAction::Audit)
                {
                    status = Status::Warn;
                }
                let rule = rule_name(&rule_names[index], &r.rule);
                results.push((index, rule, status, r.message.into_boxed_str()));
            }
        }
        // ImageValidatingPolicies' `required` is settled across all of them.
        for settled in context.settle_image_requirements() {
            let found = results.iter_mut().find(|(index, rule, _, _)| {
                policies[*index].name == settled.policy && **rule == *settled.rule
            });
            if let Some((index, _, status, message)) = found {
                let scored = infos[*index].scored;
                *status = match settled.status {
                    Status::Fail if !scored || options.audit_warn => Status::Warn,
                    s => s,
                };
                *message = settled.message.into_boxed_str();
            }
        }
        let mut generated = Vec::new();
        if generating {
            for g in generate(&policies, &target, &request, &clone_sources) {
                let name = format!(
                    "{}/{}",
                    loaded.policies[g.policy].qualified_name(),
                    g.result.rule
                );
                generated.extend(g.resources.into_iter().map(|o| (o, name.clone())));
                results.push(kept(&rule_names, g.policy, g.result));
            }
        }
        let mut on_targets = Vec::new();
        if existing_policies {
            for m in mutate_existing(&policies, &target, &target_resources, &request) {
                match m.target {
                    Some(target) => on_targets.push(TargetResult {
                        policy: m.policy,
                        rule: rule_name(&rule_names[m.policy], &m.result.rule),
                        target,
                        status: m.result.status,
                        message: m.result.message.into_boxed_str(),
                        patched: m.patched,
                    }),
                    // A result on the trigger: its preconditions, or targets
                    // that could not be read or found.
                    None => results.push(kept(&rule_names, m.policy, m.result)),
                }
            }
        }
        let mut deleted_by = Vec::new();
        if cleaning {
            for (index, r) in deletions(&policies, &target, &request) {
                let rule = rule_name(&rule_names[index], &r.rule);
                if r.status == Status::Pass {
                    deleted_by.push((index, rule.clone(), r.message.clone().into_boxed_str()));
                }
                results.push((index, rule, r.status, r.message.into_boxed_str()));
            }
        }
        Evaluated {
            deleted_by,
            on_targets,
            resource: Arc::new(ResourceRef {
                api_version: target.api_version,
                kind: target.kind,
                name: target.name,
                namespace: target.namespace,
                file,
                line,
            }),
            results,
            mutated,
            generated,
        }
    };
    let mut messages: HashSet<Arc<str>> = HashSet::new();
    let mut consume = |evaluated: Evaluated| {
        outcome.resources += 1;
        if let Some((object, rules)) = evaluated.mutated {
            outcome.mutated_resources += 1;
            on_mutated(MutatedResource {
                resource: evaluated.resource.clone(),
                object,
                rules,
                generated: false,
            });
        }
        for (object, rule) in evaluated.generated {
            outcome.generated_resources += 1;
            on_mutated(MutatedResource {
                resource: evaluated.resource.clone(),
                object,
                rules: vec![rule],
                generated: true,
            });
        }
        for (index, rule, message) in evaluated.deleted_by {
            outcome.deletions.push(ApplyResult {
                policy: infos[index].clone(),
                rule,
                status: Status::Pass,
                message: Arc::from(message),
                resource: evaluated.resource.clone(),
            });
        }
        let on_targets = evaluated.on_targets.into_iter().map(|r| {
            if let Some(object) = r.patched {
                outcome.mutated_resources += 1;
                on_mutated(MutatedResource {
                    resource: target_refs[r.target].clone(),
                    object,
                    rules: vec![format!("{}/{}", infos[r.policy].name, r.rule)],
                    generated: false,
                });
            }
            (
                r.policy,
                r.rule,
                r.status,
                r.message,
                target_refs[r.target].clone(),
            )
        });
        let on_trigger = evaluated
            .results
            .into_iter()
            .map(|(index, rule, status, message)| {
                (index, rule, status, message, evaluated.resource.clone())
            });
        // The trigger's results, then those on the targets it patched.
        let all: Vec<_> = on_trigger.chain(on_targets).collect();
        for (index, rule, status, message, resource) in all {
            outcome.counts.add(status);
            if options.keep_passing || !matches!(status, Status::Pass | Status::Skip) {
                let message = match messages.get(&*message) {
                    Some(shared) => shared.clone(),
                    None => {
                        let shared: Arc<str> = Arc::from(message);
                        messages.insert(shared.clone());
                        shared
                    }
                };
                outcome.results.push(ApplyResult {
                    policy: infos[index].clone(),
                    rule,
                    status,
                    message,
                    resource,
                });
            }
        }
    };
    let errors = gathered.load_each(&load_options, evaluate_one, &mut consume);
    outcome.input_errors.extend(errors);
    if outcome.resources == 0 && gathered.errors.is_empty() {
        outcome.input_errors.push(format!(
            "no Kubernetes object found in {}; nothing was applied",
            resource_paths.join(", ")
        ));
    }
    outcome
}

/// A result of the policy at `index` as an apply run keeps it until the
/// resource is done: the policy's index, the rule's shared name, the status,
/// the message.
type Kept = (usize, Arc<str>, Status, Box<str>);

/// `result` of the policy at `index`, kept (its rule named by [`rule_name`]).
fn kept(rule_names: &[Vec<Arc<str>>], index: usize, result: RuleResult) -> Kept {
    let rule = rule_name(&rule_names[index], &result.rule);
    (index, rule, result.status, result.message.into_boxed_str())
}

/// The name of the rule `rule` among a policy's `names`, shared with the
/// policy's other results of that rule; a name the policy does not hold gets
/// its own.
fn rule_name(names: &[Arc<str>], rule: &str) -> Arc<str> {
    names
        .iter()
        .find(|n| &***n == rule)
        .cloned()
        .unwrap_or_else(|| Arc::from(rule))
}

/// Runs every mutate rule, policy after policy, as `kyverno apply` does before it
/// validates; their results join `results`. Returns the object validation sees and,
/// when it changed, the mutated object with the rules that changed it.
#[allow(clippy::type_complexity)]
fn mutate_first(
    policies: &[&Policy],
    rule_names: &[Vec<Arc<str>>],
    target: Target,
    request: &Request,
    results: &mut Vec<Kept>,
) -> (Target, Option<(serde_json::Value, Vec<String>)>) {
    let mutating = policies.iter().any(|p| {
        p.rules
            .iter()
            .any(|r| matches!(r.action, RuleAction::Mutate(_)))
    });
    if !mutating {
        return (target, None);
    }
    let outcome = mutate(policies, &target, request);
    let mut changed_by = Vec::new();
    for (index, r) in outcome.results {
        if r.status == Status::Pass {
            changed_by.push(format!("{}/{}", policies[index].qualified_name(), r.rule));
        }
        results.push(kept(rule_names, index, r));
    }
    if !outcome.changed {
        return (target, None);
    }
    let mut mutated = Target::from_json(outcome.object.clone());
    // The loaded tree keeps file positions for messages; the mutated JSON is what counts.
    mutated.resource = None;
    (mutated, Some((outcome.object, changed_by)))
}

/// Whether a policy has `clone` or `cloneList` generate rules.
fn clones(policy: &Policy) -> bool {
    policy.rules.iter().any(|r| {
        matches!(&r.action, RuleAction::Generate(g)
            if matches!(g.source, crate::policy::GenerateSource::Clone { .. }
                | crate::policy::GenerateSource::CloneList { .. }))
    })
}

/// Whether a policy reads ConfigMaps through `configMap` context entries.
fn uses_config_maps(policy: &Policy) -> bool {
    fn in_entries(entries: &[ContextEntry]) -> bool {
        entries
            .iter()
            .any(|e| matches!(e.source, ContextSource::ConfigMap { .. }))
    }
    fn in_check(check: &Check) -> bool {
        match check {
            Check::Foreach(list) => list
                .iter()
                .any(|f| in_entries(&f.context) || in_check(&f.check)),
            // CEL `params` are chosen among the ConfigMaps given.
            Check::Cel(cel) => cel.params.is_some(),
            _ => false,
        }
    }
    fn in_mutation(mutation: &Mutation) -> bool {
        match mutation {
            Mutation::Foreach(list) => list
                .iter()
                .any(|f| in_entries(&f.context) || in_mutation(&f.mutation)),
            Mutation::Cel(cel) => cel.params.is_some(),
            _ => false,
        }
    }
    policy.rules.iter().any(|rule| {
        in_entries(&rule.context)
            || match &rule.action {
                RuleAction::Validate(v) => in_check(&v.check),
                RuleAction::Mutate(m) => in_mutation(m),
                RuleAction::Generate(_) | RuleAction::Delete(_) | RuleAction::Unsupported(_) => {
                    false
                }
            }
    })
}
