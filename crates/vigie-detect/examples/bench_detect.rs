//! Detection benchmark: `bench_detect <trace-dir> <events> [rules.yaml...]`.
//!
//! Generates an audit stream of `<events>` JSON lines shaped like a real cluster's
//! audit log: mostly routine control-plane traffic (kubelets renewing leases and
//! patching node status, controllers and the scheduler reading and writing objects,
//! service accounts watching, an administrator listing things), with one event in
//! `VIGIE_BENCH_ATTACK_EVERY` (default 100) taken from the audit events found in
//! `<trace-dir>` (`*.json`, JSON lines: Falco's attack traces, each made to raise an
//! alert). `VIGIE_BENCH_ATTACK_EVERY=1` gives a stream of attack traces only.
//!
//! Then, on one thread:
//! 1. parsing plus evaluation: the stream file is read line by line, as the file source
//!    reads it, and each line is decoded and run through the rules;
//! 2. evaluation alone, on up to `VIGIE_BENCH_HELD` (default 50,000) events decoded
//!    beforehand, in rounds. 50,000 events do not fit in the CPU caches, so this
//!    includes fetching each event from memory; with 2,000 they stay in cache.
//!
//! Each phase reports its events/s and its own peak resident memory (the peak is reset
//! between phases through `/proc/self/clear_refs`). The alerts are counted per rule, so
//! a rule that matches everything shows up; `VIGIE_BENCH_ALERTS=1` prints every rule's
//! count.
//!
//! Rules: vigie's default audit rules plus the given files. See bench/detect/run.sh.

// Example code: an unwrap that fails is the example's own failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{json, Value};
use vigie_detect::k8s_audit::{decode, AuditEvent, AuditView, SOURCE};
use vigie_detect::rules::build_engine;
use vigie_rules::EngineOptions;

fn seed_events(dir: &PathBuf) -> Vec<Value> {
    let mut seeds = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("trace dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        for line in std::fs::read_to_string(f).unwrap_or_default().lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if v.get("kind").and_then(Value::as_str) == Some("Event") {
                    seeds.push(v);
                }
            }
        }
    }
    assert!(!seeds.is_empty(), "no audit events under {}", dir.display());
    seeds
}

/// The fields every audit event carries.
fn envelope(i: usize, stage: &str, user: Value, verb: &str, uri: String, object: Value) -> Value {
    let t = format!(
        "2024-05-14T09:{:02}:{:02}.{:06}Z",
        i / 60 % 60,
        i % 60,
        i % 999_983
    );
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": format!("{:08x}-{:04x}-4c1e-9b7a-{:012x}", i, i % 65_521, i * 7919),
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": user,
        "sourceIPs": [format!("10.0.{}.{}", i % 7, i % 251)],
        "userAgent": "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/leader-election",
        "objectRef": object,
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": t,
        "stageTimestamp": t,
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
}

fn node_user(node: usize) -> Value {
    json!({"username": format!("system:node:node-{node}"), "groups": ["system:nodes", "system:authenticated"]})
}

fn service_account(ns: &str, name: &str) -> Value {
    json!({
        "username": format!("system:serviceaccount:{ns}:{name}"),
        "uid": "6b1d5f0e-2f8c-4a47-a0c5-8c8f2b7e1d10",
        "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{ns}"), "system:authenticated"]
    })
}

/// One routine event, `i` choosing its kind and varying names.
fn routine_event(i: usize) -> Value {
    let node = i % 50;
    let ns = ["default", "kube-system", "payments", "web", "monitoring"][i % 5];
    match i % 20 {
        // Kubelets renew their lease every 10 s: the most frequent request.
        0..=4 => {
            let name = format!("node-{node}");
            envelope(i, "ResponseComplete", node_user(node), if i.is_multiple_of(2) { "update" } else { "get" },
                format!("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}?timeout=10s"),
                json!({"resource": "leases", "namespace": "kube-node-lease", "name": name, "apiGroup": "coordination.k8s.io", "apiVersion": "v1"}))
        }
        // Node status patches, logged with their request body.
        5 | 6 => {
            let name = format!("node-{node}");
            let mut e = envelope(i, "ResponseComplete", node_user(node), "patch",
                format!("/api/v1/nodes/{name}/status?timeout=10s"),
                json!({"resource": "nodes", "name": name, "subresource": "status", "apiVersion": "v1"}));
            e["level"] = json!("Request");
            e["requestObject"] = json!({"status": {"conditions": [
                {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": "2024-05-14T09:00:00Z", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
                {"type": "DiskPressure", "status": "False", "lastHeartbeatTime": "2024-05-14T09:00:00Z", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
                {"type": "PIDPressure", "status": "False", "lastHeartbeatTime": "2024-05-14T09:00:00Z", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
                {"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-14T09:00:00Z", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
            ]}});
            e
        }
        // Controllers' leader election.
        7 | 8 => envelope(i, "ResponseComplete", json!({"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}),
            if i.is_multiple_of(2) { "update" } else { "get" },
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s".into(),
            json!({"resource": "leases", "namespace": "kube-system", "name": "kube-controller-manager", "apiGroup": "coordination.k8s.io", "apiVersion": "v1"})),
        // Informers: watches start and end, lists.
        9 | 10 => {
            let stage = if i.is_multiple_of(2) { "ResponseStarted" } else { "ResponseComplete" };
            envelope(i, stage, service_account("kube-system", "coredns"), "watch",
                format!("/apis/discovery.k8s.io/v1/endpointslices?allowWatchBookmarks=true&resourceVersion={i}&timeout=7m2s&timeoutSeconds=422&watch=true"),
                json!({"resource": "endpointslices", "apiGroup": "discovery.k8s.io", "apiVersion": "v1"}))
        }
        11 => envelope(i, "ResponseComplete", service_account("monitoring", "prometheus"), "list",
            format!("/api/v1/namespaces/{ns}/pods?limit=500"),
            json!({"resource": "pods", "namespace": ns, "apiVersion": "v1"})),
        // Kubelets read the configmaps and secrets their pods mount.
        12 | 13 => {
            let (resource, name) = if i.is_multiple_of(2) { ("configmaps", "kube-root-ca.crt") } else { ("secrets", "app-tls") };
            envelope(i, "ResponseComplete", node_user(node), "get",
                format!("/api/v1/namespaces/{ns}/{resource}/{name}"),
                json!({"resource": resource, "namespace": ns, "name": name, "apiVersion": "v1"}))
        }
        // Pods' status updates, events, endpoint slices.
        14 => envelope(i, "ResponseComplete", node_user(node), "patch",
            format!("/api/v1/namespaces/{ns}/pods/web-{i}/status"),
            json!({"resource": "pods", "namespace": ns, "name": format!("web-{i}"), "subresource": "status", "apiVersion": "v1"})),
        15 => envelope(i, "ResponseComplete", node_user(node), "create",
            format!("/api/v1/namespaces/{ns}/events"),
            json!({"resource": "events", "namespace": ns, "name": format!("web-{i}.17c1f2a3b4c5d6e7"), "apiVersion": "v1"})),
        16 => envelope(i, "ResponseComplete", service_account("kube-system", "endpointslice-controller"), "update",
            format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/web-{}", i % 97),
            json!({"resource": "endpointslices", "namespace": ns, "name": format!("web-{}", i % 97), "apiGroup": "discovery.k8s.io", "apiVersion": "v1"})),
        // The scheduler binds pods.
        17 => envelope(i, "ResponseComplete", json!({"username": "system:kube-scheduler", "groups": ["system:authenticated"]}), "create",
            format!("/api/v1/namespaces/{ns}/pods/web-{i}/binding"),
            json!({"resource": "pods", "namespace": ns, "name": format!("web-{i}"), "subresource": "binding", "apiVersion": "v1"})),
        // An administrator and a CI deployer at work.
        18 => envelope(i, "ResponseComplete", json!({"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}), "list",
            format!("/apis/apps/v1/namespaces/{ns}/deployments?limit=500"),
            json!({"resource": "deployments", "namespace": ns, "apiGroup": "apps", "apiVersion": "v1"})),
        _ => envelope(i, "RequestReceived", service_account("ci", "deployer"), "get",
            format!("/apis/apps/v1/namespaces/{ns}/deployments/web"),
            json!({"resource": "deployments", "namespace": ns, "name": "web", "apiGroup": "apps", "apiVersion": "v1"})),
    }
}

/// Peak resident memory since the last reset, in MiB, and a reset of that peak.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, rules @ ..] = args.as_slice() else {
        eprintln!("usage: bench_detect <trace-dir> <events> [rules.yaml...]");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("event count");
    let attack_every: usize = std::env::var("VIGIE_BENCH_ATTACK_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .max(1);
    let seeds = seed_events(&PathBuf::from(dir));
    let rule_files: Vec<PathBuf> = rules.iter().map(PathBuf::from).collect();
    let engine = build_engine(&rule_files, true, &EngineOptions::default()).expect("rules build");
    let source = engine.source(SOURCE).expect("k8s_audit rules");
    let failures = engine.failures().len();
    println!(
        "rules: {} compiled ({} enabled k8s_audit), {failures} failed; seed events: {}",
        engine.rules().len(),
        engine.enabled_count(SOURCE),
        seeds.len()
    );

    // The stream, written to a file as it is generated.
    let path = std::env::temp_dir().join("vigie-bench-audit.jsonl");
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut bytes = 0usize;
    let mut line = Vec::with_capacity(8192);
    for i in 0..count {
        let event = if i % attack_every == attack_every - 1 {
            let mut e = seeds[i / attack_every % seeds.len()].clone();
            e["auditID"] = Value::String(format!("{i:016x}"));
            e
        } else {
            routine_event(i)
        };
        line.clear();
        serde_json::to_writer(&mut line, &event).unwrap();
        line.push(b'\n');
        bytes += line.len();
        out.write_all(&line).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    println!(
        "stream: {count} events, one in {attack_every} from the attack traces, {:.1} MiB, {:.0} bytes/event ({})",
        bytes as f64 / 1048576.0,
        bytes as f64 / count as f64,
        path.display()
    );

    // 1. Parse + evaluate, line by line, as the file source does.
    reset_peak_rss();
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(&path).unwrap());
    let start = Instant::now();
    let mut alerts = 0usize;
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut batch = Vec::with_capacity(1);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            break;
        }
        batch.clear();
        decode(&line, usize::MAX, &mut batch).expect("valid event");
        for event in &batch {
            alerts += engine.evaluate(source, &AuditView::new(event), |rule| {
                match by_rule.get_mut(&rule.name) {
                    Some(n) => *n += 1,
                    None => {
                        by_rule.insert(rule.name.clone(), 1);
                    }
                }
            });
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse+eval: {count} events in {secs:.3} s = {:.0} events/s, {:.1} MiB/s, peak RSS {:.1} MiB",
        count as f64 / secs,
        bytes as f64 / 1048576.0 / secs,
        peak_rss_mib()
    );
    let mut fired: Vec<_> = by_rule.into_iter().collect();
    fired.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "alerts: {alerts} ({:.2}% of events); most raised: {}",
        alerts as f64 * 100.0 / count as f64,
        fired
            .iter()
            .take(5)
            .map(|(r, n)| format!("{r} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Every rule's count, for checking that a change to the engine changed no alert.
    if std::env::var_os("VIGIE_BENCH_ALERTS").is_some() {
        for (rule, n) in &fired {
            println!("  {n:>8}  {rule}");
        }
    }

    // 2. Evaluation alone, on events decoded beforehand.
    reset_peak_rss();
    let mut parsed: Vec<AuditEvent> = Vec::new();
    let reader = BufReader::new(std::fs::File::open(&path).unwrap());
    let held: usize = std::env::var("VIGIE_BENCH_HELD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    for l in reader.split(b'\n').take(count.min(held).max(1)) {
        decode(&l.unwrap(), usize::MAX, &mut parsed).expect("valid event");
    }
    let rounds = (count / parsed.len()).max(1) * 3;
    let start = Instant::now();
    let mut evaluated = 0usize;
    let mut matched = 0usize;
    for _ in 0..rounds {
        for event in &parsed {
            matched += engine.evaluate(source, &AuditView::new(event), |_| {});
            evaluated += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "eval only: {evaluated} events in {secs:.3} s = {:.0} events/s ({matched} matches), {} events held, peak RSS {:.1} MiB",
        evaluated as f64 / secs,
        parsed.len(),
        peak_rss_mib()
    );
}
