//! Kubernetes' CEL libraries registered by `vigie_cel::k8s`.

use serde_json::json;
use vigie_cel::{Activation, Env, Program, Value};

fn eval(expr: &str, object: serde_json::Value) -> Result<Value, String> {
    let p = Program::compile(expr, &Env::new().variable("object")).map_err(|e| e.to_string())?;
    let mut act = Activation::new();
    act.bind_json("object", &object);
    p.eval(&act).map_err(|e| e.to_string())
}

#[test]
fn regex_find_and_find_all() {
    let o = json!({"image": "registry.io/team/app:1.2.3"});
    assert_eq!(
        eval("object.image.find('[0-9]+[.][0-9]+')", o.clone()),
        Ok(Value::String("1.2".to_string().into()))
    );
    assert_eq!(
        eval("object.image.find('zzz')", o.clone()),
        Ok(Value::String(String::new().into()))
    );
    assert_eq!(
        eval(
            "object.image.findAll('[0-9]') == ['1', '2', '3']",
            o.clone()
        ),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("object.image.findAll('[0-9]', 2) == ['1', '2']", o.clone()),
        Ok(Value::Bool(true))
    );
    let bad = eval("object.image.find('(')", o).unwrap_err();
    assert!(bad.contains("find"), "{bad}");
}

#[test]
fn or_value_on_present_lists_and_maps_and_optionals() {
    let o = json!({"mounts": [{"name": "a"}], "labels": {"x": "y"}});
    assert_eq!(
        eval("object.mounts.orValue([]).size()", o.clone()),
        Ok(Value::Int(1))
    );
    assert_eq!(
        eval("object.labels.orValue({}).size()", o.clone()),
        Ok(Value::Int(1))
    );
    assert_eq!(
        eval("object.?missing.orValue([]).size()", o.clone()),
        Ok(Value::Int(0))
    );
    // A present scalar is no optional: still an error, as in cel-go.
    assert!(eval("object.mounts[0].name.orValue('b')", o).is_err());
}

#[test]
fn sets_contains_equivalent_intersects() {
    let o = json!({"caps": ["NET_RAW", "CHOWN"], "n": [1, 2]});
    for (expr, want) in [
        ("sets.contains(object.caps, ['CHOWN'])", true),
        ("sets.contains(object.caps, ['CHOWN', 'KILL'])", false),
        ("sets.contains(object.caps, [])", true),
        (
            "sets.equivalent(object.caps, ['CHOWN', 'NET_RAW', 'CHOWN'])",
            true,
        ),
        ("sets.equivalent(object.caps, ['CHOWN'])", false),
        ("sets.intersects(object.caps, ['KILL', 'NET_RAW'])", true),
        ("sets.intersects(object.caps, [])", false),
        ("sets.contains(object.n, [2.0])", true),
    ] {
        assert_eq!(eval(expr, o.clone()), Ok(Value::Bool(want)), "{expr}");
    }
}

#[test]
fn lists_positions_order_and_extremes() {
    let o = json!({"n": [3, 1, 2, 1], "s": ["a", "b", "c"], "e": []});
    for (expr, want) in [
        ("object.n.indexOf(1) == 1", true),
        ("object.n.lastIndexOf(1) == 3", true),
        ("object.n.indexOf(9) == -1", true),
        ("object.n.isSorted()", false),
        ("object.s.isSorted()", true),
        ("object.n.min() == 1 && object.n.max() == 3", true),
        ("object.s.max() == 'c'", true),
        ("'banana'.indexOf('n') == 2", true),
    ] {
        assert_eq!(eval(expr, o.clone()), Ok(Value::Bool(want)), "{expr}");
    }
    let empty = eval("object.e.min()", o).unwrap_err();
    assert!(empty.contains("empty list"), "{empty}");
}
