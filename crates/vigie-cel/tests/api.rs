//! The vigie-cel contract: compile against declared variables, evaluate on
//! JSON, and refuse runaway expressions with a typed error naming the limit.

use serde_json::json;
use vigie_cel::{
    from_json, to_json, Activation, CompileError, Env, EvalError, Program, Shared, Value,
};

fn k8s_env() -> Env {
    Env::new().variable("object").variable("oldObject")
}

fn pod(n_containers: usize) -> serde_json::Value {
    let containers: Vec<_> = (0..n_containers)
        .map(|i| json!({"name": format!("c{i}"), "securityContext": {"runAsNonRoot": true}}))
        .collect();
    json!({"kind": "Pod", "spec": {"containers": containers}})
}

/// `expr` compiled in `env` and evaluated with `object` bound.
fn eval_on(expr: &str, env: &Env, object: &serde_json::Value) -> Result<Value, EvalError> {
    let program = Program::compile(expr, env).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut act = Activation::new();
    act.bind_json("object", object);
    program.eval(&act)
}

#[test]
fn kubernetes_expression_evaluates_on_json() {
    let all_non_root = |object: &serde_json::Value| {
        eval_on(
            "object.spec.containers.all(c, has(c.securityContext) && c.securityContext.runAsNonRoot == true)",
            &k8s_env(),
            object,
        )
    };
    assert_eq!(all_non_root(&pod(3)).unwrap(), Value::Bool(true));
    let mut bad = pod(2);
    bad["spec"]["containers"][1]["securityContext"]["runAsNonRoot"] = json!(false);
    assert_eq!(all_non_root(&bad).unwrap(), Value::Bool(false));
}

#[test]
fn undeclared_variable_is_a_compile_error_naming_it() {
    let err = Program::compile("objct.metadata.name == 'x'", &k8s_env()).unwrap_err();
    assert!(
        matches!(&err, CompileError::UndeclaredVariable { name, .. } if name == "objct.metadata.name"),
        "{err}"
    );
    assert!(err.to_string().contains("'objct.metadata.name'"), "{err}");
    assert!(err.to_string().contains("object, oldObject"), "{err}");
}

#[test]
fn comprehension_and_bind_variables_are_not_undeclared() {
    let env = k8s_env();
    for expr in [
        "object.spec.containers.exists(c, c.name == 'a')",
        "object.spec.containers.map(c, c.name).filter(n, n != '')",
        "cel.bind(names, object.spec.containers.map(c, c.name), size(names) > 0)",
        "[1, 2].all(x, [3].all(y, x < y))",
        "math.greatest(1, 2) == 2",
        "type(object) == map",
        "object.spec.containers.all(i, c, i >= 0 && c.name != '')",
        "object.metadata.labels.exists(k, v, k == 'app' && v == 'web')",
    ] {
        Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
    }
    // A comprehension variable does not leak out of its macro.
    assert!(Program::compile("[1].all(x, x > 0) && x == 1", &env).is_err());
}

#[test]
fn syntax_error_and_overlong_text_are_compile_errors() {
    assert!(matches!(
        Program::compile("object.spec.(", &k8s_env()),
        Err(CompileError::Syntax(_))
    ));
    let env = k8s_env().max_expression_bytes(10);
    let err = Program::compile("object.metadata.name == 'abc'", &env).unwrap_err();
    assert!(
        matches!(err, CompileError::TooLong { limit: 10, .. }),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_refused_before_parsing_not_by_the_stack() {
    let expr = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let err = Program::compile(&expr, &Env::new()).unwrap_err();
    assert!(
        matches!(err, CompileError::TooDeep { limit: 64, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("limit of 64"), "{err}");
    // Brackets inside strings do not count.
    let quoted = format!("'{}' != ''", "(".repeat(5000));
    Program::compile(&quoted, &Env::new()).unwrap();
    // Long operator chains build deep trees without brackets.
    for op in ["+", "&&", "||", "*", "=="] {
        let chain = vec!["1"; 20_000].join(op);
        let err = Program::compile(&chain, &Env::new()).unwrap_err();
        assert!(
            matches!(err, CompileError::TooManyOperators { limit: 1000, .. }),
            "{err}"
        );
        // Under both limits they compile (on a test thread's 2 MiB stack);
        // operands of the operator's type, or the checker refuses them.
        let operand = if op.len() == 2 && op != "==" {
            "true"
        } else {
            "1"
        };
        let chain = vec![operand; 200].join(op);
        Program::compile(&chain, &Env::new()).unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    // A chain deeper than the tree limit compiles to an error naming it...
    let chain = vec!["1"; 300].join("+");
    let err = Program::compile(&chain, &Env::new()).unwrap_err();
    assert!(
        matches!(err, CompileError::TreeTooDeep { limit: 250, .. }),
        "{err}"
    );
    // ...and the deepest tree allowed evaluates. Debug builds use about
    // twenty times the release stack per level, hence the thread's stack.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let chain = vec!["1"; 240].join("+");
            let p = Program::compile(&format!("{chain} > 0"), &Env::new()).unwrap();
            assert_eq!(p.eval(&Activation::new()).unwrap(), Value::Bool(true));
        })
        .unwrap()
        .join()
        .unwrap();
    let unary = format!("{}true", "!".repeat(20_000));
    assert!(Program::compile(&unary, &Env::new()).is_err());
    let select = format!("object{}", ".a".repeat(20_000));
    assert!(Program::compile(&select, &Env::new().variable("object")).is_err());
}

#[test]
fn nested_comprehensions_over_a_large_list_exceed_the_cost_limit() {
    let env = k8s_env().cost_limit(1_000_000);
    let p = Program::compile(
        "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, a.name != '' || b.name != c.name)))",
        &env,
    )
    .unwrap();
    let mut act = Activation::new();
    act.bind_json("object", &pod(3));
    assert_eq!(p.eval(&act).unwrap(), Value::Bool(true));
    // 200^3 iterations: refused before running, naming the limit.
    act.bind_json("object", &pod(200));
    let err = p.eval(&act).unwrap_err();
    assert!(
        matches!(err, EvalError::CostLimitExceeded { limit: 1_000_000, estimated } if estimated > 1_000_000),
        "{err}"
    );
    assert!(err.to_string().contains("cost limit of 1000000"), "{err}");
}

#[test]
fn growing_strings_in_a_loop_exceed_the_cost_limit() {
    // Each replace multiplies the length: the bound follows it.
    let p = Program::compile(
        "'ab'.replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').size() > 0",
        &Env::new(),
    )
    .unwrap();
    assert!(matches!(
        p.eval(&Activation::new()),
        Err(EvalError::CostLimitExceeded { .. })
    ));
    // Accumulating a list in a comprehension grows quadratically in cost.
    assert!(matches!(
        eval_on(
            "object.spec.containers.map(a, object.spec.containers.map(b, object.spec.containers.map(c, [a, b, c]))).size() > 0",
            &k8s_env(),
            &pod(300),
        ),
        Err(EvalError::CostLimitExceeded { .. })
    ));
}

#[test]
fn runtime_errors_are_typed() {
    assert!(matches!(
        eval_on("object.spec.missing == 1", &k8s_env(), &pod(1)),
        Err(EvalError::Runtime(_))
    ));
    let p = Program::compile("1 / 0 == 1", &Env::new()).unwrap();
    assert!(matches!(
        p.eval(&Activation::new()),
        Err(EvalError::Runtime(_))
    ));
}

#[test]
fn json_round_trip() {
    let v = json!({"a": [1, 2.5, "x", true, null], "b": {"c": -3}});
    assert_eq!(to_json(&from_json(&v)).unwrap(), v);
    let answer = eval_on(
        "{'n': object.a[0] + 1, 'l': object.a.size()}",
        &k8s_env(),
        &v,
    );
    assert_eq!(to_json(&answer.unwrap()).unwrap(), json!({"n": 2, "l": 5}));
}

#[test]
fn two_variable_comprehensions_over_lists_and_maps() {
    let env = k8s_env();
    let obj = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]},
                     "metadata": {"labels": {"app": "web", "tier": "db"}}});
    let mut act = Activation::new();
    act.bind_json("object", &obj);
    for (expr, want) in [
        (
            "object.spec.containers.all(i, c, c.name == ['a', 'b'][i])",
            Value::Bool(true),
        ),
        (
            "object.metadata.labels.exists(k, v, k == 'tier' && v == 'db')",
            Value::Bool(true),
        ),
        (
            "object.metadata.labels.existsOne(k, v, v.startsWith('w'))",
            Value::Bool(true),
        ),
        (
            "object.spec.containers.transformList(i, c, i > 0, c.name) == ['b']",
            Value::Bool(true),
        ),
        // The inner macro's `c` shadows the outer value variable.
        (
            "object.spec.containers.all(i, c, [1].all(c, c == 1))",
            Value::Bool(true),
        ),
    ] {
        let p = Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(p.eval(&act).unwrap(), want, "{expr}");
    }
}

#[test]
fn programs_and_activations_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Program>();
    shared::<Activation>();
    shared::<Env>();
}

#[test]
fn fields_bound_one_at_a_time_read_as_one_map() {
    let env = k8s_env().variable("variables");
    let mut act = Activation::new();
    act.bind_json("object", &pod(2));
    act.bind_json("variables", &json!({}));
    let names = Program::compile("object.spec.containers.map(c, c.name)", &env).unwrap();
    let value = names.eval_shared(&act).unwrap();
    act.bind_field("variables", "names", &value);
    act.bind_field("variables", "count", &Shared::new(Value::Int(2)).unwrap());
    // A clone shares the fields; what it adds is its own.
    let mut other = act.clone();
    other.bind_field("variables", "count", &Shared::new(Value::Int(7)).unwrap());
    for (expr, want, want_other) in [
        // A field read by name, the whole map, and a missing field.
        ("variables.names == ['c0', 'c1']", true, true),
        ("variables.count == 2", true, false),
        ("has(variables.names) && !has(variables.other)", true, true),
        ("size(variables) == 2 && 'count' in variables", true, true),
        ("variables.?other.orValue(0) == 0", true, true),
        (
            "variables == {'names': ['c0', 'c1'], 'count': 2}",
            true,
            false,
        ),
    ] {
        let p = Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(p.eval(&act).unwrap(), Value::Bool(want), "{expr}");
        assert_eq!(p.eval(&other).unwrap(), Value::Bool(want_other), "{expr}");
    }
    let missing = Program::compile("variables.other == 1", &env).unwrap();
    let err = missing.eval(&act).unwrap_err();
    assert!(err.to_string().contains("other"), "{err}");
    // The cost bound sees each field's size: a loop over the two names.
    let looped = Program::compile("variables.names.all(n, n != '')", &env).unwrap();
    let scalar = Program::compile("variables.count == 2", &env).unwrap();
    assert!(looped.estimate_cost(&act) > scalar.estimate_cost(&act));
}

#[test]
fn programs_tell_which_variables_they_read() {
    let env = k8s_env().variable("params");
    let p = Program::compile(
        "object.spec.containers.all(c, c.name != '') && oldObject == null",
        &env,
    )
    .unwrap();
    assert!(p.reads("object") && p.reads("oldObject"));
    assert!(!p.reads("params"));
    // A comprehension variable named like a declared one is not that one.
    let p = Program::compile("[1].all(params, params == 1)", &env).unwrap();
    assert!(!p.reads("params"));
    // Unchecked, any variable may be read.
    let p = Program::compile("x == 1", &Env::new().unchecked()).unwrap();
    assert!(p.reads("params"));
}

#[test]
fn programs_tell_which_sizes_their_cost_bound_reads() {
    let env = k8s_env().variable("params");
    let p = Program::compile("object.spec.containers.all(c, c.name != '')", &env).unwrap();
    assert!(p.cost_reads("object"));
    assert!(!p.cost_reads("oldObject") && !p.cost_reads("params"));
    let p = Program::compile("[1].all(params, params == 1)", &env).unwrap();
    assert!(!p.cost_reads("params"));
    // A type name is bounded by the largest value bound: every one counts.
    let p = Program::compile("type(object) == map", &env).unwrap();
    assert!(p.cost_reads("params"));
    let p = Program::compile("x == 1", &Env::new().unchecked()).unwrap();
    assert!(p.cost_reads("params"));
}
