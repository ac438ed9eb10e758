//! Parsing `mutate` rules: `patchStrategicMerge`, `patchesJson6902` and `foreach`.
//! Forms vigie does not run (mutating existing resources through `targets`) are
//! reported by name, never run halfway.

use serde_json::Value as Json;

use crate::patch::json6902;
use crate::policy::{
    check_pattern, check_variables, foreach_list, parse_conditions_opt, parse_context, parse_each,
    problem, ForeachOrder, MutateForeach, Mutation, Parse, RuleAction,
};
use crate::variables;

/// Parses a rule's `mutate` block.
pub(crate) fn parse_mutate(v: &Json, path: &str) -> Parse<RuleAction> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    if m.get("targets")
        .is_some_and(|t| t.as_array().is_some_and(|a| !a.is_empty()))
    {
        return Ok(RuleAction::Unsupported(
            "mutate.targets (mutate existing resources)",
        ));
    }
    parse_mutation(v, path).map(RuleAction::Mutate)
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
