//! Objects bound from JSON (and variables' values) are maps shared by
//! reference count, not the engine's own maps: every expression must give
//! what it gives on the engine's maps, whichever side of `==` each is on.

use serde_json::json;
use vigie_cel::{from_json, Activation, Env, Program, Value};

fn object() -> serde_json::Value {
    json!({
        "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "annotations": {}},
        "spec": {
            "containers": [
                {"name": "a", "ports": [{"containerPort": 80}], "securityContext": {"capabilities": {"drop": ["ALL"]}}},
                {"name": "b", "env": [{"name": "X", "value": "1"}]}
            ],
            "selector": {"app": "web", "tier": "front"},
            "ratio": 0.5,
            "none": null
        }
    })
}

/// Evaluates `expr` with `object` bound from JSON (shared maps) and bound
/// as a [`Value`] (the engine's maps), with `variables.v` computed from the
/// object both ways: both must agree, and the JSON result is returned.
fn both(expr: &str) -> Result<Value, String> {
    let env = Env::new().variable("object").variable("variables");
    let variable = Program::compile("object.spec", &env).expect("compiles");
    let program = Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut shared = Activation::new();
    shared.bind_json("object", &object());
    let v = variable.eval_shared(&shared).expect("evaluates");
    shared.bind_field("variables", "v", &v);
    let mut engine = Activation::new();
    engine.bind("object", from_json(&object())).expect("binds");
    let v = vigie_cel::Shared::new(variable.eval(&engine).expect("evaluates")).expect("binds");
    engine.bind_field("variables", "v", &v);
    let got = program.eval(&shared).map_err(|e| e.to_string());
    let want = program.eval(&engine).map_err(|e| e.to_string());
    assert_eq!(got, want, "{expr}");
    got
}

#[test]
fn equality_holds_either_way_round_and_nested() {
    for expr in [
        "object.metadata.labels == {'app': 'web', 'tier': 'front'}",
        "{'app': 'web', 'tier': 'front'} == object.metadata.labels",
        "{'tier': 'front', 'app': 'web'} == object.spec.selector",
        "object.metadata.labels == object.spec.selector",
        "[{'drop': ['ALL']}] == [object.spec.containers[0].securityContext.capabilities]",
        "[object.spec.containers[0].securityContext.capabilities] == [{'drop': ['ALL']}]",
        "object.metadata.annotations == {}",
        "{} == object.metadata.annotations",
        "variables.v.selector == object.metadata.labels",
        "variables.v == object.spec",
        "object.spec == variables.v",
        "dyn(object.spec.selector) == {'app': 'web', 'tier': 'front'}",
        "(true ? {} : object.spec) == object.metadata.annotations",
        "object.spec.selector in [{'app': 'web', 'tier': 'front'}]",
        "[object.spec.selector] in [[{'app': 'web', 'tier': 'front'}], []]",
        "object.spec.containers[0].name in ['b', 'a']",
        "!(object.spec.selector in [{'app': 'web'}, object.metadata.annotations])",
        // Lists the expression computes, holding maps it built itself.
        "object.spec.selector in [{'app': 'web', 'tier': 'front'}].map(m, m)",
        "object.spec.selector in ['front'].map(t, {'app': 'web', 'tier': t})",
        "object.spec.selector in [variables.v.selector].filter(m, true)",
        "!(object.metadata.labels in ['x'].map(t, {'app': t}))",
        // Keys of a map stay what `in` means for a map.
        "'app' in object.metadata.labels",
        "'app' in {'app': 1}",
        "!('x' in object.spec.selector)",
    ] {
        assert_eq!(both(expr), Ok(Value::Bool(true)), "{expr}");
    }
    for expr in [
        "object.metadata.labels != {'app': 'web'}",
        "{'app': 'web'} != object.metadata.labels",
        "{'app': 'web', 'tier': 'back'} != object.metadata.labels",
        "object.spec.containers[0] != object.spec.containers[1]",
        "[1, 2] != [object.spec.ratio]",
        "object.metadata != 'web'",
    ] {
        assert_eq!(both(expr), Ok(Value::Bool(true)), "{expr}");
    }
}

#[test]
fn maps_from_json_select_index_and_iterate_as_the_engine_does() {
    for (expr, want) in [
        ("has(object.metadata.labels.app) && !has(object.metadata.labels.x)", Value::Bool(true)),
        ("'app' in object.metadata.labels && !('x' in object.metadata.labels) && !(1 in object.metadata.labels)", Value::Bool(true)),
        ("size(object.metadata.labels) + object.metadata.labels.size()", Value::Int(4)),
        ("object.metadata.labels.all(k, k in ['app', 'tier'])", Value::Bool(true)),
        ("object.metadata.labels.exists_one(k, k == 'tier')", Value::Bool(true)),
        ("object.metadata.labels.map(k, k).size()", Value::Int(2)),
        ("object.metadata.labels['tier'] == 'front'", Value::Bool(true)),
        ("object.metadata.?labels.?app.orValue('') == 'web'", Value::Bool(true)),
        ("object.metadata.?labels.?nope.orValue('none') == 'none'", Value::Bool(true)),
        ("type(object.metadata) == map && type(object.spec.containers) == list", Value::Bool(true)),
        ("object.spec.containers.filter(c, has(c.env)).map(c, c.name) == ['b']", Value::Bool(true)),
        ("(object.spec.containers + object.spec.containers).size()", Value::Int(4)),
        ("object.spec.containers.exists(c, c.?securityContext.?capabilities.?drop.orValue([]).exists(d, d == 'ALL'))", Value::Bool(true)),
        ("optional.of(object.spec.selector) == optional.of({'app': 'web', 'tier': 'front'})", Value::Bool(true)),
        ("object.spec.selector.transformMap(k, v, v + '!') == {'app': 'web!', 'tier': 'front!'}", Value::Bool(true)),
        ("object.spec.none == null && object.spec.ratio == 0.5", Value::Bool(true)),
    ] {
        assert_eq!(both(expr), Ok(want), "{expr}");
    }
    // Errors read the same: a missing key, a bad key type.
    for expr in [
        "object.metadata.labels.x == 'a'",
        "object.metadata.labels[1] == 'a'",
        "object.metadata.labels[[1]] == 'a'",
        "[] in object.metadata.labels",
    ] {
        assert!(both(expr).is_err(), "{expr}");
    }
}

#[test]
fn results_convert_back_to_json_whole() {
    let env = Env::new().variable("object");
    let mut act = Activation::new();
    act.bind_json("object", &object());
    for expr in [
        "object",
        "object.spec.containers",
        "[object.metadata, {'k': object.metadata.labels}]",
    ] {
        let program = Program::compile(expr, &env).expect("compiles");
        let got = vigie_cel::to_json(&program.eval(&act).expect("evaluates")).expect("JSON");
        let want = match expr {
            "object" => object(),
            "object.spec.containers" => object()["spec"]["containers"].clone(),
            _ => json!([object()["metadata"], {"k": object()["metadata"]["labels"]}]),
        };
        assert_eq!(got, want, "{expr}");
    }
}
