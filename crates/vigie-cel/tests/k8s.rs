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

fn is_true(expr: &str) {
    assert_eq!(eval(expr, json!({})), Ok(Value::Bool(true)), "{expr}");
}

fn fails_with(expr: &str, needle: &str) {
    let e = eval(expr, json!({})).expect_err(expr);
    assert!(e.contains(needle), "{expr}: {e}");
}

#[test]
fn lists_sum() {
    is_true("[1, 2, 3].sum() == 6");
    is_true("[1.5, 2.5].sum() == 4.0");
    is_true("[].sum() == 0");
    is_true("[duration('1s'), duration('2s')].sum() == duration('3s')");
    fails_with("['a', 'b'].sum()", "sum");
    fails_with("[9223372036854775807, 1].sum()", "verflow");
}

#[test]
fn urls() {
    is_true("url('https://example.com:8443/a%20b?x=1&x=2&y=z+w').getScheme() == 'https'");
    is_true("url('https://example.com:8443/a').getHost() == 'example.com:8443'");
    is_true("url('https://example.com:8443/a').getHostname() == 'example.com'");
    is_true("url('https://example.com:8443/a').getPort() == '8443'");
    is_true("url('https://example.com/a%20b').getEscapedPath() == '/a%20b'");
    is_true(
        "url('https://[::1]:80/').getHostname() == '::1' && url('https://[::1]/').getPort() == ''",
    );
    is_true("url('https://h/?x=1&x=2&y=z+w').getQuery() == {'x': ['1', '2'], 'y': ['z w']}");
    is_true("url('/just/a/path').getHost() == '' && url('/just/a/path').getEscapedPath() == '/just/a/path'");
    is_true("isURL('https://example.com') && !isURL('example.com') && !isURL('') && !isURL('https://h/%zz')");
    is_true("!isURL('https://h:port/')");
    fails_with("url('not a url')", "URL parse error");
}

#[test]
fn quantities() {
    is_true("quantity('1Ki') == quantity('1024')");
    is_true("quantity('500m').isLessThan(quantity('1')) && quantity('2Gi').isGreaterThan(quantity('2G'))");
    is_true("quantity('1.5').compareTo(quantity('1500m')) == 0");
    is_true("quantity('0.1').add(quantity('0.2')) == quantity('300m')");
    is_true("quantity('1').add(2) == quantity('3') && quantity('1').sub(3).sign() == -1");
    is_true("quantity('5Gi').isInteger() && quantity('5Gi').asInteger() == 5368709120");
    is_true("!quantity('1500m').isInteger() && quantity('1500m').asApproximateFloat() == 1.5");
    is_true("isQuantity('250m') && !isQuantity('250 m') && !isQuantity('1Gb')");
    fails_with(
        "quantity('1500m').asInteger()",
        "cannot convert value to integer",
    );
    fails_with("quantity('abc')", "quantities must match");
}

#[test]
fn semantic_versions() {
    is_true("semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3");
    is_true("semver('1.2.3').isLessThan(semver('1.10.0'))");
    is_true("semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))");
    is_true("semver('1.0.0-alpha.2').isLessThan(semver('1.0.0-alpha.10'))");
    is_true("semver('1.0.0+build.1').compareTo(semver('1.0.0')) == 0");
    is_true("semver('2.0.0').isGreaterThan(semver('1.99.99'))");
    is_true("isSemver('1.2.3') && !isSemver('v1.2.3') && !isSemver('1.2') && !isSemver('01.2.3')");
    is_true("isSemver('v1.2', true) && semver('v01.2', true) == semver('1.2.0')");
    fails_with("semver('1.2')", "invalid semver");
}

#[test]
fn the_checker_knows_the_libraries_types() {
    let env = Env::new().variable("object");
    let typed = |e: &str| {
        Program::compile(e, &env)
            .map(|p| p.result_type().to_string())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        typed("quantity('1').add(1)").as_deref(),
        Ok("kubernetes.Quantity")
    );
    assert_eq!(typed("semver('1.0.0').major()").as_deref(), Ok("int"));
    assert_eq!(
        typed("url('/a').getQuery()").as_deref(),
        Ok("map(string, list(string))")
    );
    assert_eq!(typed("image('nginx').registry()").as_deref(), Ok("string"));
    let wrong = typed("quantity('1').isLessThan(semver('1.0.0'))").unwrap_err();
    assert!(wrong.contains("type error"), "{wrong}");
}

#[test]
fn formats_validate_to_optional_reasons() {
    is_true("!format.dns1123Label().validate('my-name').hasValue()");
    is_true("format.dns1123Label().validate('My_Name').value().size() == 1");
    is_true("format.named('uuid').hasValue() && !format.named('nope').hasValue()");
    is_true("format.named('labelValue').value().validate('-x').hasValue()");
    is_true("format.qualifiedName().validate('a/b/c').value()[0].startsWith('a qualified name')");
    assert_eq!(
        Program::compile("format.uri().validate('/a')", &Env::new())
            .map(|p| p.result_type().to_string())
            .map_err(|e| e.to_string())
            .as_deref(),
        Ok("optional_type(list(string))")
    );
}

/// Allows `get` on core `pods` in `shop` to `alice` and to service
/// accounts of `shop`; everything else is denied.
#[derive(Debug)]
struct Shop;

impl vigie_cel::k8s::authz::Authorize for Shop {
    fn authorize(&self, q: &vigie_cel::k8s::authz::AuthzQuery) -> vigie_cel::k8s::authz::Decision {
        let who = q.user == "alice" || q.groups.iter().any(|g| g == "system:serviceaccounts:shop");
        let allowed = who
            && q.verb == "get"
            && q.group.is_empty()
            && q.resource == "pods"
            && q.namespace == "shop";
        vigie_cel::k8s::authz::Decision {
            allowed,
            reason: if allowed {
                "shop reader".into()
            } else {
                String::new()
            },
            error: String::new(),
        }
    }
}

#[test]
fn authorizer_checks_go_to_the_given_source() {
    let env = Env::new().variable("authorizer");
    let run = |user: &str, expr: &str| {
        let p = Program::compile(expr, &env).map_err(|e| e.to_string())?;
        let mut act = Activation::new();
        act.bind(
            "authorizer",
            vigie_cel::k8s::authz::authorizer(std::sync::Arc::new(Shop), user, &[]),
        )
        .map_err(|e| e.to_string())?;
        p.eval(&act).map_err(|e| e.to_string())
    };
    let yes = Ok(Value::Bool(true));
    let pods = "authorizer.group('').resource('pods').namespace('shop')";
    assert_eq!(run("alice", &format!("{pods}.check('get').allowed()")), yes);
    assert_eq!(
        run(
            "alice",
            &format!("{pods}.check('get').reason() == 'shop reader'")
        ),
        yes
    );
    assert_eq!(run("bob", &format!("!{pods}.check('get').allowed()")), yes);
    assert_eq!(
        run("alice", &format!("!{pods}.check('delete').allowed()")),
        yes
    );
    assert_eq!(
        run("bob", "authorizer.serviceAccount('shop', 'web').group('').resource('pods').namespace('shop').check('get').allowed()"),
        yes
    );
    assert_eq!(
        run(
            "alice",
            "!authorizer.path('/healthz').check('get').errored()"
        ),
        yes
    );
}
