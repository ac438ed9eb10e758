//! A compiled program runs a rewritten tree (fields selected from their
//! variable, `!` of a bool as a conditional): every expression must give
//! the same value, or the same error text, as the tree the engine parsed,
//! which a program compiled without variable checks still runs.

use serde_json::json;
use vigie_cel::{Activation, Env, Program, Shared, Value};

fn object() -> serde_json::Value {
    json!({
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": "a", "securityContext": {"runAsUser": 0, "capabilities": {"add": ["NET_ADMIN"]}}},
                {"name": "b", "ports": [{"containerPort": 80, "hostPort": 0}]}
            ],
            "hostNetwork": false,
            "none": null,
            "count": 3
        }
    })
}

/// Evaluates `expr` as compiled (rewritten) and as parsed (compiled without
/// checks, so not rewritten): both must agree; the result is returned.
fn both(expr: &str) -> Result<Value, String> {
    let env = Env::new()
        .variable("object")
        .variable("request")
        .variable("variables");
    let rewritten = Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let parsed = Program::compile(expr, &env.clone().unchecked()).expect("compiles");
    let mut act = Activation::new();
    act.bind_json("object", &object());
    act.bind_json("request", &json!({"userInfo": {"username": "u"}}));
    let containers = Shared::from_json(&object()["spec"]["containers"]);
    act.bind_field("variables", "all", &containers);
    let got = rewritten.eval(&act).map_err(|e| e.to_string());
    let want = parsed.eval(&act).map_err(|e| e.to_string());
    assert_eq!(got, want, "{expr}");
    got
}

/// Each expression gives a value, the same both ways.
fn values(exprs: &[&str]) {
    for expr in exprs {
        assert!(both(expr).is_ok(), "{expr}: {:?}", both(expr));
    }
}

/// Each expression gives an error, the same text both ways.
fn errors(exprs: &[&str]) {
    for expr in exprs {
        assert!(both(expr).is_err(), "{expr}: {:?}", both(expr));
    }
}

#[test]
fn selections_give_what_the_parsed_tree_gives() {
    values(&[
        "object.metadata.name",
        "object.spec.containers[0].securityContext.runAsUser",
        "object.spec.containers.all(c, !has(c.securityContext) || c.securityContext.runAsUser > 0)",
        "object.spec.containers.map(c, c.name)",
        "object.spec.containers.exists(c, c.?ports.orValue([]).exists(p, p.hostPort != 0))",
        "object.spec.containers.all(object, object.name != '')",
        "cel.bind(s, object.spec, s.containers.size() + s.count)",
        "object.metadata.name.startsWith('w')",
        "request.userInfo.username == 'u'",
        "variables.all.size() == 2 && variables.all[1].name == 'b'",
        "has(object.spec.hostNetwork) && !object.spec.hostNetwork",
        "has(object.metadata.labels.app)",
        "has(object.spec.containers)",
        "object.spec.?initContainers.orValue([]).size()",
        "[object.spec.count, object.metadata.labels.app]",
        "{'n': object.metadata.name}.n",
    ]);
}

#[test]
fn selection_errors_give_the_same_text() {
    errors(&[
        // A missing field, a field of null, of a list, of a number.
        "object.spec.initContainers",
        "object.spec.none.x",
        "object.spec.containers.name",
        "object.spec.count.x",
        "has(object.spec.none.x)",
        "object.spec.containers.all(c, c.securityContext.runAsUser >= 0)",
        "variables.missing",
        "variables.all.name",
        "object.spec.count.startsWith('x')",
    ]);
}

#[test]
fn negations_give_the_same_values_and_errors() {
    values(&[
        "!has(object.spec.initContainers)",
        "!(object.spec.count > 2)",
        "!object.spec.containers.exists(c, c.name == 'x')",
        "!object.spec.containers.all(c, c.name == 'a')",
        "!!(object.metadata.name == 'web')",
        "!(object.spec.count in [1, 2])",
        "!(object.metadata.labels == {'app': 'web'})",
        "!object.spec.hostNetwork",
        "!(true ? has(object.spec) : false)",
    ]);
    errors(&[
        "!object.spec.count",
        "!(object.spec.none.x > 1)",
        "!object.spec.containers.all(c, c.securityContext.runAsUser >= 0)",
        "!(object.spec.count > 'a')",
    ]);
}
