//! Detection benchmark: `bench_detect <trace-dir> <events> [rules.yaml...]`.
//!
//! Generates an audit stream of `<events>` lines by cycling the audit events found in
//! `<trace-dir>` (`*.json`, JSON lines) with varied users, namespaces and object names,
//! then measures on one thread:
//! 1. parsing plus evaluation: decode each line and run the rules on it;
//! 2. evaluation alone, on events parsed beforehand.
//!
//! Rules: vigie's default audit rules plus the given files. See bench/detect/run.sh.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, rules @ ..] = args.as_slice() else {
        eprintln!("usage: bench_detect <trace-dir> <events> [rules.yaml...]");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("event count");
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

    // The stream: seeds cycled with varied identities and objects.
    let mut stream = Vec::with_capacity(count * 1200);
    for i in 0..count {
        let mut e = seeds[i % seeds.len()].clone();
        e["user"]["username"] = Value::String(format!("user-{}", i % 97));
        if let Some(obj) = e.get_mut("objectRef").and_then(Value::as_object_mut) {
            obj.insert("namespace".into(), Value::String(format!("ns-{}", i % 13)));
            obj.insert("name".into(), Value::String(format!("obj-{i}")));
        }
        e["auditID"] = Value::String(format!("{i:016x}"));
        serde_json::to_writer(&mut stream, &e).unwrap();
        stream.push(b'\n');
    }
    let path = std::env::temp_dir().join("vigie-bench-audit.jsonl");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&stream)
        .unwrap();
    println!(
        "stream: {count} events, {:.1} MiB ({})",
        stream.len() as f64 / 1048576.0,
        path.display()
    );
    drop(stream);

    // 1. Parse + evaluate, line by line, as the file source does.
    let text = std::fs::read(&path).unwrap();
    let start = Instant::now();
    let mut alerts = 0usize;
    let mut batch = Vec::with_capacity(1);
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        batch.clear();
        decode(line, usize::MAX, &mut batch).expect("valid event");
        for event in &batch {
            alerts += engine.evaluate(source, &AuditView::new(event), |_| {});
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse+eval: {count} events in {secs:.3} s = {:.0} events/s, {:.1} MiB/s, {alerts} alerts",
        count as f64 / secs,
        text.len() as f64 / 1048576.0 / secs
    );

    // 2. Evaluation alone, on pre-parsed events.
    let parsed: Vec<AuditEvent> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(count.min(50_000))
        .map(|l| AuditEvent::new(serde_json::from_slice(l).unwrap()))
        .collect();
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
        "eval only: {evaluated} events in {secs:.3} s = {:.0} events/s ({matched} matches)",
        evaluated as f64 / secs
    );
}
