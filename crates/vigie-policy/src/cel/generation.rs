//! Kyverno's GeneratingPolicy and NamespacedGeneratingPolicy
//! (`policies.kyverno.io` v1alpha1, v1beta1, v1): for a matching trigger,
//! each `generate[].expression` calls `generator.Apply(namespace, [objects])`
//! to create `objects` in `namespace`.
//!
//! The policy is read as the other CEL kinds are ([`super::vpol`]): one rule
//! named after the policy, whose `generate` holds the compiled block. The
//! resources are reported, never created: vigie binds `generator` to a value
//! whose `Apply` gives the pair `[namespace, objects]`
//! (`vigie_cel::k8s::generator`), and gathers the objects of every
//! expression, in order. `evaluation.synchronize` changes nothing the CLI
//! sees. Sources read with `resource.Get`/`resource.List` (clone) need the
//! resource library, which is reported as unsupported.

use std::sync::Arc;

use serde_json::{json, Value as Json};
use vigie_cel::{to_json, Program};

use super::{compile_in, conditions_and_variables, env, CelInputs, CelProblem, Named, Scope};
use crate::engine::Status;
use crate::policy::{GenerateSource, Generation, Parse, RuleAction};

/// Kyverno's generating kinds.
const KINDS: &[&str] = &["GeneratingPolicy", "NamespacedGeneratingPolicy"];

/// Whether `api_version`/`kind` is a Kyverno CEL generating policy.
pub fn is_generating_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("policies.kyverno.io/") && KINDS.contains(&kind)
}

/// A compiled `generate` block.
#[derive(Debug, Default)]
pub struct CelGeneration {
    /// Conditions that must all hold for anything to be generated.
    pub match_conditions: Vec<Named>,
    /// Variables, evaluated in order.
    pub variables: Vec<Named>,
    /// The `generate[].expression`s, in order.
    pub generators: Vec<Program>,
}

/// The environment of generating policies: admission CEL and `generator`.
fn generation_env() -> vigie_cel::Env {
    env().variable("generator")
}

/// The action of a rule whose `generate` holds `cel` (the internal form a
/// GeneratingPolicy is read into, at `path`).
pub(crate) fn action(cel: &Json, path: &str) -> Parse<RuleAction> {
    match parse(cel, path) {
        Ok(g) => Ok(RuleAction::Generate(Generation {
            api_version: String::new(),
            kind: String::new(),
            name: String::new(),
            namespace: String::new(),
            synchronize: cel
                .get("synchronize")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            source: GenerateSource::Cel(g),
        })),
        Err(CelProblem::Unsupported(feature)) => Ok(RuleAction::Unsupported(feature)),
        Err(CelProblem::Invalid(p, reason)) => Err((p, reason)),
    }
}

/// Compiles a `generate` block: `generate`, `variables`, `matchConditions`.
pub fn parse(cel: &Json, path: &str) -> Result<Arc<CelGeneration>, CelProblem> {
    let env = generation_env();
    let mut generators = Vec::new();
    let list = cel.get("generate").and_then(Json::as_array);
    for (i, item) in list.into_iter().flatten().enumerate() {
        let p = format!("{path}.generate[{i}].expression");
        let Some(expr) = item.get("expression").and_then(Json::as_str) else {
            return Err(CelProblem::Invalid(p, "missing expression".into()));
        };
        generators.push(compile_in(&env, expr, &p)?);
    }
    if generators.is_empty() {
        return Err(CelProblem::Invalid(
            format!("{path}.generate"),
            "a generating policy needs at least one generate expression".into(),
        ));
    }
    let (match_conditions, variables) =
        conditions_and_variables(&env, cel, path, "matchConditions")?;
    Ok(Arc::new(CelGeneration {
        match_conditions,
        variables,
        generators,
    }))
}

impl CelGeneration {
    /// The resources the policy would create for one trigger; `Err` with the
    /// rule's result when a match condition is false (`Skip`) or an
    /// expression fails (`Error`).
    pub fn generate(&self, inputs: &CelInputs<'_>) -> Result<Vec<Json>, (Status, String)> {
        let scope = Scope {
            match_conditions: &self.match_conditions,
            variables: &self.variables,
            params: None,
            ignore_errors: false,
            // The generated objects' expressions run in the activation too.
            reads_request: true,
        };
        let (mut act, variable_errors) = scope.bind(&super::CelResource::new(inputs.clone()))?;
        act.bind_json("generator", &json!({}));
        let mut out = Vec::new();
        for program in &self.generators {
            let source = program.source().trim();
            let fail = |m: String| {
                let mut m = format!("generate expression '{source}' {m}");
                if !variable_errors.is_empty() {
                    m.push_str(&format!(" ({})", variable_errors.join("; ")));
                }
                (Status::Error, m)
            };
            let value = program
                .eval(&act)
                .map_err(|e| fail(format!("resulted in error: {e}")))?;
            let value = to_json(&value).map_err(|e| fail(format!("gave no JSON value: {e}")))?;
            collect(&value, &mut out).map_err(fail)?;
        }
        Ok(out)
    }
}

/// Gathers the objects of `generator.Apply` results: one `[namespace,
/// objects]` pair, or a list of them; a bool (an expression that chose to
/// generate nothing) adds nothing.
fn collect(value: &Json, out: &mut Vec<Json>) -> Result<(), String> {
    match value {
        Json::Bool(_) | Json::Null => Ok(()),
        Json::Array(pair) if matches!(pair.as_slice(), [Json::String(_), Json::Array(_)]) => {
            let namespace = pair[0].as_str().unwrap_or_default();
            for object in pair[1].as_array().into_iter().flatten() {
                let mut object = object.clone();
                let Some(fields) = object.as_object_mut() else {
                    return Err(format!("asked to create {object}, which is not an object"));
                };
                if !namespace.is_empty() {
                    let metadata = fields.entry("metadata").or_insert_with(|| json!({}));
                    if let Some(m) = metadata.as_object_mut() {
                        m.insert("namespace".into(), Json::String(namespace.to_string()));
                    }
                }
                out.push(object);
            }
            Ok(())
        }
        Json::Array(items) => items.iter().try_for_each(|v| collect(v, out)),
        other => Err(format!(
            "gave {other}; expected the result of generator.Apply"
        )),
    }
}
