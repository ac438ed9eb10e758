//! The cost bound on realistic large objects: ordinary policies are accepted
//! well under Kubernetes' limit of 1,000,000 units, runaway shapes are refused
//! before they run. Each expression's figure before the size tree (a
//! variable's bound was the longest list and string anywhere in it) and after
//! is written next to it; `EXPRS` pins the figures within a factor of two, so
//! that a change to the estimator shows here.

use serde_json::{json, Value as Json};
use vigie_cel::{Activation, Env, EvalError, Program, Value};

const LIMIT: u64 = 1_000_000;

fn env() -> Env {
    Env::new()
        .variable("object")
        .variable("oldObject")
        .cost_limit(LIMIT)
}

/// A Pod of 100 containers with 10 env vars each, 300 labels and a 10 KB
/// `last-applied-configuration` annotation.
fn big_pod() -> Json {
    let labels: serde_json::Map<String, Json> = (0..300)
        .map(|i| {
            (
                format!("team.example.org/label-{i}"),
                json!(format!("value-{i}")),
            )
        })
        .collect();
    let containers: Vec<Json> = (0..100)
        .map(|i| {
            let env: Vec<Json> = (0..10)
                .map(|j| json!({"name": format!("VAR_{j}"), "value": format!("v{i}-{j}")}))
                .collect();
            json!({
                "name": format!("app-{i}"),
                "image": format!("registry.example.org/app@sha256:{:064}", i),
                "env": env,
                "ports": [{"containerPort": 8080 + i, "protocol": "TCP"}],
                "securityContext": {"privileged": false, "runAsNonRoot": true,
                    "capabilities": {"drop": ["ALL"]}},
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}
            })
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "big",
            "namespace": "default",
            "labels": labels,
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(10_000),
                "owner": "team-a"
            }
        },
        "spec": {"hostNetwork": false, "containers": containers}
    })
}

/// A List of 50 Deployments of 5 containers each.
fn deployment_list() -> Json {
    let items: Vec<Json> = (0..50)
        .map(|i| {
            let containers: Vec<Json> = (0..5)
                .map(|j| {
                    json!({"name": format!("c{j}"), "image": format!("nginx:1.{j}"),
                    "resources": {"limits": {"memory": "128Mi"}}})
                })
                .collect();
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("d{i}"), "labels": {"app": format!("d{i}")},
                    "annotations": {"note": "y".repeat(2_000)}},
                "spec": {"replicas": 2, "template": {"spec": {"containers": containers}}}})
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

fn estimate(expr: &str, object: &Json) -> (u64, Result<Value, EvalError>) {
    let p = Program::compile(expr, &env()).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut act = Activation::new();
    act.bind_json("object", object)
        .bind_json("oldObject", object);
    (p.estimate_cost(&act), p.eval(&act))
}

/// (expression, estimate before, estimate after) on [`big_pod`]: every one
/// was refused before.
const POD_EXPRS: &[(&str, u64, u64)] = &[
    ("object.all(k, k != '')", 235_562_403, 35),
    ("object.metadata.labels.all(k, k.size() <= 63)", 235_952_705, 3_305),
    ("object.metadata.labels.all(k, v, v.matches('^[a-z0-9.-]*$'))", 2_200_473_147_815, 4_515),
    ("object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)", 237_905_705, 1_905),
    ("object.spec.containers.all(c, c.env.all(e, !e.name.startsWith('AWS_')))", 141_572_072_705, 10_905),
    ("object.spec.containers.map(c, c.image).all(i, i.contains('@sha256:'))", 6_381_532_290_064_507, 12_725),
    ("object.spec.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))", 141_924_513_905, 2_605),
    ("object.spec.containers.all(c, has(c.securityContext.capabilities) && 'ALL' in c.securityContext.capabilities.drop)", 236_344_505, 1_605),
    ("object.spec.containers.exists(c, c.name == 'sidecar')", 352_953_005, 1_005),
    ("object.spec.containers.filter(c, c.image.endsWith(':latest')).size() == 0", 354_516_208, 12_408),
    // These two passed before too.
    ("'app' in object.metadata.labels", 1_305, 6),
    ("!has(object.spec.hostNetwork) || object.spec.hostNetwork == false", 5_210, 10),
];

/// The same on [`deployment_list`].
const LIST_EXPRS: &[(&str, u64, u64)] = &[
    ("object.items.all(d, d.spec.template.spec.containers.all(c, has(c.resources.limits.memory)))", 130_060_604, 2_854),
    ("object.items.map(d, d.metadata.name).all(n, n.size() < 64)", 165_976_985_856, 3_465),
];

fn check(object: &Json, exprs: &[(&str, u64, u64)]) {
    for &(e, _before, after) in exprs {
        let (n, r) = estimate(e, object);
        assert!(r.is_ok(), "{e}: {r:?}");
        assert!(
            n >= after / 2 && n <= after * 2,
            "{e}: estimated {n}, expected about {after}"
        );
    }
}

#[test]
fn pod_security_and_kyverno_expressions_on_a_large_pod_are_accepted() {
    check(&big_pod(), POD_EXPRS);
}

#[test]
fn nested_checks_over_a_deployment_list_are_accepted() {
    check(&deployment_list(), LIST_EXPRS);
}

#[test]
fn runaway_expressions_on_a_large_pod_are_refused() {
    for e in [
        // 100^3 iterations.
        "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, a.name != b.name || b.name != c.name)))",
        // 100 x 300 copies of a 10 KB string.
        "object.spec.containers.all(c, object.metadata.labels.all(k, (k + object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).size() > 0))",
        // A list of a hundred million elements.
        "lists.range(100000000).size() > 0",
        // Each replace multiplies the annotation's length.
        "object.metadata.annotations.all(k, v, v.replace('x', 'xxxxxxxxxx').replace('x', 'xxxxxxxxxx').replace('x', 'xxxxxxxxxx').size() > 0)",
    ] {
        let (n, r) = estimate(e, &big_pod());
        assert!(n > LIMIT, "{e}: {n}");
        assert!(
            matches!(r, Err(EvalError::CostLimitExceeded { estimated, .. }) if estimated == n),
            "{e}: {r:?}"
        );
    }
}

#[test]
fn a_bound_cached_on_small_objects_does_not_let_a_runaway_through_on_a_large_one() {
    // The flat bound of a small Pod is cached for the program; a large Pod
    // has another flat bound, so the precise estimate decides again.
    let e = "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, a.name != b.name || b.name != c.name)))";
    let p = Program::compile(e, &env()).unwrap();
    let small = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
    for _ in 0..3 {
        let mut act = Activation::new();
        act.bind_json("object", &small);
        assert_eq!(p.eval(&act).unwrap(), Value::Bool(false));
    }
    let mut act = Activation::new();
    act.bind_json("object", &big_pod());
    assert!(
        matches!(p.eval(&act), Err(EvalError::CostLimitExceeded { estimated, .. }) if estimated > LIMIT)
    );
}

#[test]
fn constant_variables_are_computed_once_and_others_per_activation() {
    let constant = Program::compile("['a', 'b'].map(x, x + '!')", &env()).unwrap();
    let per_object = Program::compile("object.spec.containers.map(c, c.name)", &env()).unwrap();
    let names = |n: &str| json!({"spec": {"containers": [{"name": n}]}});
    let mut first = Activation::new();
    first.bind_json("object", &names("web"));
    let mut second = Activation::new();
    second.bind_json("object", &names("db"));
    let bind = |act: &Activation, p: &Program| {
        let mut out = Activation::new();
        out.bind_shared("v", &p.eval_shared(act).unwrap());
        Program::compile("v", &Env::new().variable("v"))
            .unwrap()
            .eval(&out)
            .unwrap()
    };
    assert_eq!(bind(&first, &constant), bind(&second, &constant));
    assert_eq!(
        bind(&second, &per_object),
        Value::List(std::sync::Arc::new(vec![Value::String(
            std::sync::Arc::new("db".into())
        )]))
    );
    assert_ne!(bind(&first, &per_object), bind(&second, &per_object));
}
