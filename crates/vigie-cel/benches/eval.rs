//! Evaluation speed: compile once, evaluate many times, a typical Kubernetes
//! expression on a three-container Pod. Prints ns per evaluation for
//! vigie-cel (cost bound included) and for the bare engine.
//!
//! `cargo bench -p vigie-cel`

use std::hint::black_box;
use std::time::Instant;

const EXPR: &str = "object.spec.containers.all(c, has(c.securityContext) && c.securityContext.runAsNonRoot == true)";

const POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"frontend"}},
 "spec":{"containers":[
  {"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}],"securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}},"resources":{"limits":{"cpu":"500m","memory":"128Mi"}}},
  {"name":"sidecar","image":"envoy:1.29","securityContext":{"runAsNonRoot":true,"readOnlyRootFilesystem":true}},
  {"name":"log","image":"fluent-bit:3","securityContext":{"runAsNonRoot":true}}],
  "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}}"#;

const ROUNDS: u32 = 200_000;

fn time(label: &str, f: impl FnMut() -> bool) {
    time_n(label, ROUNDS, f)
}

fn time_n(label: &str, rounds: u32, mut f: impl FnMut() -> bool) {
    for _ in 0..rounds.min(1000) {
        assert!(f());
    }
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(f());
    }
    let ns = start.elapsed().as_nanos() / u128::from(rounds);
    println!("{label:<40} {ns:>6} ns/eval");
}

fn main() {
    let pod: serde_json::Value = serde_json::from_str(POD).expect("pod JSON");
    let env = vigie_cel::Env::new().variable("object");
    // Compiling (parse, checks, and the engine's environment) is once per
    // policy load, not per resource: fewer rounds.
    time_n("vigie-cel compile", 5_000, || {
        vigie_cel::Program::compile(black_box(EXPR), &env).is_ok()
    });
    let program = vigie_cel::Program::compile(EXPR, &env).expect("compiles");
    let mut act = vigie_cel::Activation::new();
    act.bind_json("object", &pod);
    time("vigie-cel (cost bound + eval)", || {
        matches!(program.eval(&act), Ok(vigie_cel::Value::Bool(true)))
    });

    let engine = std::sync::Arc::new(cel::Env::stdlib());
    let bare = engine.compile(EXPR).expect("compiles");
    let mut ctx = cel::Context::with_env(engine);
    ctx.add_variable_from_value("object", vigie_cel::from_json(&pod));
    time("cel 0.15 (bare engine)", || {
        matches!(bare.execute(&ctx), Ok(cel::Value::Bool(true)))
    });
}
