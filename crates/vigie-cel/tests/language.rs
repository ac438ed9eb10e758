//! Language features vigie-cel adds to the engine: type values, `cel.block`,
//! `transformMap`, backquoted field names and the network library.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use vigie_cel::{to_json, type_name, Activation, Env, Program, Value};

fn eval(expr: &str) -> Result<Value, String> {
    let p = Program::compile(expr, &Env::new().variable("object")).map_err(|e| e.to_string())?;
    let mut act = Activation::new();
    act.bind_json(
        "object",
        &json!({"metadata": {"labels": {"app.kubernetes.io/name": "web", "tier": "db"}}}),
    );
    p.eval(&act).map_err(|e| e.to_string())
}

fn json_of(expr: &str) -> serde_json::Value {
    to_json(&eval(expr).unwrap()).unwrap()
}

#[test]
fn type_values_are_types_not_strings() {
    assert_eq!(type_name(&eval("type(1u)").unwrap()), Some("uint"));
    assert_eq!(type_name(&eval("type(type([]))").unwrap()), Some("type"));
    assert_eq!(eval("type('a') == string").unwrap(), Value::Bool(true));
    assert_eq!(eval("type('int') == int").unwrap(), Value::Bool(false));
    assert_eq!(json_of("[int, type({})]"), json!(["int", "map"]));
}

#[test]
fn block_slots_see_earlier_slots() {
    assert_eq!(
        eval("cel.block([2, cel.index(0) * 10, [cel.index(1)]], cel.index(2)[0] + cel.index(0))")
            .unwrap(),
        Value::Int(22)
    );
    assert_eq!(
        eval("cel.block([[3, 4]], cel.index(0).map(cel.iterVar(0, 0), cel.iterVar(0, 0) + 1))")
            .unwrap(),
        json_value(json!([4, 5]))
    );
    assert!(eval("cel.block(x, 1)").is_err());
}

fn json_value(v: serde_json::Value) -> Value {
    vigie_cel::from_json(&v)
}

#[test]
fn transform_map_builds_a_map() {
    assert_eq!(
        json_of("object.metadata.labels.transformMap(k, v, k.startsWith('app'), v + '!')"),
        json!({"app.kubernetes.io/name": "web!"})
    );
    assert_eq!(
        json_of("[10, 20].transformMap(i, v, v + i)"),
        json!({"0": 10, "1": 21})
    );
}

#[test]
fn backquoted_fields_select_keys_with_any_character() {
    assert_eq!(
        json_of("object.metadata.labels.`app.kubernetes.io/name`"),
        json!("web")
    );
    assert_eq!(
        eval("has(object.metadata.labels.`a-b`)").unwrap(),
        Value::Bool(false)
    );
    // Inside a string a backquote is just a character.
    assert_eq!(
        json_of("'`tier`' + object.metadata.labels.tier"),
        json!("`tier`db")
    );
    assert!(eval("object.`unterminated").is_err());
    assert!(eval("`name` == 1").is_err());
}

#[test]
fn network_library_as_kubernetes_defines_it() {
    for (expr, want) in [
        ("cidr('10.0.0.0/8').containsIP(ip('10.20.30.40'))", true),
        ("cidr('10.0.0.0/8').containsIP('11.0.0.1')", false),
        ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", true),
        ("cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')", true),
        ("ip('fe80::1').isLinkLocalUnicast()", true),
        ("ip('10.0.0.1').isGlobalUnicast()", true),
        ("ip.isCanonical('2001:db8::1')", true),
        ("ip.isCanonical('2001:db8:0::1')", false),
        ("isIP('1.2.3')", false),
        ("isCIDR('1.2.3.4/24')", true),
        ("type(ip('::1')) == net.IP", true),
        ("ip('::1').family() == 6", true),
    ] {
        assert_eq!(eval(expr), Ok(Value::Bool(want)), "{expr}");
    }
    assert_eq!(
        json_of("string(cidr('2001:DB8::/32'))"),
        json!("2001:db8::/32")
    );
    assert_eq!(
        json_of("[ip('10.0.0.1'), cidr('10.0.0.0/24')]"),
        json!(["10.0.0.1", "10.0.0.0/24"])
    );
    for bad in [
        "ip('::ffff:1.2.3.4')",
        "ip('fe80::1%eth0')",
        "cidr('10.0.0.0/33')",
        "ip('01.2.3.4')",
    ] {
        assert!(eval(bad).is_err(), "{bad}");
    }
}

fn deduced(expr: &str, env: &Env) -> String {
    Program::compile(expr, env)
        .map(|p| p.result_type().to_string())
        .unwrap_or_else(|e| format!("error: {e}"))
}

#[test]
fn checker_deduces_types() {
    use vigie_cel::{CelType, Overload};
    let env = Env::new()
        .variable("object")
        .typed_variable("n", CelType::Int)
        .typed_variable("names", CelType::list(CelType::String))
        .function("f", Overload::parse(false, "string, A -> list(A)").unwrap());
    for (expr, want) in [
        ("[1]", "list(int)"),
        ("{'a': 1u}['a']", "uint"),
        ("[[], [1]]", "list(list(int))"),
        ("[[[]], []]", "list(list(list(dyn)))"),
        ("[1, 'a']", "list(dyn)"),
        ("object.spec", "dyn"),
        ("n * 2 > 3", "bool"),
        ("names.map(x, size(x))", "list(int)"),
        ("names.filter(x, x.startsWith('a'))", "list(string)"),
        ("f('a', 1.5)", "list(double)"),
        (
            "[optional.none(), optional.of(n)]",
            "list(optional_type(int))",
        ),
        (
            "true ? optional.of(dyn(1)) : optional.of(1)",
            "optional_type(dyn)",
        ),
        ("type(n)", "type(int)"),
        ("cidr('10.0.0.0/8').ip()", "net.IP"),
        ("cel.bind(x, n, x + 1)", "int"),
    ] {
        assert_eq!(deduced(expr, &env), want, "{expr}");
    }
}

#[test]
fn type_errors_are_compile_errors_naming_the_position() {
    use vigie_cel::{CelType, CompileError};
    let env = Env::new()
        .variable("object")
        .typed_variable("n", CelType::Int);
    let err = Program::compile("n == 1 && n + 'x' == 2", &env).unwrap_err();
    assert!(
        matches!(&err, CompileError::Type { offset: 12, message } if message.contains("'+'") && message.contains("(int, string)")),
        "{err}"
    );
    // Positions (of the operator) are in the text as written, backquoted
    // names included.
    let err = Program::compile("object.`a-b` == 1 && n + 'x' == 2", &env).unwrap_err();
    assert!(
        matches!(&err, CompileError::Type { offset: 23, .. }),
        "{err}"
    );
    assert!(Program::compile("size(1)", &env).is_err());
    assert!(Program::compile("!'a'", &env).is_err());
    // Run-time types are never a compile error.
    for ok in [
        "object.a + 1",
        "object.a + 'x'",
        "dyn(n) + 'x' == 'y'",
        "1 < 1.5",
        "[1] + [n]",
    ] {
        assert!(Program::compile(ok, &env).is_ok(), "{ok}");
    }
}

#[test]
fn transform_map_cost_grows_with_the_map_it_copies() {
    let p = Program::compile(
        "object.transformMap(k, v, v + 1).size() > 0",
        &Env::new().variable("object"),
    )
    .unwrap();
    let cost = |n: usize| {
        let m: serde_json::Map<String, serde_json::Value> =
            (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
        let mut act = Activation::new();
        act.bind_json("object", &serde_json::Value::Object(m));
        p.estimate_cost(&act)
    };
    // Each insert copies the map built so far: ten times the entries must
    // cost far more than ten times as much (the bound is conservative).
    let (small, large) = (cost(100), cost(1000));
    assert!(large > 50 * small, "{small} -> {large}");
}

#[test]
fn results_bound_again_keep_their_type() {
    let env = Env::new().variable("addr").variable("t");
    let mut act = Activation::new();
    act.bind("addr", eval("cidr('10.0.0.0/8').ip()").unwrap())
        .unwrap()
        .bind("t", eval("type(1)").unwrap())
        .unwrap();
    let p = Program::compile(
        "addr.family() == 4 && t == int && type(addr) == net.IP",
        &env,
    )
    .unwrap();
    assert_eq!(p.eval(&act).unwrap(), Value::Bool(true));
}
