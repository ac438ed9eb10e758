//! Parsing `mutate` rules: `patchStrategicMerge`, `patchesJson6902` and `foreach`,
//! applied to the object that triggers the rule or, with `targets`, to the
//! existing resources the rule selects.

use serde_json::Value as Json;

use crate::patch::json6902;
use crate::policy::{
    check_pattern, check_variables, foreach_list, parse_conditions_opt, parse_context, parse_each,
    parse_match, parse_selector, problem, ForeachOrder, MutateExisting, MutateForeach, Mutation,
    MutationTarget, Parse, RuleAction,
};
use crate::variables;

/// Parses a rule's `mutate` block.
pub(crate) fn parse_mutate(v: &Json, path: &str) -> Parse<RuleAction> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let patch = parse_mutation(v, path)?;
    match m.get("targets") {
        None | Some(Json::Null) => Ok(RuleAction::Mutate(patch)),
        Some(Json::Array(list)) if list.is_empty() => Ok(RuleAction::Mutate(patch)),
        Some(list) => {
            let targets = parse_each(list, &format!("{path}.targets"), parse_target)?;
            Ok(RuleAction::Mutate(Mutation::Existing(Box::new(
                MutateExisting {
                    targets,
                    target_match: None,
                    target_expression: None,
                    patch,
                },
            ))))
        }
    }
}

/// The rule a MutatingPolicy with `evaluation.mutateExisting` is read into
/// for its targets carries `mutate.targetMatch` (the resources to patch) or
/// `mutate.targetExpression` (a CEL selection evaluated on the trigger).
pub(crate) fn cel_existing(raw: &Json, action: RuleAction, path: &str) -> Parse<RuleAction> {
    let Some(m) = raw.get("mutate") else {
        return Ok(action);
    };
    if let Some(expression) = m.get("targetExpression").and_then(Json::as_str) {
        let RuleAction::Mutate(patch @ Mutation::Cel(_)) = action else {
            return Ok(action);
        };
        let program = match crate::cel::compile_in(
            &crate::cel::env(),
            expression,
            "spec.targetMatchConstraints.expression",
        ) {
            Ok(p) => p,
            Err(crate::cel::CelProblem::Invalid(path, reason)) => return problem(&path, reason),
            Err(crate::cel::CelProblem::Unsupported(feature)) => {
                return Ok(RuleAction::Unsupported(feature))
            }
        };
        return Ok(RuleAction::Mutate(Mutation::Existing(Box::new(
            MutateExisting {
                targets: Vec::new(),
                target_match: None,
                target_expression: Some(std::sync::Arc::new(program)),
                patch,
            },
        ))));
    }
    let Some(target_match) = m.get("targetMatch") else {
        return Ok(action);
    };
    let RuleAction::Mutate(patch @ Mutation::Cel(_)) = action else {
        return Ok(action);
    };
    let target_match = parse_match(target_match, &format!("{path}.mutate.targetMatch"))?;
    Ok(RuleAction::Mutate(Mutation::Existing(Box::new(
        MutateExisting {
            targets: Vec::new(),
            target_match: Some(target_match),
            target_expression: None,
            patch,
        },
    ))))
}

/// One `targets` entry. Its selecting fields may hold variables of the trigger:
/// they are checked here and read once substituted.
fn parse_target(v: &Json, path: &str) -> Parse<MutationTarget> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let mut spec = serde_json::Map::new();
    for field in ["apiVersion", "kind", "name", "namespace", "uid", "selector"] {
        if let Some(value) = m.get(field).filter(|v| !v.is_null()) {
            let p = format!("{path}.{field}");
            if field != "selector" && !value.is_string() {
                return problem(&p, "expected a string");
            }
            check_variables(value, &p)?;
            spec.insert(field.to_string(), value.clone());
        }
    }
    if spec
        .get("kind")
        .and_then(Json::as_str)
        .is_none_or(str::is_empty)
    {
        return problem(&format!("{path}.kind"), "a target needs a kind");
    }
    if let Some(selector) = spec.get("selector") {
        if !variables::tree_has_variables(selector) {
            parse_selector(Some(selector), &format!("{path}.selector"))?;
        }
    }
    Ok(MutationTarget {
        spec: Json::Object(spec),
        context: parse_context(m.get("context"), &format!("{path}.context"))?,
        preconditions: parse_conditions_opt(
            m.get("preconditions"),
            &format!("{path}.preconditions"),
        )?,
    })
}

fn parse_mutation(v: &Json, path: &str) -> Parse<Mutation> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    if let Some(list) = m.get("foreach") {
        let entries = parse_each(list, &format!("{path}.foreach"), parse_foreach)?;
        return Ok(Mutation::Foreach(entries));
    }
    if let Some(overlay) = m.get("patchStrategicMerge") {
        let p = format!("{path}.patchStrategicMerge");
        if !overlay.is_object() {
            return problem(&p, "expected a map (an overlay of the object)");
        }
        check_pattern(overlay, &p)?;
        return Ok(Mutation::StrategicMerge(overlay.clone()));
    }
    if let Some(text) = m.get("patchesJson6902") {
        let p = format!("{path}.patchesJson6902");
        let Some(text) = text.as_str() else {
            return problem(&p, "expected the operations as YAML or JSON text");
        };
        if variables::has_variables(text) {
            check_variables(&Json::String(text.to_string()), &p)?;
        } else if let Err(e) = json6902::parse(text) {
            return problem(&p, e.to_string());
        }
        return Ok(Mutation::Json6902(text.to_string()));
    }
    problem(
        path,
        "mutate needs one of patchStrategicMerge, patchesJson6902 or foreach",
    )
}

fn parse_foreach(v: &Json, path: &str) -> Parse<MutateForeach> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let list = foreach_list(m, path)?;
    let order = match m.get("order").and_then(Json::as_str) {
        None => None,
        Some("Ascending") => Some(ForeachOrder::Ascending),
        Some("Descending") => Some(ForeachOrder::Descending),
        Some(other) => {
            return problem(
                &format!("{path}.order"),
                format!("unknown order {other:?}; expected Ascending or Descending"),
            )
        }
    };
    Ok(MutateForeach {
        list,
        order,
        context: parse_context(m.get("context"), &format!("{path}.context"))?,
        preconditions: parse_conditions_opt(
            m.get("preconditions"),
            &format!("{path}.preconditions"),
        )?,
        mutation: parse_mutation(v, path)?,
    })
}
