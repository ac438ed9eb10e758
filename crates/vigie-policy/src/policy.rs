//! The policy model: `kyverno.io/v1` (and `v2beta1`) ClusterPolicy and Policy,
//! parsed and checked once, so that evaluation never re-reads the YAML.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::conditions::{Condition, Conditions, Operator};
use crate::matching::{
    KindSelector, LabelSelector, MatchResources, ResourceDescription, ResourceFilter, Subject,
    UserFilter,
};
use crate::{anchors, variables};

mod admission;
pub use crate::policy_generate::{GenerateForeach, GenerateSource, Generation};
pub use admission::{AdmissionSettings, FailureActionOverride, FailurePolicy};

/// What a failed validation does (`validationFailureAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureAction {
    /// Report the failure and let the request through.
    Audit,
    /// Refuse the request.
    Enforce,
}

/// A loaded Kyverno policy (ClusterPolicy, Policy, or a CEL policy kind turned
/// into one), its expressions compiled.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `metadata.name`.
    pub name: String,
    /// Set for a namespaced `Policy`: it applies to that namespace only.
    pub namespace: Option<String>,
    /// The document's kind: `ClusterPolicy`, `Policy`, `ValidatingAdmissionPolicy`...
    pub kind: String,
    /// `metadata.annotations` (severity, category, scored...).
    pub annotations: BTreeMap<String, String>,
    /// The policy-wide failure action; a rule may override it.
    pub failure_action: FailureAction,
    /// `spec.background`: whether the policy also applies to existing objects.
    pub background: bool,
    /// The rules, autogen's controller copies included.
    pub rules: Vec<Rule>,
    /// The file the policy was read from.
    pub source: String,
    /// What the policy says about admission requests (used by the webhook).
    pub admission: AdmissionSettings,
    /// For a CEL policy on one resource: the `allowedValues` and
    /// `allowedImages` its matching `policies.kyverno.io` PolicyExceptions
    /// grant, bound as `exceptions` for its expressions (set on the copy
    /// [`crate::exception::exempt`] makes; `None` as loaded).
    pub exception_values: Option<std::sync::Arc<Json>>,
}

impl Policy {
    /// The value of one annotation.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// `policies.kyverno.io/severity`, for reports.
    pub fn severity(&self) -> Option<&str> {
        self.annotation("policies.kyverno.io/severity")
    }

    /// `policies.kyverno.io/category`, for reports.
    pub fn category(&self) -> Option<&str> {
        self.annotation("policies.kyverno.io/category")
    }

    /// The failure action of `rule` before namespace overrides: the rule's own
    /// `validate.failureAction` (Kyverno 1.13 and later), else the policy's. A
    /// rule that is not a validate rule, or not found, takes the policy's.
    pub fn rule_failure_action(&self, rule: &str) -> FailureAction {
        self.rules
            .iter()
            .find(|r| r.name == rule)
            .and_then(|r| match &r.action {
                RuleAction::Validate(v) => v.failure_action,
                _ => None,
            })
            .unwrap_or(self.failure_action)
    }

    /// `namespace/name` for a Policy, `name` for a ClusterPolicy.
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One rule of a policy.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's name (`autogen-...` for autogen's copies).
    pub name: String,
    /// `match`: the resources and requests the rule applies to.
    pub match_resources: MatchResources,
    /// `exclude`: those it does not apply to, even when matched.
    pub exclude: Option<MatchResources>,
    /// `context`: variables computed before the rule runs.
    pub context: Vec<ContextEntry>,
    /// `preconditions`: the rule is skipped unless they hold.
    pub preconditions: Option<Conditions>,
    /// What the rule does.
    pub action: RuleAction,
}

/// What a rule does: validate, mutate or generate.
#[derive(Clone, Debug)]
pub enum RuleAction {
    /// A validate rule: a check with its message and failure action.
    Validate(Validation),
    /// A mutate rule: patches applied to the object.
    Mutate(Mutation),
    /// A generate rule: a resource created from data or cloned from a source.
    Generate(Generation),
    /// A cleanup rule (CleanupPolicy, DeletingPolicy): the resources it
    /// selects would be deleted.
    Delete(crate::cel::deletion::Deletion),
    /// A rule kind vigie does not run yet (verifyImages, cel...).
    Unsupported(&'static str),
}

/// What a mutate rule does to the object.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// `patchStrategicMerge`: an overlay with anchors, merged into the object.
    StrategicMerge(Json),
    /// `patchesJson6902`: RFC 6902 operations, as YAML or JSON text.
    Json6902(String),
    /// `foreach`: a patch per element of a list, in order.
    Foreach(Vec<MutateForeach>),
    /// The CEL mutations of a MutatingPolicy or MutatingAdmissionPolicy.
    Cel(std::sync::Arc<crate::cel::mutation::CelMutation>),
    /// A `verifyImages` rule: images checked against the offline facts,
    /// digests added and the `kyverno.io/verify-images` annotation set
    /// ([`crate::verify_images`]).
    VerifyImages(std::sync::Arc<crate::verify_images::VerifyImages>),
    /// `mutate.targets`: the patch applies to existing resources the rule
    /// selects, not to the object that triggered it (see
    /// [`mutate_existing`](crate::mutate_existing)).
    Existing(Box<MutateExisting>),
}

/// A mutate rule on existing resources: `targets`, and the patch applied to
/// each one selected.
#[derive(Clone, Debug)]
pub struct MutateExisting {
    /// The `targets` entries, in order (a ClusterPolicy or Policy rule).
    pub targets: Vec<MutationTarget>,
    /// For a MutatingPolicy with `evaluation.mutateExisting`: the resources
    /// its `targetMatchConstraints` (else `matchConstraints`) select, whatever
    /// the operation; `targets` is then empty.
    pub target_match: Option<MatchResources>,
    /// For a MutatingPolicy whose `targetMatchConstraints.expression` chooses
    /// the targets: that expression, evaluated on the trigger; it gives a
    /// list of objects (`resource.List(...)` or its `items`).
    pub target_expression: Option<std::sync::Arc<vigie_cel::Program>>,
    /// The patch (`patchStrategicMerge`, `patchesJson6902` or `foreach`).
    pub patch: Mutation,
}

/// One `mutate.targets` entry: which resources, and what each must satisfy.
#[derive(Clone, Debug)]
pub struct MutationTarget {
    /// `apiVersion`, `kind`, `name`, `namespace`, `uid` and `selector` as written:
    /// they may hold variables of the trigger, substituted before selecting.
    pub spec: Json,
    /// `context`: variables loaded for each target, after `target` is bound.
    pub context: Vec<ContextEntry>,
    /// `preconditions`: a target they do not hold for is skipped.
    pub preconditions: Option<Conditions>,
}

/// The order `foreach` visits a list in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeachOrder {
    /// First element first.
    Ascending,
    /// Last element first (the default for `patchStrategicMerge`, as in Kyverno,
    /// so that removing elements by index does not shift the ones still to come).
    Descending,
}

/// One entry of a mutate `foreach`.
#[derive(Clone, Debug)]
pub struct MutateForeach {
    /// JMESPath giving the list to iterate over.
    pub list: String,
    /// The order asked for; `None` takes Kyverno's default for the patch form.
    pub order: Option<ForeachOrder>,
    pub context: Vec<ContextEntry>,
    pub preconditions: Option<Conditions>,
    /// The patch applied for each element (or a nested `foreach`).
    pub mutation: Mutation,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub message: Option<String>,
    pub failure_action: Option<FailureAction>,
    pub check: Check,
}

/// How a validate rule decides.
#[derive(Clone, Debug)]
pub enum Check {
    /// `pattern`: the object must match this overlay.
    Pattern(Pattern),
    /// `anyPattern`: the object must match one of these.
    AnyPattern(Vec<Pattern>),
    /// `deny`: the request is refused when the conditions hold.
    Deny(Conditions),
    /// `foreach`: a check run on each element of lists in the object.
    Foreach(Vec<Foreach>),
    /// `podSecurity`: a Pod Security Standards level, with exclusions.
    PodSecurity(PodSecurity),
    /// `validate.cel` (and the CEL policy kinds): compiled CEL expressions.
    Cel(std::sync::Arc<crate::cel::CelValidation>),
    /// An ImageValidatingPolicy: images, attestors and CEL validations.
    Image(std::sync::Arc<crate::cel::ivpol::ImageValidation>),
}

/// A `pattern` (or one of an `anyPattern`), with what checking it needs that
/// does not depend on the resource worked out once, at load.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as written.
    pub tree: Json,
    /// A pattern without `{{ }}` variables is the same for every resource: its
    /// `$(...)` references are resolved and its depth checked here rather than
    /// on every check, and its keys analysed (`None` when it has variables:
    /// done after substitution).
    pub(crate) prepared: Option<Result<crate::pattern::Compiled, String>>,
}

impl Pattern {
    /// The pattern `tree`, prepared for checking.
    pub fn new(tree: Json) -> Self {
        let prepared = (!crate::variables::tree_has_variables(&tree)).then(|| {
            crate::engine::validate::prepare_pattern(&tree)
                .map(|resolved| crate::pattern::Compiled::new(resolved.as_ref().unwrap_or(&tree)))
        });
        Pattern { tree, prepared }
    }
}

#[derive(Clone, Debug)]
pub struct Foreach {
    /// JMESPath giving the list to iterate over.
    pub list: String,
    pub element_scope: Option<bool>,
    pub context: Vec<ContextEntry>,
    pub preconditions: Option<Conditions>,
    pub check: Check,
}

#[derive(Clone, Debug)]
pub struct PodSecurity {
    pub level: String,
    pub version: String,
    pub exclude: Vec<PodSecurityExclusion>,
}

#[derive(Clone, Debug)]
pub struct PodSecurityExclusion {
    pub control_name: String,
    pub images: Vec<String>,
    pub restricted_field: Option<String>,
    pub values: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct ContextEntry {
    pub name: String,
    pub source: ContextSource,
}

/// Where a context variable's value comes from.
#[derive(Clone, Debug)]
pub enum ContextSource {
    /// `variable`: a literal value or a JMESPath over the request.
    Variable {
        /// `value`: the literal (variables in it substituted).
        value: Option<Json>,
        /// `jmesPath`: applied to `value`, or to the request when no value is given.
        jmes_path: Option<String>,
        /// `default`: used when the result is null.
        default: Option<Json>,
    },
    /// `configMap`: the data of a ConfigMap (given offline or read from the cluster).
    ConfigMap {
        /// The ConfigMap's name.
        name: String,
        /// Its namespace.
        namespace: String,
    },
    /// `apiCall`, `globalReference` or `imageRegistry`: answered offline from
    /// values, or from the objects given (a suite's Context file).
    External {
        /// Which of the three.
        kind: &'static str,
        /// `jmesPath`: applied to the answer.
        jmes_path: Option<String>,
        /// `default`: used when there is no answer.
        default: Option<Json>,
        /// `urlPath` (apiCall, GET only), `name` (globalReference) or
        /// `reference` (imageRegistry), variables not yet substituted.
        target: Option<String>,
    },
}

/// A policy that could not be loaded, with everything needed to find the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The file the policy came from.
    pub file: String,
    /// The line of the offending field, when known.
    pub line: Option<u32>,
    /// The policy's name; empty for a problem with the file itself.
    pub policy: String,
    /// The rule's name, for a problem inside a rule.
    pub rule: Option<String>,
    /// Dotted path of the offending field in the policy.
    pub path: String,
    /// What is wrong, in words.
    pub reason: String,
}

/// A policy that did not load is an error callers can hand on (`?`, `Box<dyn Error>`).
impl std::error::Error for PolicyError {}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        // Only what is known is shown: a file-level problem has no policy or path.
        f.write_str(": ")?;
        if !self.policy.is_empty() {
            write!(f, "policy {}", self.policy)?;
            if let Some(rule) = &self.rule {
                write!(f, ", rule {rule}")?;
            }
            f.write_str(if self.path.is_empty() { ": " } else { ", " })?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.reason)
    }
}

/// A problem found while parsing: path relative to the policy document and reason.
pub(crate) type Problem = (String, String);

pub(crate) type Parse<T> = Result<T, Problem>;

/// A problem in one rule: the rule's name (when it has one) and the problem.
pub(crate) type RuleProblem = (Option<String>, Problem);

pub(crate) fn problem<T>(path: &str, reason: impl Into<String>) -> Parse<T> {
    Err((path.to_string(), reason.into()))
}

/// The string a policy must give at `path` (`v`), or the problem `reason`
/// there.
pub(crate) fn required_str<'a>(v: Option<&'a Json>, path: &str, reason: &str) -> Parse<&'a str> {
    v.and_then(Json::as_str)
        .ok_or_else(|| (path.to_string(), reason.to_string()))
}

pub(crate) fn strings(v: Option<&Json>, path: &str) -> Parse<Vec<String>> {
    match v {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Json::String(s) => Ok(s.clone()),
                _ => problem(&format!("{path}[{i}]"), "expected a string"),
            })
            .collect(),
        Some(_) => problem(path, "expected a list of strings"),
    }
}

fn string_map(v: Option<&Json>, path: &str) -> Parse<Option<BTreeMap<String, String>>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Json::String(s) => Ok((k.clone(), s.clone())),
                Json::Number(n) => Ok((k.clone(), n.to_string())),
                Json::Bool(b) => Ok((k.clone(), b.to_string())),
                _ => problem(&format!("{path}.{k}"), "expected a string"),
            })
            .collect::<Parse<BTreeMap<_, _>>>()
            .map(Some),
        Some(_) => problem(path, "expected a map of strings"),
    }
}

fn parse_failure_action(v: &Json, path: &str) -> Parse<FailureAction> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("audit") => Ok(FailureAction::Audit),
        Some("enforce") => Ok(FailureAction::Enforce),
        _ => problem(
            path,
            format!("unknown failure action {v}; expected Audit or Enforce"),
        ),
    }
}

/// Parses one policy document (already known to be a ClusterPolicy or Policy).
/// The rules are autogen-expanded. Rule-level problems are returned per rule so
/// the caller can report each; a policy-level problem rejects the policy.
pub(crate) fn parse_policy(
    doc: &Json,
    source: &str,
) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    let kind = doc
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let metadata = doc.get("metadata").cloned().unwrap_or(Json::Null);
    let name = metadata
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        return problem("metadata.name", "a policy needs a name");
    }
    let namespace = if kind == "Policy" {
        Some(
            metadata
                .get("namespace")
                .and_then(Json::as_str)
                .unwrap_or("default")
                .to_string(),
        )
    } else {
        None
    };
    let annotations =
        string_map(metadata.get("annotations"), "metadata.annotations")?.unwrap_or_default();
    let spec = doc
        .get("spec")
        .and_then(Json::as_object)
        .ok_or(("spec".to_string(), "a policy needs a spec".to_string()))?;
    let failure_action = match spec.get("validationFailureAction") {
        Some(v) => parse_failure_action(v, "spec.validationFailureAction")?,
        None => FailureAction::Audit,
    };
    let background = spec
        .get("background")
        .and_then(Json::as_bool)
        .unwrap_or(true);
    let raw_rules = match spec.get("rules") {
        Some(Json::Array(r)) => r.clone(),
        _ => return problem("spec.rules", "a policy needs a list of rules"),
    };
    let admission = admission::parse_admission(spec)?;
    let expanded = crate::autogen::expand(&annotations, &raw_rules);
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in expanded.iter() {
        let rule_name = raw.get("name").and_then(Json::as_str).map(str::to_string);
        match parse_rule(raw, &format!("spec.rules[{index}]")) {
            Ok(rule) => rules.push(rule),
            Err(p) => problems.push((rule_name, p)),
        }
    }
    let policy = Policy {
        name,
        namespace,
        kind,
        annotations,
        failure_action,
        background,
        rules,
        source: source.to_string(),
        admission,
        exception_values: None,
    };
    Ok((policy, problems))
}

fn parse_rule(raw: &Json, path: &str) -> Parse<Rule> {
    let name = raw
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        return problem(&format!("{path}.name"), "a rule needs a name");
    }
    let match_resources = match raw.get("match") {
        Some(m) => parse_match(m, &format!("{path}.match"))?,
        None => return problem(&format!("{path}.match"), "a rule needs a match block"),
    };
    let exclude = match raw.get("exclude") {
        Some(Json::Null) | None => None,
        Some(e) => Some(parse_match(e, &format!("{path}.exclude"))?),
    };
    let context = parse_context(raw.get("context"), &format!("{path}.context"))?;
    let preconditions =
        parse_conditions_opt(raw.get("preconditions"), &format!("{path}.preconditions"))?;
    let action = if let Some(cel) = raw.get("validate").and_then(|v| v.get("cel")) {
        crate::cel::rule::action(raw, cel, &format!("{path}.validate"))?
    } else if let Some(v) = raw.get("validate") {
        parse_validation(v, &format!("{path}.validate"))?
    } else if let Some(cel) = raw.get("mutate").and_then(|m| m.get("cel")) {
        let action = crate::cel::mutation::action(cel, &format!("{path}.mutate.cel"))?;
        crate::policy_mutate::cel_existing(raw, action, path)?
    } else if let Some(m) = raw.get("mutate") {
        crate::policy_mutate::parse_mutate(m, &format!("{path}.mutate"))?
    } else if let Some(g) = raw.get("generate") {
        crate::policy_generate::parse_generate(g, &format!("{path}.generate"))?
    } else if let Some(d) = raw.get("delete") {
        crate::cel::deletion::action(d, &format!("{path}.delete"))?
    } else if let Some(v) = raw.get("verifyImages") {
        crate::verify_images::action(
            v,
            raw.get("imageExtractors"),
            &format!("{path}.verifyImages"),
        )?
    } else {
        return problem(
            path,
            "a rule needs one of validate, mutate, generate or verifyImages",
        );
    };
    Ok(Rule {
        name,
        match_resources,
        exclude,
        context,
        preconditions,
        action,
    })
}

pub(crate) fn parse_match(v: &Json, path: &str) -> Parse<MatchResources> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let filters = |key: &str| -> Parse<Vec<ResourceFilter>> {
        match m.get(key) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, f)| parse_filter(f, &format!("{path}.{key}[{i}]")))
                .collect(),
            Some(_) => problem(&format!("{path}.{key}"), "expected a list"),
        }
    };
    let any = filters("any")?;
    let all = filters("all")?;
    let legacy = if m.contains_key("resources")
        || m.contains_key("subjects")
        || m.contains_key("roles")
        || m.contains_key("clusterRoles")
    {
        Some(parse_filter(v, path)?)
    } else {
        None
    };
    Ok(MatchResources { any, all, legacy })
}

fn parse_filter(v: &Json, path: &str) -> Parse<ResourceFilter> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let resources = match m.get("resources") {
        None | Some(Json::Null) => ResourceDescription::default(),
        Some(r) => parse_description(r, &format!("{path}.resources"))?,
    };
    let subjects = match m.get("subjects") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .map(|s| Subject {
                kind: s
                    .get("kind")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                name: s
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                namespace: s
                    .get("namespace")
                    .and_then(Json::as_str)
                    .map(str::to_string),
            })
            .collect(),
        Some(_) => return problem(&format!("{path}.subjects"), "expected a list"),
    };
    let user = UserFilter {
        roles: strings(m.get("roles"), &format!("{path}.roles"))?,
        cluster_roles: strings(m.get("clusterRoles"), &format!("{path}.clusterRoles"))?,
        subjects,
    };
    Ok(ResourceFilter { resources, user })
}

fn parse_description(v: &Json, path: &str) -> Parse<ResourceDescription> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let kinds = strings(m.get("kinds"), &format!("{path}.kinds"))?
        .iter()
        .map(|k| KindSelector::parse(k))
        .collect();
    let mut names = strings(m.get("names"), &format!("{path}.names"))?;
    if let Some(n) = m.get("name").and_then(Json::as_str) {
        names.push(n.to_string());
    }
    let operations = strings(m.get("operations"), &format!("{path}.operations"))?;
    for (i, op) in operations.iter().enumerate() {
        if !matches!(op.as_str(), "CREATE" | "UPDATE" | "DELETE" | "CONNECT") {
            return problem(
                &format!("{path}.operations[{i}]"),
                format!("unknown operation {op}"),
            );
        }
    }
    Ok(ResourceDescription {
        kinds,
        names,
        namespaces: strings(m.get("namespaces"), &format!("{path}.namespaces"))?,
        annotations: string_map(m.get("annotations"), &format!("{path}.annotations"))?,
        selector: parse_selector(m.get("selector"), &format!("{path}.selector"))?,
        namespace_selector: parse_selector(
            m.get("namespaceSelector"),
            &format!("{path}.namespaceSelector"),
        )?,
        operations,
    })
}

pub(crate) fn parse_selector(v: Option<&Json>, path: &str) -> Parse<Option<LabelSelector>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let match_labels =
        string_map(v.get("matchLabels"), &format!("{path}.matchLabels"))?.unwrap_or_default();
    let mut expressions = Vec::new();
    if let Some(Json::Array(items)) = v.get("matchExpressions") {
        for (i, e) in items.iter().enumerate() {
            let p = format!("{path}.matchExpressions[{i}]");
            let key = required_str(e.get("key"), &format!("{p}.key"), "missing key")?;
            let operator = e.get("operator").and_then(Json::as_str).unwrap_or_default();
            if !matches!(operator, "In" | "NotIn" | "Exists" | "DoesNotExist") {
                return problem(
                    &format!("{p}.operator"),
                    format!("unknown selector operator {operator:?}"),
                );
            }
            let values = strings(e.get("values"), &format!("{p}.values"))?;
            expressions.push((key.to_string(), operator.to_string(), values));
        }
    }
    Ok(Some(LabelSelector {
        match_labels,
        expressions,
    }))
}

pub(crate) fn parse_context(v: Option<&Json>, path: &str) -> Parse<Vec<ContextEntry>> {
    let items = match v {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(items)) => items,
        Some(_) => return problem(path, "expected a list"),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = required_str(
            item.get("name"),
            &format!("{p}.name"),
            "a context entry needs a name",
        )?;
        let jmes = |v: &Json| -> Parse<Option<String>> {
            match v.get("jmesPath").and_then(Json::as_str) {
                Some(j) => {
                    check_expression(j, &format!("{p}.jmesPath"))?;
                    Ok(Some(j.to_string()))
                }
                None => Ok(None),
            }
        };
        let source = if let Some(var) = item.get("variable") {
            check_variables(var, &format!("{p}.variable"))?;
            ContextSource::Variable {
                value: var.get("value").cloned(),
                jmes_path: jmes(var)?,
                default: var.get("default").cloned(),
            }
        } else if let Some(cm) = item.get("configMap") {
            ContextSource::ConfigMap {
                name: cm
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                namespace: cm
                    .get("namespace")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            }
        } else if let Some(call) = item.get("apiCall") {
            let get = call
                .get("method")
                .and_then(Json::as_str)
                .is_none_or(|m| m.eq_ignore_ascii_case("GET"));
            ContextSource::External {
                kind: "apiCall",
                jmes_path: jmes(call)?,
                default: call.get("default").cloned(),
                target: call
                    .get("urlPath")
                    .and_then(Json::as_str)
                    .filter(|_| get && call.get("service").is_none())
                    .map(str::to_string),
            }
        } else if let Some(g) = item.get("globalReference") {
            ContextSource::External {
                kind: "globalReference",
                jmes_path: jmes(g)?,
                default: None,
                target: g.get("name").and_then(Json::as_str).map(str::to_string),
            }
        } else if let Some(r) = item.get("imageRegistry") {
            ContextSource::External {
                kind: "imageRegistry",
                jmes_path: jmes(r)?,
                default: None,
                target: None,
            }
        } else {
            return problem(&p, "unknown context entry type; expected variable, configMap, apiCall, globalReference or imageRegistry");
        };
        out.push(ContextEntry {
            name: name.to_string(),
            source,
        });
    }
    Ok(out)
}

pub(crate) fn check_expression(expr: &str, path: &str) -> Parse<()> {
    // A JMESPath field may itself hold variables, resolved before compiling.
    if expr.contains("{{") {
        return check_variables(&Json::String(expr.to_string()), path);
    }
    variables::compile_cached(expr)
        .map(|_| ())
        .map_err(|e| (path.to_string(), e))
}

/// Every `{{ }}` in a tree must compile: a bad JMESPath is a policy error.
pub(crate) fn check_variables(v: &Json, path: &str) -> Parse<()> {
    match v {
        Json::String(s) => {
            for e in variables::expressions(s) {
                if e == "@" {
                    continue;
                }
                variables::compile_cached(&e).map_err(|reason| (path.to_string(), reason))?;
            }
            Ok(())
        }
        Json::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_variables(x, &format!("{path}[{i}]"))),
        Json::Object(m) => m.iter().try_for_each(|(k, x)| {
            check_variables(&Json::String(k.clone()), path)?;
            check_variables(x, &format!("{path}.{k}"))
        }),
        _ => Ok(()),
    }
}

pub(crate) fn parse_conditions_opt(v: Option<&Json>, path: &str) -> Parse<Option<Conditions>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(v) => parse_conditions(v, path).map(Some),
    }
}

fn parse_conditions(v: &Json, path: &str) -> Parse<Conditions> {
    let list = |items: &Json, p: &str| -> Parse<Vec<Condition>> {
        match items {
            Json::Null => Ok(Vec::new()),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, c)| parse_condition(c, &format!("{p}[{i}]")))
                .collect(),
            _ => problem(p, "expected a list of conditions"),
        }
    };
    match v {
        // The legacy form: a plain list, all of which must hold.
        Json::Array(_) => Ok(Conditions {
            any: Vec::new(),
            all: list(v, path)?,
        }),
        Json::Object(m) => {
            for k in m.keys() {
                if k != "any" && k != "all" {
                    return problem(&format!("{path}.{k}"), "expected any or all");
                }
            }
            Ok(Conditions {
                any: list(m.get("any").unwrap_or(&Json::Null), &format!("{path}.any"))?,
                all: list(m.get("all").unwrap_or(&Json::Null), &format!("{path}.all"))?,
            })
        }
        _ => problem(path, "expected any/all conditions"),
    }
}

fn parse_condition(v: &Json, path: &str) -> Parse<Condition> {
    let op_name = v.get("operator").and_then(Json::as_str).unwrap_or_default();
    let operator = Operator::parse(op_name).ok_or((
        format!("{path}.operator"),
        format!("unknown operator {op_name:?}"),
    ))?;
    let key = v.get("key").cloned().unwrap_or(Json::Null);
    let value = v.get("value").cloned().unwrap_or(Json::Null);
    check_variables(&key, &format!("{path}.key"))?;
    check_variables(&value, &format!("{path}.value"))?;
    Ok(Condition {
        key,
        operator,
        value,
        message: v.get("message").and_then(Json::as_str).map(str::to_string),
    })
}

pub(crate) fn check_pattern(p: &Json, path: &str) -> Parse<()> {
    match p {
        Json::Object(m) => {
            for (k, v) in m {
                if anchors::is_malformed(k) {
                    return problem(&format!("{path}.{k}"), format!("malformed anchor {k:?}"));
                }
                if let Some((anchors::Anchor::Existence, _)) = anchors::parse(k) {
                    if !v.is_array() {
                        return problem(
                            &format!("{path}.{k}"),
                            "an existence anchor ^() needs a list",
                        );
                    }
                }
                check_pattern(v, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        Json::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_pattern(x, &format!("{path}[{i}]"))),
        _ => check_variables(p, path),
    }
}

fn parse_check(m: &Map<String, Json>, path: &str) -> Parse<Option<Check>> {
    if let Some(p) = m.get("pattern") {
        check_pattern(p, &format!("{path}.pattern"))?;
        return Ok(Some(Check::Pattern(Pattern::new(p.clone()))));
    }
    if let Some(ap) = m.get("anyPattern") {
        let Json::Array(items) = ap else {
            return problem(&format!("{path}.anyPattern"), "expected a list of patterns");
        };
        for (i, p) in items.iter().enumerate() {
            check_pattern(p, &format!("{path}.anyPattern[{i}]"))?;
        }
        return Ok(Some(Check::AnyPattern(
            items.iter().cloned().map(Pattern::new).collect(),
        )));
    }
    if let Some(d) = m.get("deny") {
        let conditions =
            parse_conditions_opt(d.get("conditions"), &format!("{path}.deny.conditions"))?;
        return Ok(Some(Check::Deny(conditions.unwrap_or_default())));
    }
    if let Some(f) = m.get("foreach") {
        let Json::Array(items) = f else {
            return problem(&format!("{path}.foreach"), "expected a list");
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            out.push(parse_foreach(item, &format!("{path}.foreach[{i}]"))?);
        }
        return Ok(Some(Check::Foreach(out)));
    }
    if let Some(ps) = m.get("podSecurity") {
        return parse_pod_security(ps, &format!("{path}.podSecurity"))
            .map(|p| Some(Check::PodSecurity(p)));
    }
    Ok(None)
}

/// Each item of the list `v` (at `path`) read by `item`, which gets the
/// item's own path (`path[i]`).
pub(crate) fn parse_each<T>(
    v: &Json,
    path: &str,
    item: impl Fn(&Json, &str) -> Parse<T>,
) -> Parse<Vec<T>> {
    let Json::Array(items) = v else {
        return problem(path, "expected a list");
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v, &format!("{path}[{i}]")))
        .collect()
}

/// The `list` expression of a `foreach` entry (validate, mutate or generate)
/// at `path`, braces stripped and checked.
pub(crate) fn foreach_list(m: &serde_json::Map<String, Json>, path: &str) -> Parse<String> {
    let list = required_str(
        m.get("list"),
        &format!("{path}.list"),
        "foreach needs a list expression",
    )?;
    let list = strip_braces(list).to_string();
    check_expression(&list, &format!("{path}.list"))?;
    Ok(list)
}

fn parse_foreach(v: &Json, path: &str) -> Parse<Foreach> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let list = foreach_list(m, path)?;
    let check = parse_check(m, path)?.ok_or((
        path.to_string(),
        "foreach needs a pattern, anyPattern, deny or nested foreach".to_string(),
    ))?;
    Ok(Foreach {
        list,
        element_scope: m.get("elementScope").and_then(Json::as_bool),
        context: parse_context(m.get("context"), &format!("{path}.context"))?,
        preconditions: parse_conditions_opt(
            m.get("preconditions"),
            &format!("{path}.preconditions"),
        )?,
        check,
    })
}

/// `list: "{{ request.object.x }}"` and `list: request.object.x` mean the same.
pub(crate) fn strip_braces(s: &str) -> &str {
    let t = s.trim();
    match t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) if !inner.contains("{{") => inner.trim(),
        _ => t,
    }
}

/// A list of podSecurity exclusions (`controlName`, `images`, `restrictedField`,
/// `values`), as policies and PolicyExceptions write them.
pub(crate) fn parse_pod_security_exclusions(
    v: Option<&Json>,
    path: &str,
) -> Parse<Vec<PodSecurityExclusion>> {
    let mut exclude = Vec::new();
    if let Some(Json::Array(items)) = v {
        for (i, e) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let control_name = required_str(
                e.get("controlName"),
                &format!("{p}.controlName"),
                "missing controlName",
            )?;
            exclude.push(PodSecurityExclusion {
                control_name: control_name.to_string(),
                images: strings(e.get("images"), &format!("{p}.images"))?,
                restricted_field: e
                    .get("restrictedField")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                values: strings(e.get("values"), &format!("{p}.values"))?,
            });
        }
    }
    Ok(exclude)
}

fn parse_pod_security(v: &Json, path: &str) -> Parse<PodSecurity> {
    let level = v
        .get("level")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    if !matches!(level.as_str(), "baseline" | "restricted" | "privileged") {
        return problem(
            &format!("{path}.level"),
            format!("unknown level {level:?}; expected baseline, restricted or privileged"),
        );
    }
    let version = v
        .get("version")
        .and_then(Json::as_str)
        .unwrap_or("latest")
        .to_string();
    let exclude = parse_pod_security_exclusions(v.get("exclude"), &format!("{path}.exclude"))?;
    Ok(PodSecurity {
        level,
        version,
        exclude,
    })
}

fn parse_validation(v: &Json, path: &str) -> Parse<RuleAction> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let failure_action = match m.get("failureAction") {
        Some(a) => Some(parse_failure_action(a, &format!("{path}.failureAction"))?),
        None => None,
    };
    let message = m.get("message").and_then(Json::as_str).map(str::to_string);
    if let Some(msg) = &message {
        check_variables(&Json::String(msg.clone()), &format!("{path}.message"))?;
    }
    if m.contains_key("cel") {
        return Ok(RuleAction::Unsupported("validate.cel"));
    }
    if m.contains_key("manifests") {
        return Ok(RuleAction::Unsupported("validate.manifests"));
    }
    match parse_check(m, path)? {
        Some(check) => Ok(RuleAction::Validate(Validation {
            message,
            failure_action,
            check,
        })),
        None => problem(
            path,
            "validate needs one of pattern, anyPattern, deny, foreach or podSecurity",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(rules: Json) -> Json {
        json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "p"}, "spec": {"rules": rules}})
    }

    #[test]
    fn parses_a_validate_rule() {
        let doc = policy(
            json!([{"name": "r", "match": {"any": [{"resources": {"kinds": ["ConfigMap"]}}]}, "validate": {"pattern": {"data": {"a": "?*"}}}}]),
        );
        let (p, problems) = parse_policy(&doc, "f.yaml").unwrap();
        assert!(problems.is_empty());
        assert_eq!(p.rules.len(), 1);
        assert!(matches!(
            p.rules[0].action,
            RuleAction::Validate(Validation {
                check: Check::Pattern(_),
                ..
            })
        ));
    }

    #[test]
    fn reports_unknown_operator_with_path() {
        let doc = policy(
            json!([{"name": "r", "match": {"resources": {"kinds": ["Service"]}}, "validate": {"deny": {"conditions": {"any": [{"key": "a", "operator": "Bigger", "value": 1}]}}}}]),
        );
        let (_, problems) = parse_policy(&doc, "f.yaml").unwrap();
        assert_eq!(problems.len(), 1);
        let (rule, (path, reason)) = &problems[0];
        assert_eq!(rule.as_deref(), Some("r"));
        assert!(path.ends_with("deny.conditions.any[0].operator"), "{path}");
        assert!(reason.contains("Bigger"));
    }

    #[test]
    fn reports_malformed_anchor_and_bad_jmespath() {
        let doc = policy(json!([
            {"name": "a", "match": {"resources": {"kinds": ["ConfigMap"]}}, "validate": {"pattern": {"(data": 1}}},
            {"name": "b", "match": {"resources": {"kinds": ["ConfigMap"]}}, "validate": {"deny": {"conditions": [{"key": "{{ a.[ }}", "operator": "Equals", "value": 1}]}}},
            {"name": "c", "match": {"resources": {"kinds": ["ConfigMap"]}}, "validate": {"pattern": {"data": 1}}}
        ]));
        let (p, problems) = parse_policy(&doc, "f.yaml").unwrap();
        assert_eq!(problems.len(), 2);
        assert_eq!(p.rules.len(), 1, "the good rule still loads");
    }

    #[test]
    fn missing_match_is_an_error() {
        let doc = policy(json!([{"name": "r", "validate": {"pattern": {}}}]));
        let (_, problems) = parse_policy(&doc, "f.yaml").unwrap();
        assert!(problems[0].1 .0.ends_with(".match"));
    }
}
