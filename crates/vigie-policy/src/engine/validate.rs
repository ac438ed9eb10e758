//! The validate handler: `pattern`, `anyPattern`, `deny` and `foreach` checks, and
//! `podSecurity` handed to [`crate::pod_security`].

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use super::policy_context::{preconditions_hold, PolicyContext};
use super::{
    Request, Status, Target, MAX_FOREACH_ELEMENTS, MAX_FOREACH_NESTING, MAX_PATTERN_DEPTH,
};
use crate::conditions;
use crate::context;
use crate::jmes::{Document, Found};
use crate::pattern::{self, MismatchKind};
use crate::policy::{Check, Foreach, Pattern, Policy, Rule, Validation};
use crate::variables::{self, Missing};

/// Runs one validate rule that matched the resource.
pub fn run(
    context: &PolicyContext<'_>,
    policy: &Policy,
    rule: &Rule,
    validation: &Validation,
) -> (Status, String) {
    if let Check::Cel(cel) = &validation.check {
        // CEL rules see the object and request, not Kyverno's variables.
        return crate::cel::run(context, cel);
    }
    if let Check::Image(image) = &validation.check {
        return image.evaluate_named(context, &policy.name, &rule.name);
    }
    let rule_data = match context.rule_data(policy, rule) {
        Ok(d) => d,
        Err(result) => return result,
    };
    let target = context.target;
    let foreach_elements = std::cell::Cell::new(0);
    let scope = Scope {
        object: &target.object,
        data: rule_data.data,
        target,
        request: context.request,
        pod_security: &context.pod_security,
        provided: &rule_data.provided,
        nesting: 0,
        foreach_elements: &foreach_elements,
    };
    let (status, detail) = run_check(&validation.check, &scope);
    let message = match status {
        Status::Fail => {
            let text = validation
                .message
                .as_deref()
                .map(
                    |m| match variables::substitute_str(m, &scope.data, Missing::Error) {
                        Ok(v) => crate::json::display(&v),
                        Err(_) => m.to_string(),
                    },
                )
                .unwrap_or_default();
            // Concatenated: `format!` took several times as long for these
            // texts, written for every failing rule.
            [
                "validation error: ",
                &text,
                ". rule ",
                &rule.name,
                " failed: ",
                &detail,
            ]
            .concat()
        }
        _ => detail,
    };
    (status, message)
}

/// Where a check runs: the object patterns apply to and the variables document.
struct Scope<'a> {
    object: &'a Json,
    data: Document<'a>,
    target: &'a Target,
    request: &'a Request,
    pod_security: &'a crate::pod_security::Evaluations,
    provided: &'a [&'a Map<String, Json>],
    nesting: usize,
    /// Elements visited by every `foreach` of the rule so far, nested ones included.
    foreach_elements: &'a std::cell::Cell<usize>,
}

fn run_check(check: &Check, scope: &Scope<'_>) -> (Status, String) {
    match check {
        Check::Pattern(p) => match_pattern(p, scope),
        Check::AnyPattern(patterns) => {
            let mut failures = Vec::new();
            let mut skips = 0;
            for (i, p) in patterns.iter().enumerate() {
                match match_pattern(p, scope) {
                    (Status::Pass, _) => return (Status::Pass, format!("anyPattern[{i}] passed")),
                    (Status::Skip, _) => skips += 1,
                    (Status::Error, m) => return (Status::Error, m),
                    (_, m) => failures.push(format!("anyPattern[{i}]: {m}")),
                }
            }
            if failures.is_empty() && skips > 0 {
                (Status::Skip, "all patterns skipped".into())
            } else {
                (Status::Fail, failures.join("; "))
            }
        }
        Check::Deny(conditions) => {
            if conditions.is_empty() {
                return (Status::Fail, "denied".into());
            }
            match conditions::evaluate(conditions, &scope.data, Missing::Error) {
                Ok(true) => (Status::Fail, "deny conditions met".into()),
                Ok(false) => (Status::Pass, "deny conditions not met".into()),
                Err(e) => (
                    Status::Error,
                    format!("failed to evaluate deny conditions: {e}"),
                ),
            }
        }
        Check::Foreach(list) => run_foreach(list, scope),
        Check::PodSecurity(ps) => crate::pod_security::check(ps, scope.target, scope.pod_security),
        // Only a rule's top level holds CEL (the parser puts it nowhere else).
        Check::Cel(_) | Check::Image(_) => (Status::Error, "validate.cel inside foreach".into()),
    }
}

fn match_pattern(pattern: &Pattern, scope: &Scope<'_>) -> (Status, String) {
    match &pattern.prepared {
        Some(Ok(compiled)) => compare(compiled, scope),
        Some(Err(e)) => (Status::Error, e.clone()),
        None => {
            let substituted =
                match variables::substitute(&pattern.tree, &scope.data, Missing::Error) {
                    Ok(p) => p,
                    Err(e) => return (Status::Error, format!("variable substitution failed: {e}")),
                };
            match prepare_pattern(&substituted) {
                Ok(resolved) => compare(
                    &pattern::Compiled::new(resolved.as_ref().unwrap_or(&substituted)),
                    scope,
                ),
                Err(e) => (Status::Error, e),
            }
        }
    }
}

/// Checks the object of `scope` against a pattern ready for it.
fn compare(pattern: &pattern::Compiled, scope: &Scope<'_>) -> (Status, String) {
    match pattern.check(scope.object) {
        Ok(()) => (Status::Pass, "validation passed".into()),
        Err(m) => match m.kind {
            MismatchKind::ConditionalSkip | MismatchKind::GlobalSkip => (Status::Skip, m.message),
            MismatchKind::Negation | MismatchKind::Fail => {
                (Status::Fail, [&m.message, " (path ", &m.path, ")"].concat())
            }
        },
    }
}

/// A pattern ready for checking, once its variables are substituted: its
/// `$(...)` references resolved (`None` when it has none) and its depth within
/// the limit.
pub(crate) fn prepare_pattern(pattern: &Json) -> Result<Option<Json>, String> {
    let resolved = pattern::references::resolve(pattern)?;
    if depth_exceeds(resolved.as_ref().unwrap_or(pattern), MAX_PATTERN_DEPTH) {
        return Err(format!(
            "the pattern nests deeper than the limit of {MAX_PATTERN_DEPTH} levels"
        ));
    }
    Ok(resolved)
}

/// Whether a JSON tree nests deeper than `limit` (measured without recursion).
pub(crate) fn depth_exceeds(value: &Json, limit: usize) -> bool {
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match v {
            Json::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Json::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    false
}

fn run_foreach(list: &[Foreach], scope: &Scope<'_>) -> (Status, String) {
    if scope.nesting >= MAX_FOREACH_NESTING {
        return (
            Status::Error,
            format!("foreach nests deeper than the limit of {MAX_FOREACH_NESTING} levels"),
        );
    }
    let mut applied = 0;
    for foreach in list {
        let elements = match variables::compile_cached(&foreach.list)
            .map_err(|e| e.to_string())
            .and_then(|e| e.search_items(&scope.data).map_err(|e| e.to_string()))
        {
            Ok(items) => items,
            // A list that cannot be evaluated contributes nothing, as in Kyverno.
            Err(_) => continue,
        };
        let (status, message, count) = run_elements(foreach, &elements, scope);
        if status != Status::Pass {
            return (status, message);
        }
        applied += count;
    }
    if applied == 0 {
        (Status::Skip, "rule skipped: no element to check".into())
    } else {
        (Status::Pass, "rule passed".into())
    }
}

fn run_elements<'a>(
    foreach: &Foreach,
    elements: &[Found<'a>],
    scope: &Scope<'a>,
) -> (Status, String, usize) {
    let mut applied = 0;
    for (index, element) in elements.iter().enumerate() {
        if element.is_null() {
            continue;
        }
        let visited = scope.foreach_elements.get() + 1;
        scope.foreach_elements.set(visited);
        if visited > MAX_FOREACH_ELEMENTS {
            return (
                Status::Error,
                format!(
                    "foreach stopped: more than the limit of {MAX_FOREACH_ELEMENTS} elements in one rule"
                ),
                applied,
            );
        }
        let mut data = super::with_element(&scope.data, element, index, scope.nesting);
        let scoped = foreach.element_scope.unwrap_or(element.is_object());
        // The element as JSON, for the checks that match it as the object
        // (patterns, and foreach loops that may hold them): borrowed when it
        // was read in place, else converted, and not for a deny check, which
        // reads only the variables.
        let element_json = (scoped
            && matches!(
                foreach.check,
                Check::Pattern(_) | Check::AnyPattern(_) | Check::Foreach(_)
            ))
        .then(|| element.to_json());
        if let Err(e) = context::load(
            &foreach.context,
            &mut data,
            scope.provided,
            &scope.request.config_maps,
        ) {
            return (
                Status::Error,
                format!("failed to load context: {e}"),
                applied,
            );
        }
        match preconditions_hold(foreach.preconditions.as_ref(), &data) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                return (
                    Status::Error,
                    format!("failed to evaluate preconditions: {e}"),
                    applied,
                )
            }
        }
        let inner = Scope {
            object: element_json.as_deref().unwrap_or(scope.object),
            data,
            target: scope.target,
            request: scope.request,
            pod_security: scope.pod_security,
            provided: scope.provided,
            nesting: scope.nesting + 1,
            foreach_elements: scope.foreach_elements,
        };
        let (status, message) = run_check(&foreach.check, &inner);
        match status {
            Status::Pass => applied += 1,
            Status::Skip => {}
            Status::Error if index + 1 < elements.len() => {}
            _ => {
                let mut text = String::with_capacity(message.len() + 48);
                let _ = write!(text, "validation failure at element {index}: ");
                text.push_str(&message);
                return (status, text, applied);
            }
        }
    }
    (Status::Pass, String::new(), applied)
}
