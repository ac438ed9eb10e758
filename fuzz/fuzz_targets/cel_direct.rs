//! CEL text compiled as policies compile it, then evaluated on a few objects
//! twice: as `Program::eval` does (the direct evaluator first, the engine when
//! it gives up) and by the engine alone. The two must give the same value or
//! the same error text; nothing may panic or run away.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use vigie_cel::{Activation, Env, Program, Shared};

#[path = "../../crates/vigie-cel/tests/support/outcome.rs"]
mod outcome;
use outcome::text;

/// The environment: the variables admission policies read, checked.
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        Env::new()
            .variable("object")
            .variable("oldObject")
            .variable("request")
            .variable("variables")
    })
}

/// Objects of the usual shapes and of odd ones (nulls, wrong types, extremes),
/// each with `variables` bound field by field, as policies bind them.
fn activations() -> &'static [Activation] {
    static ACTIVATIONS: OnceLock<Vec<Activation>> = OnceLock::new();
    ACTIVATIONS.get_or_init(|| {
        let objects = [
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "labels": {"app": "web", "tier": ""}},
                "spec": {"hostNetwork": false, "replicas": 3,
                    "securityContext": {"runAsNonRoot": true, "sysctls": [{"name": "kernel.shm_rmid_forced"}]},
                    "containers": [
                        {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "hostPort": 0}],
                         "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                             "allowPrivilegeEscalation": false}},
                        {"name": "side", "securityContext": null}],
                    "initContainers": [{"name": "init", "securityContext": {"privileged": true}}],
                    "volumes": [{"name": "v", "hostPath": {"path": "/"}}, {}]}}),
            json!({"metadata": {"name": "é\u{1F600}"},
                "spec": {"containers": [{"securityContext": {"capabilities": {"add": ["", 3, null]}}}, "x", null],
                    "replicas": 9223372036854775807i64, "ratio": 1.5, "big": 18446744073709551615u64,
                    "hostPID": "yes", "securityContext": {"seccompProfile": {"type": null}}}}),
            json!({"spec": null}),
            json!([]),
        ];
        objects
            .iter()
            .map(|object| {
                let mut act = Activation::new();
                act.bind_json("object", object);
                act.bind_json("oldObject", &json!(null));
                act.bind_json("request", &json!({"operation": "CREATE",
                    "userInfo": {"username": "alice", "groups": ["dev", 3]}}));
                let containers = object.pointer("/spec/containers").cloned().unwrap_or(json!(null));
                for (name, value) in [
                    ("allowed", json!(["NET_BIND_SERVICE", "CHOWN", ""])),
                    ("count", json!(3)),
                    ("containers", containers),
                ] {
                    act.bind_field("variables", name, &Shared::from_json(&value));
                }
                act
            })
            .collect()
    })
}


fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(program) = Program::compile(expr, env()) else {
        return;
    };
    for act in activations() {
        let direct = text(program.eval(act));
        let engine = text(program.eval_by_engine(act));
        assert_eq!(direct, engine, "{expr}");
    }
});
