//! ClusterPolicy `validate.cel`: `expressions` (with `message` and
//! `messageExpression`), `variables`, `paramKind`/`paramRef`,
//! `auditAnnotations`, and the rule's `celPreconditions`.

use std::sync::Arc;

use serde_json::Value as Json;

use super::{compile_checks, compile_named, param_source, CelProblem, CelValidation};
use crate::policy::{Check, FailureAction, Parse, RuleAction, Validation};

/// The action of a rule whose `validate` holds `cel` (`validate` at `path`):
/// a CEL check, or unsupported when it calls a library vigie cannot answer.
pub(crate) fn action(raw_rule: &Json, cel: &Json, path: &str) -> Parse<RuleAction> {
    if cel.get(super::ivpol::MARKER) == Some(&Json::Bool(true)) {
        return super::ivpol::action(cel, &format!("{path}.cel"));
    }
    let validate = raw_rule.get("validate").unwrap_or(&Json::Null);
    let failure_action = match validate.get("failureAction") {
        Some(Json::String(a)) if a.eq_ignore_ascii_case("enforce") => Some(FailureAction::Enforce),
        Some(Json::String(a)) if a.eq_ignore_ascii_case("audit") => Some(FailureAction::Audit),
        Some(other) => {
            return Err((
                format!("{path}.failureAction"),
                format!("expected Audit or Enforce, got {other}"),
            ))
        }
        None => None,
    };
    match parse(
        cel,
        raw_rule.get("celPreconditions"),
        &format!("{path}.cel"),
    ) {
        Ok(v) => Ok(RuleAction::Validate(Validation {
            message: None,
            failure_action,
            check: Check::Cel(v),
        })),
        Err(CelProblem::Unsupported(feature)) => Ok(RuleAction::Unsupported(feature)),
        Err(CelProblem::Invalid(p, reason)) => Err((p, reason)),
    }
}

/// Compiles a rule's `validate.cel` block (`cel`, at `path`) and its
/// `celPreconditions`.
pub fn parse(
    cel: &Json,
    preconditions: Option<&Json>,
    path: &str,
) -> Result<Arc<CelValidation>, CelProblem> {
    if !cel.is_object() {
        return Err(CelProblem::Invalid(
            path.to_string(),
            "expected a map".into(),
        ));
    }
    let checks = compile_checks(cel.get("expressions"), &format!("{path}.expressions"))?;
    if checks.is_empty() {
        return Err(CelProblem::Invalid(
            format!("{path}.expressions"),
            "validate.cel needs at least one expression".into(),
        ));
    }
    Ok(Arc::new(CelValidation {
        match_conditions: compile_named(preconditions, "celPreconditions", "name", "expression")?,
        variables: compile_named(
            cel.get("variables"),
            &format!("{path}.variables"),
            "name",
            "expression",
        )?,
        checks,
        audit_annotations: compile_named(
            cel.get("auditAnnotations"),
            &format!("{path}.auditAnnotations"),
            "key",
            "valueExpression",
        )?,
        params: param_source(cel.get("paramKind"), cel.get("paramRef")),
        ignore_errors: false,
        warn: false,
        bindings: Vec::new(),
        reads_request: std::sync::OnceLock::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::CelInputs;
    use crate::engine::Status;
    use serde_json::json;

    fn inputs(object: &Json) -> CelInputs<'_> {
        CelInputs {
            object,
            old_object: None,
            request: json!({"operation": "CREATE"}),
            namespace_object: json!({"metadata": {"name": "shop", "labels": {"tier": "gold"}}}),
            param_candidates: &[],
            // A test helper: one small allocation per call is fine.
            lookup: Box::leak(Box::default()),
            authorizer: None,
            exceptions: None,
        }
    }

    #[test]
    fn expressions_variables_and_messages() {
        let cel = json!({
            "variables": [
                {"name": "names", "expression": "object.spec.containers.map(c, c.name)"},
                {"name": "count", "expression": "size(variables.names)"}
            ],
            "expressions": [
                {"expression": "variables.count <= 2", "message": "too many"},
                {"expression": "!('debug' in variables.names)",
                 "messageExpression": "'container debug in ' + object.metadata.name"}
            ]
        });
        let v = parse(&cel, None, "spec.rules[0].validate.cel").unwrap();
        let ok = json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "web"}]}});
        assert_eq!(v.evaluate(&inputs(&ok)).0, Status::Pass);
        let bad = json!({"metadata": {"name": "b"}, "spec": {"containers": [
            {"name": "web"}, {"name": "debug"}, {"name": "x"}]}});
        let (status, message) = v.evaluate(&inputs(&bad));
        assert_eq!(status, Status::Fail);
        assert_eq!(message, "too many; container debug in b");
    }

    #[test]
    fn rules_on_one_resource_share_only_what_the_resource_decides() {
        // Both rules compute `replicas` alike (computed once), and `next`
        // from their own `base`, which must not be shared.
        let rule = |base: i64, want: i64| {
            let cel = json!({
                "variables": [
                    {"name": "replicas", "expression": "object.spec.replicas"},
                    {"name": "base", "expression": format!("{base}")},
                    {"name": "next", "expression": "variables.base + variables.replicas"}
                ],
                "expressions": [{"expression": format!("variables.next == {want}")}]
            });
            parse(&cel, None, "p").unwrap()
        };
        let obj = json!({"spec": {"replicas": 3}});
        let shared = crate::cel::CelResource::new(inputs(&obj));
        for (base, want) in [(1, 4), (10, 13), (1, 4)] {
            let (status, message) = rule(base, want).evaluate_in(&shared);
            assert_eq!(status, Status::Pass, "base {base}: {message}");
        }
    }

    #[test]
    fn preconditions_skip_and_errors_deny() {
        let cel = json!({"expressions": [{"expression": "object.spec.replicas > 1"}]});
        let pre = json!([{"name": "gold", "expression": "namespaceObject.metadata.labels.tier == 'silver'"}]);
        let v = parse(&cel, Some(&pre), "p").unwrap();
        let obj = json!({"spec": {"replicas": 3}});
        assert_eq!(v.evaluate(&inputs(&obj)).0, Status::Skip);
        let v = parse(&cel, None, "p").unwrap();
        assert_eq!(v.evaluate(&inputs(&obj)).0, Status::Pass);
        let (status, message) = v.evaluate(&inputs(&json!({"spec": {}})));
        assert_eq!(status, Status::Fail, "{message}");
        assert!(message.contains("resulted in error"), "{message}");
        let (status, message) = v.evaluate(&inputs(&json!({"spec": {"replicas": 1}})));
        assert_eq!(
            (status, message.as_str()),
            (Status::Fail, "failed expression: object.spec.replicas > 1")
        );
    }

    #[test]
    fn kyverno_libraries_are_unsupported_and_typos_invalid() {
        let cel =
            json!({"expressions": [{"expression": "http.Get('https://example.com') != null"}]});
        assert!(
            matches!(parse(&cel, None, "p"), Err(CelProblem::Unsupported(f)) if f.contains("http"))
        );
        let cel = json!({"expressions": [{"expression": "globalContext.Get('e', '') != null"}]});
        assert!(
            matches!(parse(&cel, None, "p"), Err(CelProblem::Unsupported(f)) if f.contains("globalContext"))
        );
        // The libraries vigie-cel answers compile.
        let cel = json!({"expressions": [{"expression":
            "sha256(json.marshal(yaml.parse('a: 1'))) != string(x509.decode('') == null)"}]});
        assert!(parse(&cel, None, "p").is_ok());
        let cel = json!({"expressions": [{"expression": "objct.spec != null"}]});
        assert!(
            matches!(parse(&cel, None, "p"), Err(CelProblem::Invalid(path, _)) if path == "p.expressions[0].expression")
        );
        let cel = json!({"expressions": []});
        assert!(matches!(
            parse(&cel, None, "p"),
            Err(CelProblem::Invalid(..))
        ));
    }
}
