//! Evaluating policies against resources, shaped like Kyverno's engine: a policy
//! context built once per resource ([`policy_context`]), one handler per rule
//! type ([`validate`] with `podSecurity`, [`mutate`](mod@mutate)), and the
//! dispatch here, which picks the rules that match and hands each to its handler.

pub mod delete;
pub mod generate;
pub mod mutate;
pub mod mutate_existing;
pub mod policy_context;
pub mod request;
pub mod validate;

pub use delete::deletions;
pub use generate::{generate, GenerateOutcome};
pub use mutate::{json_patch, mutate, pin_image_digests, MutationOutcome};
pub use mutate_existing::{mutate_existing, mutates_existing, ExistingMutation};
pub use policy_context::PolicyContext;
pub use request::{labels_of, Operation, Request, Target, UnknownOperation, Values};

use crate::policy::{Policy, Rule, RuleAction};

/// The outcome of one rule on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// The rule holds (validate) or patched the object (mutate).
    Pass,
    /// The rule does not hold.
    Fail,
    /// A failure reported as a warning (`scored: "false"`, `--audit-warn`).
    Warn,
    /// The rule could not be evaluated (the message says why).
    Error,
    /// The rule does not apply (preconditions, conditions) or changed nothing.
    Skip,
}

impl Status {
    /// The name policy reports use: `pass`, `fail`, `warn`, `error`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }
}

/// One rule's result on one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    /// The rule's name (`autogen-...` for the copies autogen made).
    pub rule: String,
    /// What the rule concluded.
    pub status: Status,
    /// Why, in Kyverno's words where Kyverno has some.
    pub message: String,
}

/// The most elements all `foreach` loops of one rule may visit together: nested
/// loops multiply, and a rule over a big list inside a big list would not end.
pub const MAX_FOREACH_ELEMENTS: usize = 100_000;
/// The deepest nesting of `foreach` inside `foreach`.
pub const MAX_FOREACH_NESTING: usize = 16;
/// The deepest pattern checked (after variables are substituted, which can
/// graft values from the resource into it), and the deepest mutation overlay.
pub const MAX_PATTERN_DEPTH: usize = 256;

/// Evaluates every validate rule of `policy` that applies to `target`.
pub fn evaluate(policy: &Policy, target: &Target, request: &Request) -> Vec<RuleResult> {
    evaluate_in(&PolicyContext::new(target, request), policy)
}

/// [`evaluate`] in a context made once for several policies on the same target
/// and request (admission): its variables document is built by the first policy
/// that needs it and reused by the next ones.
pub fn evaluate_in(context: &PolicyContext<'_>, policy: &Policy) -> Vec<RuleResult> {
    if !context.policy_applies(policy) {
        return Vec::new();
    }
    // A policy PolicyExceptions grant values to sees them in a context of its own.
    let own = context.for_policy(policy);
    let context = own.as_ref().unwrap_or(context);
    let match_target = context.match_target();
    let mut results = Vec::new();
    for rule in &policy.rules {
        let RuleAction::Validate(validation) = &rule.action else {
            continue;
        };
        if !rule_matches(rule, &match_target) {
            continue;
        }
        let (status, message) = validate::run(context, policy, rule, validation);
        results.push(RuleResult {
            rule: rule.name.clone(),
            status,
            message,
        });
    }
    results
}

/// The rules of `policies` whose action is `wanted` and that apply to the
/// resource of `context` (its policy applies, the rule's `match` selects it
/// and `exclude` does not), with the index of their policy, in order.
pub(crate) fn matching_rules<'p, 'c: 'p, P, W>(
    context: &'p PolicyContext<'c>,
    policies: &'p [P],
    wanted: W,
) -> impl Iterator<Item = (usize, &'p Policy, &'p Rule)> + use<'p, 'c, P, W>
where
    P: std::borrow::Borrow<Policy>,
    W: Fn(&RuleAction) -> bool + 'p,
{
    let target = context.match_target();
    policies
        .iter()
        .enumerate()
        .map(|(index, p)| (index, p.borrow()))
        .filter(|(_, policy)| context.policy_applies(policy))
        .flat_map(|(index, policy)| policy.rules.iter().map(move |rule| (index, policy, rule)))
        .filter(move |(_, _, rule)| wanted(&rule.action) && rule_matches(rule, &target))
}

/// Whether a rule's `match` selects the resource and its `exclude` does not.
pub(crate) fn rule_matches(rule: &Rule, target: &crate::matching::MatchTarget<'_>) -> bool {
    rule.match_resources.selects(target)
        && !rule.exclude.as_ref().is_some_and(|e| e.excludes(target))
}

/// `data` with a foreach element bound, as Kyverno binds it: `element` and
/// `elementIndex`, and `element<N>`/`elementIndex<N>` for nesting level N.
/// An element read in place from the request's object stays so.
pub(crate) fn with_element<'d>(
    data: &crate::jmes::Document<'d>,
    element: &crate::jmes::Found<'d>,
    index: usize,
    nesting: usize,
) -> crate::jmes::Document<'d> {
    let mut data = data.clone();
    let index_var = crate::jmes::Rcvar::new(crate::jmes::Variable::Number(index.into()));
    data.bind("element", element);
    data.set_field("elementIndex", index_var.clone());
    match NESTED_ELEMENT_NAMES.get(nesting) {
        Some(&(element_name, index_name)) => {
            data.bind(element_name, element);
            data.set_field(index_name, index_var);
        }
        None => {
            data.bind(format!("element{nesting}"), element);
            data.set_field(&format!("elementIndex{nesting}"), index_var);
        }
    }
    data
}

/// `element<N>` and `elementIndex<N>` for the nesting levels policies use,
/// written out so that binding an element formats no name.
const NESTED_ELEMENT_NAMES: [(&str, &str); 4] = [
    ("element0", "elementIndex0"),
    ("element1", "elementIndex1"),
    ("element2", "elementIndex2"),
    ("element3", "elementIndex3"),
];

/// The elements of a foreach `list` expression on `data`: a list's items, a
/// single value as one element, none when the path leads nowhere.
pub(crate) fn foreach_list<'d>(
    list: &str,
    data: &crate::jmes::Document<'d>,
) -> Result<Vec<crate::jmes::Found<'d>>, String> {
    let expr = crate::variables::compile_cached(list)
        .map_err(|e| format!("failed to evaluate list {list}: {e}"))?;
    match expr.search_items(data) {
        Ok(items) => Ok(items),
        // A path that leads nowhere is null to JMESPath: no element.
        Err(crate::jmes::EvalError::NotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(format!("failed to evaluate list {list}: {e}")),
    }
}

/// `autogen-cronjob-x` and `autogen-x` take the values given for rule `x`.
pub(crate) fn base_rule_name(name: &str) -> &str {
    name.strip_prefix("autogen-cronjob-")
        .or_else(|| name.strip_prefix("autogen-"))
        .unwrap_or(name)
}
