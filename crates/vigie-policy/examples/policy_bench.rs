//! Benchmark: applies a directory of policies to generated workloads and reports
//! resources per second and per-resource evaluation latency (median, p99).
//!
//! `cargo run --release -p vigie-policy --example policy_bench -- POLICY_DIR [COUNT]`

use std::time::Instant;

use serde_json::{json, Value as Json};
use vigie_policy::{evaluate, load_policies, Request, Status, Target};

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: policy_bench POLICY_DIR [COUNT]");
        std::process::exit(2);
    };
    let count: usize = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(10_000);
    // The policy files only, not the test suites beside them.
    let files: Vec<String> = walk(std::path::Path::new(dir));
    let started = Instant::now();
    let loaded = load_policies(&files, vigie_resource::Limits::DEFAULT_MAX_FILE_BYTES);
    let load_time = started.elapsed();
    for e in &loaded.errors {
        eprintln!("policy error: {e}");
    }
    let rules: usize = loaded.policies.iter().map(|p| p.rules.len()).sum();
    let targets: Vec<Target> = (0..count).map(|i| Target::from_json(workload(i))).collect();
    let request = Request::default();
    let mut latencies = Vec::with_capacity(count);
    let mut fails = 0usize;
    let mut results = 0usize;
    let all = Instant::now();
    for t in &targets {
        let start = Instant::now();
        for p in &loaded.policies {
            for r in evaluate(p, t, &request) {
                results += 1;
                fails += usize::from(r.status == Status::Fail);
            }
        }
        latencies.push(start.elapsed());
    }
    let total = all.elapsed();
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
