//! The direct evaluator (tried first by `Program::eval`) against the engine
//! alone (`Program::eval_by_engine`): for every expression over every
//! object, the same value or the same error text, checked and unchecked
//! environments alike.

use serde_json::json;
use vigie_cel::{Activation, Env, Program, Shared};

mod support {
    pub mod outcome;
}
use support::outcome::text;

/// Expressions in the shapes of Kubernetes' Pod Security policies, and
/// around them: what the direct evaluator covers, and what it leaves to
/// the engine (errors, mixed kinds, unusual values).
const EXPRESSIONS: &[&str] = &[
    // Selections, presence, optionals.
    "object.spec.hostNetwork",
    "object.spec.replicas",
    "object.spec.missing",
    "object.metadata.name",
    "object.metadata",
    "object.spec.containers",
    "has(object.spec.hostNetwork)",
    "has(object.spec.missing)",
    "has(object.spec.containers)",
    "has(object.metadata.name.first)",
    "has(object.spec.none.x)",
    "object.spec.none",
    "object.spec.none == null",
    "null == null",
    "object.spec.?hostPID.orValue(false)",
    "object.spec.?hostPID.orValue(false) == false",
    "object.spec.?securityContext.?seccomp.?kind.hasValue()",
    "object.spec.?securityContext.?seccomp.?kind.orValue('none')",
    "object.spec.?missing.?deeper.orValue(1)",
    "object.spec.?replicas",
    "object.spec.?missing",
    "object.?spec.?replicas.orValue(0) > 1",
    "object.spec.?missing.orValue(object.spec.missing)",
    "object.metadata.name.?first.orValue('x')",
    "object.spec.?securityContext.runAsUser.orValue(7)",
    "object.spec.?securityContext.missing.orValue(7)",
    "has(object.spec.?securityContext.runAsUser)",
    "object.spec.?replicas.orValue(0)",
    "object.spec.containers.orValue([])",
    "object.spec.replicas.orValue(0)",
    "(object.spec.containers + []).orValue([])",
    "optional.of(1).orValue(2)",
    "optional.none().orValue(object.spec.replicas)",
    // Comparisons of scalars, and of mixed kinds.
    "object.spec.replicas > 0",
    "object.spec.replicas >= 3 && object.spec.replicas <= 5",
    "object.spec.replicas == 3",
    "object.spec.replicas != 3",
    "object.spec.replicas == 3u",
    "object.spec.replicas == 3.0",
    "object.spec.replicas < 2.5",
    "object.spec.ratio < 1.0",
    "object.spec.ratio == 0.5",
    "object.spec.big > 0u",
    "object.spec.big == 18446744073709551615u",
    "object.spec.big > 0",
    "object.metadata.name < 'x'",
    "object.metadata.name >= 'é'",
    "'é' > 'z'",
    "'\u{1F600}' > '\u{FFFF}'",
    "object.metadata.name == 'web'",
    "object.metadata.name == 1",
    "object.spec.hostNetwork == false",
    "object.spec.hostNetwork < true",
    "object.spec.containers == object.spec.containers",
    "object.spec.containers[0] == object.spec.containers[0]",
    "object.metadata.labels == {'app': 'web'}",
    "object.spec.none != null",
    "1.0 / 0.0 > 1.0",
    "(0.0 / 0.0) == (0.0 / 0.0)",
    "(0.0 / 0.0) != (0.0 / 0.0)",
    "(0.0 / 0.0) < 1.0",
    // Logic, and errors under it.
    "object.spec.missing || true",
    "true || object.spec.missing",
    "object.spec.missing && false",
    "false && object.spec.missing",
    "object.spec.missing || false",
    "object.spec.replicas || true",
    "!object.spec.hostNetwork",
    "!object.spec.replicas",
    "!has(object.spec.securityContext) || !has(object.spec.securityContext.runAsUser) || object.spec.securityContext.runAsUser > 0",
    "object.spec.hostNetwork ? 'host' : 'pod'",
    "object.spec.replicas ? 1 : 2",
    "has(object.spec.missing) ? object.spec.missing : []",
    // `in`, `size()`, strings.
    "object.metadata.name in ['web', 'db']",
    "object.metadata.name in ['api']",
    "object.spec.replicas in [1, 2, 3]",
    "object.spec.replicas in [1u, 3u]",
    "object.spec.replicas in ['3', 3.0]",
    "object.spec.replicas in object.spec.ports",
    "'app' in object.metadata.labels",
    "'nope' in object.metadata.labels",
    "1 in object.metadata.labels",
    "object.metadata.name in variables.names",
    "size(object.spec.containers)",
    "size(object.metadata.name)",
    "object.metadata.name.size()",
    "size(object.metadata.labels)",
    "size(object.spec.replicas)",
    "size(object.spec.containers) == 0",
    "object.metadata.name.startsWith('we')",
    "object.metadata.name.endsWith('b')",
    "object.metadata.name.contains('é')",
    "object.spec.replicas.startsWith('3')",
    // Arithmetic, lists joined.
    "object.spec.replicas + 1",
    "object.spec.replicas + 9223372036854775807",
    "object.spec.big + 1u",
    "object.spec.ratio + 0.25",
    "object.metadata.name + '!'",
    "object.spec.containers + object.spec.?initContainers.orValue([])",
    "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
    "size(object.spec.containers + object.spec.containers)",
    "(object.spec.containers + object.spec.containers).all(c, has(c.name))",
    "object.spec.containers + object.metadata.labels",
    "[1, 2] + [3]",
    "[]",
    "['a', 'b']",
    "[1, 'a', 2.5, null, true]",
    // Comprehensions.
    "object.spec.containers.all(c, c.?securityContext.?privileged.orValue(false) == false)",
    "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsUser) || c.securityContext.runAsUser > 0)",
    "object.spec.containers.exists(c, c.name == 'b')",
    "object.spec.containers.exists_one(c, c.name.startsWith('a'))",
    "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))",
    "object.spec.containers.all(c, c.?securityContext.?capabilities.?add.orValue([]).all(x, x == '' || x in ['CHOWN', 'KILL']))",
    "object.spec.containers.all(c, c.securityContext.runAsUser > 0)",
    "object.spec.containers.exists(c, c.securityContext.runAsUser > 0)",
    "object.spec.containers.all(c, c.name in variables.names)",
    "object.spec.?volumes.orValue([]).all(v, size(v) == 0 || !has(v.hostPath))",
    "object.spec.?volumes.orValue([]).exists(v, has(v.hostPath))",
    "object.metadata.labels.all(k, k.size() > 1)",
    "object.metadata.labels.exists(k, object.metadata.labels[k] == 'web')",
    "object.spec.replicas.all(x, x > 0)",
    "object.spec.containers.map(c, c.name)",
    "object.spec.containers.filter(c, has(c.ports))",
    "[1, 2, 3].all(x, x > 0)",
    "[1, 'a'].all(x, x > 0)",
    "[1, 'a'].exists(x, x == 1)",
    "[0, 1].exists_one(x, x > 5)",
    "object.spec.containers.all(c, object.spec.containers.exists(d, d.name == c.name))",
    "object.spec.containers.all(c, c.all(k, k != ''))",
    "cel.bind(n, object.metadata.name, n + n == 'webweb')",
    "cel.bind(n, object.spec.replicas, n > 2)",
    // Variables, whole and by field.
    "variables.names",
    "variables.count > 2",
    "has(variables.count)",
    "has(variables.missing)",
    "variables.?count.orValue(0)",
    "variables.missing",
    "variables.containers.all(c, has(c.name))",
    "variables.containers.exists(c, c.?ports.orValue([]).exists(p, p.containerPort == 80))",
    "size(variables.containers)",
    "object.spec.containers[0].name",
    "object.spec.containers[1u].name",
    "object.spec.containers[2].name",
    "object.spec.containers[-1]",
    "object.spec.containers[0.0]",
    "object.metadata.labels['app']",
    "object.metadata.labels['nope']",
    "object.metadata.labels[0]",
    "(object.spec.containers + object.spec.containers)[3].name",
    "request.userInfo.username == 'alice'",
    "request.userInfo.groups.exists(g, g == 'system:masters')",
];

/// Objects of the shapes the expressions read, and of others: fields
/// missing, null, of other types, numbers of every kind, unicode.
fn objects() -> Vec<serde_json::Value> {
    vec![
        json!({
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {
                "containers": [
                    {"name": "a", "securityContext": {"runAsUser": 1000, "privileged": false,
                        "capabilities": {"add": ["CHOWN"]}}},
                    {"name": "b", "ports": [{"containerPort": 80, "hostPort": 0}]}
                ],
                "hostNetwork": false,
                "replicas": 3,
                "ratio": 0.5,
                "big": 18446744073709551615u64,
                "none": null,
                "ports": [1, 2, 3],
                "volumes": [{"name": "v", "emptyDir": {}}, {}]
            }
        }),
        json!({
            "metadata": {"name": "é\u{1F600}", "labels": {}},
            "spec": {
                "containers": [
                    {"name": "a", "securityContext": {"runAsUser": 0, "privileged": true}},
                    {"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}]}
                ],
                "initContainers": [{"name": "init"}],
                "hostNetwork": true,
                "hostPID": true,
                "replicas": -1,
                "ratio": -0.0,
                "big": 0,
                "securityContext": {"runAsUser": 0, "seccomp": {"kind": "Localhost"}},
                "volumes": [{"name": "h", "hostPath": {"path": "/"}}]
            }
        }),
        json!({
            "metadata": {"name": "", "labels": {"a": "web"}},
            "spec": {
                "containers": [],
                "hostNetwork": "yes",
                "replicas": "3",
                "ratio": 1,
                "big": 1.5,
                "securityContext": {"runAsUser": "root"},
                "ports": ["1", 3.0]
            }
        }),
        json!({
            "metadata": {"name": 7},
            "spec": {
                "containers": [{"name": 1, "securityContext": null,
                    "ports": [{"hostPort": 0.0}, {"hostPort": 1u64 << 63}]}],
                "hostNetwork": null,
                "hostPID": "no",
                "replicas": 9223372036854775807i64,
                "ratio": 1e308,
                "volumes": []
            }
        }),
        json!({
            "metadata": {"name": "db", "labels": {"app": "db"}},
            "spec": {
                "containers": [
                    {"name": "c", "securityContext": {"capabilities": {"add": ["", "KILL", 3]}}},
                    "not a map",
                    {"name": "d", "securityContext": {"runAsUser": 5}, "ports": null}
                ],
                "replicas": 1.5,
                "securityContext": {"seccomp": null}
            }
        }),
        json!({"spec": null}),
        json!({}),
        json!([]),
        json!("a string"),
    ]
}

/// Binds `object`, `request` and `variables` (by field, as policies do, or
/// whole).
fn activation(object: &serde_json::Value, variables_by_field: bool) -> Activation {
    let mut act = Activation::new();
    act.bind_json("object", object);
    act.bind_json(
        "request",
        &json!({"userInfo": {"username": "alice", "groups": ["dev", 3]}}),
    );
    let containers = object
        .get("spec")
        .and_then(|s| s.get("containers"))
        .cloned()
        .unwrap_or(json!(null));
    let variables = json!({
        "names": ["a", "b", "web"],
        "count": 3,
        "containers": containers,
    });
    if variables_by_field {
        for (k, v) in variables.as_object().expect("a map") {
            act.bind_field("variables", k, &Shared::from_json(v));
        }
    } else {
        act.bind_json("variables", &variables);
    }
    act
}

#[test]
fn direct_evaluation_gives_the_engines_values_and_errors() {
    let env = Env::new()
        .variable("object")
        .variable("request")
        .variable("variables");
    let mut compared = 0;
    for checked in [true, false] {
        let env = if checked {
            env.clone()
        } else {
            env.clone().unchecked()
        };
        for expr in EXPRESSIONS {
            let program = Program::compile(expr, &env).unwrap_or_else(|e| panic!("{expr}: {e}"));
            for object in objects() {
                for by_field in [true, false] {
                    let act = activation(&object, by_field);
                    let want = text(program.eval_by_engine(&act));
                    let got = text(program.eval(&act));
                    assert_eq!(got, want, "{expr} on {object} (checked: {checked})");
                    // The shared result, bound and read back, is the same
                    // value too.
                    if let Ok(shared) = program.eval_shared(&act) {
                        let mut read = Activation::new();
                        read.bind_shared("v", &shared);
                        let v = Program::compile("v", &Env::new().variable("v")).expect("compiles");
                        assert_eq!(text(v.eval_by_engine(&read)), want, "{expr} on {object}");
                    }
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 2 * EXPRESSIONS.len() * objects().len() * 2);
}

#[test]
fn the_policy_subset_has_a_direct_form() {
    let env = Env::new()
        .variable("object")
        .variable("request")
        .variable("variables");
    let outside = [
        "object.metadata.labels == {'app': 'web'}",
        "object.spec.containers.map(c, c.name)",
        "object.spec.containers.filter(c, has(c.ports))",
        "(0.0 / 0.0) == (0.0 / 0.0)",
        "(0.0 / 0.0) != (0.0 / 0.0)",
        "(0.0 / 0.0) < 1.0",
        "1.0 / 0.0 > 1.0",
        "optional.of(1).orValue(2)",
        "optional.none().orValue(object.spec.replicas)",
    ];
    let wrong: Vec<String> = EXPRESSIONS
        .iter()
        .filter_map(|expr| {
            let program = Program::compile(expr, &env).expect("compiles");
            let form = program.fast_form();
            (form.is_err() != outside.contains(expr)).then(|| format!("{expr}: {form:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
