//! Benchmark: applies a directory of policies to generated workloads and reports
//! resources per second and per-resource evaluation latency (median, p99).
//!
//! `cargo run --release -p vigie-policy --example policy_bench -- POLICY_PATH... [COUNT]`
//!
//! A path is a policy directory (searched recursively, test folders left out) or a
//! file. When the policies have mutate rules, the mutate pass (`vigie_policy::mutate`,
//! every policy in order) is timed per resource too, apart from validation; with
//! `POLICY_BENCH_ERRORS` set, each mutate error is printed.

use std::time::Instant;

/// The vigie binary's allocator (`vigie policy apply`, the admission
/// webhook), so that the figures are the product's: under glibc's malloc the
/// same evaluations take about a third longer (bench/policy/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::{json, Value as Json};
use vigie_policy::{evaluate_in, load_policies, mutate, PolicyContext, Request, Status, Target};

/// A workload of one of the pod-carrying kinds, with a mix of safe and unsafe settings.
fn workload(i: usize) -> Json {
    let privileged = i.is_multiple_of(7);
    let host_network = i.is_multiple_of(11);
    let container = json!({
        "name": format!("app-{i}"),
        "image": format!("registry.example/team/app:{}", i % 50),
        "securityContext": {
            "privileged": privileged,
            "allowPrivilegeEscalation": i.is_multiple_of(5),
            "runAsNonRoot": !i.is_multiple_of(3),
            "capabilities": {"drop": ["ALL"], "add": if i.is_multiple_of(13) { json!(["NET_ADMIN"]) } else { json!([]) }},
            "seccompProfile": {"type": "RuntimeDefault"}
        },
        "ports": [{"containerPort": 8080 + (i % 3) as i64}],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}
    });
    let pod_spec = json!({
        "hostNetwork": host_network,
        "containers": [container, {"name": "sidecar", "image": "registry.example/proxy:1.0"}],
        "volumes": if i.is_multiple_of(17) { json!([{"name": "h", "hostPath": {"path": "/var"}}]) } else { json!([]) }
    });
    let meta = json!({"name": format!("w{i}"), "namespace": format!("ns{}", i % 20), "labels": {"app": format!("a{}", i % 9)}});
    match i % 4 {
        0 => json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}),
        1 => json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                    "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "x"}}, "spec": pod_spec}}}),
        2 => json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                    "spec": {"template": {"metadata": {}, "spec": pod_spec}}}),
        _ => json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}),
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = match args.last().and_then(|c| c.parse().ok()) {
        Some(n) => {
            args.pop();
            n
        }
        None => 10_000,
    };
    if args.is_empty() {
        eprintln!("usage: policy_bench POLICY_PATH... [COUNT]");
        std::process::exit(2);
    }
    // The policy files only, not the test suites beside them.
    let files: Vec<String> = args
        .iter()
        .flat_map(|p| {
            let path = std::path::Path::new(p);
            if path.is_dir() {
                walk(path)
            } else {
                vec![p.clone()]
            }
        })
        .collect();
    let started = Instant::now();
    let loaded = load_policies(&files, vigie_resource::Limits::DEFAULT_MAX_FILE_BYTES);
    let load_time = started.elapsed();
    for e in &loaded.errors {
        eprintln!("policy error: {e}");
    }
    let rules: usize = loaded.policies.iter().map(|p| p.rules.len()).sum();
    let request = Request::default();
    let mut latencies = Vec::with_capacity(count);
    let mut fails = 0usize;
    let mut results = 0usize;
    // Each resource is made just before it is evaluated and dropped after,
    // as the webhook and `policy apply` do: the work timed is the
    // evaluation, including the conversions of the object that the rules
    // ask for (the JMESPath tree for patterns, CEL values for CEL), which
    // are made on first use. Keeping every resource alive instead made the
    // timed loop fault in fresh pages for what the first use converted.
    let mut total = std::time::Duration::ZERO;
    for i in 0..count {
        let t = Target::from_json(workload(i));
        let start = Instant::now();
        let (n, f) = evaluate_resource(&loaded.policies, &t, &request);
        let took = start.elapsed();
        total += took;
        results += n;
        fails += f;
        latencies.push(took);
    }
    let mutate_figures = mutate_pass(&loaded.policies, count, &request);
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "policies: {} ({} rules with autogen), loaded and compiled in {:.1?}",
        loaded.policies.len(),
        rules,
        load_time
    );
    println!("resources: {count}; rule results: {results} ({fails} fail)");
    println!(
        "throughput: {:.0} resources/s ({:.2?} total, one core)",
        count as f64 / total.as_secs_f64(),
        total
    );
    println!(
        "latency per resource (all policies): median {:.1?}, p99 {:.1?}, max {:.1?}",
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    if let Some(figures) = mutate_figures {
        println!("{figures}");
    }
}

/// Evaluates every policy on one resource: the rule results and how many
/// failed. A function of its own, never inlined, so that
/// `bench/policy/instructions.sh` counts the instructions of this work alone
/// (callgrind's `--toggle-collect`), not generating the workloads.
#[inline(never)]
fn evaluate_resource(
    policies: &[vigie_policy::Policy],
    target: &Target,
    request: &Request,
) -> (usize, usize) {
    let (mut results, mut fails) = (0, 0);
    // One context per resource for all policies, as admission and
    // `policy apply` evaluate: what the rules share is built once.
    let context = PolicyContext::new(target, request);
    for p in policies {
        for r in evaluate_in(&context, p) {
            results += 1;
            fails += usize::from(r.status == Status::Fail);
        }
    }
    (results, fails)
}

/// Times the mutate pass per resource, when any policy has mutate rules.
fn mutate_pass(
    policies: &[vigie_policy::Policy],
    count: usize,
    request: &Request,
) -> Option<String> {
    let mutating = policies.iter().any(|p| {
        p.rules
            .iter()
            .any(|r| matches!(r.action, vigie_policy::RuleAction::Mutate(_)))
    });
    if !mutating {
        return None;
    }
    let mut latencies = Vec::with_capacity(count);
    let (mut changed, mut results, mut errors) = (0usize, 0usize, 0usize);
    for i in 0..count {
        let t = Target::from_json(workload(i));
        let start = Instant::now();
        let outcome = mutate(policies, &t, request);
        latencies.push(start.elapsed());
        changed += usize::from(outcome.changed);
        results += outcome.results.len();
        for (_, r) in outcome
            .results
            .iter()
            .filter(|(_, r)| r.status == Status::Error)
        {
            errors += 1;
            if std::env::var_os("POLICY_BENCH_ERRORS").is_some() {
                eprintln!("error: {}: {}", r.rule, r.message);
            }
        }
    }
    let total: std::time::Duration = latencies.iter().sum();
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Some(format!(
        "mutate: {results} rule results ({errors} errors), {changed} of {} resources changed; \
         {:.0} resources/s; latency per resource: median {:.1?}, p99 {:.1?}, max {:.1?}",
        count,
        count as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    ))
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            if !name.starts_with('.') {
                out.extend(walk(&p));
            }
        } else if name.ends_with(".yaml") && name != "kustomization.yaml" {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}
