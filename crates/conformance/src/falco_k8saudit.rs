//! `falco-k8saudit`: replays Falco's Kubernetes audit regression cases
//! (`falco_k8s_audit_tests.yaml`): each case names rule files and a trace of audit
//! events, and expects detections (`detect`), at least one alert at each
//! `detect_level`, and exact alert counts per rule (`detect_counts`). Rules run with
//! Falco's defaults: every rule enabled in its file, first matching rule wins.

use std::path::Path;

use crate::falco_cases::{read_cases, Alerts, Case};
use crate::Tally;
use vigie_detect::k8s_audit::{decode, k8s_audit_table, AuditEvent, AuditView, SOURCE};
use vigie_rules::fields::syscall_table;
use vigie_rules::{Engine, EngineOptions, RuleLoader};

/// Runs one case; `Err` carries every disagreement.
fn run_case(dir: &Path, case: &Case) -> Result<(), Vec<String>> {
    let mut loader = RuleLoader::new();
    for f in &case.rules_files {
        loader.load_file(&dir.join(f));
    }
    let set = loader.finish();
    let tables = [syscall_table(), k8s_audit_table()];
    let engine = Engine::build(&set, &tables, &EngineOptions::default())
        .map_err(|d| vec![format!("{} rule errors", d.len())])?;
    let mut problems: Vec<String> = engine
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("rule load error: {d}"))
        .filter(|d| d.contains("k8s"))
        .collect();
    let trace = std::fs::read(dir.join(&case.trace_file))
        .map_err(|e| vec![format!("{}: {e}", case.trace_file)])?;
    let mut events: Vec<AuditEvent> = Vec::new();
    for (n, line) in trace.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // Falco stops reading a trace at its first unreadable event.
        if let Err(e) = decode(line, usize::MAX, &mut events) {
            eprintln!(
                "{}: could not read k8s audit event line #{}: {e}, stopping",
                case.name,
                n + 1
            );
            break;
        }
    }
    let mut alerts = Alerts::default();
    if let Some(source) = engine.source(SOURCE) {
        for event in &events {
            engine.evaluate(source, &AuditView::new(event), |rule| {
                alerts.record(&rule.name, rule.priority);
            });
        }
    }
    case.check(&alerts, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

pub fn run(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let cases = match read_cases(&dir.join("falco_k8s_audit_tests.yaml")) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("falco-k8saudit: {e}");
            tally.failed += 1;
            return tally;
        }
    };
    for case in &cases {
        match run_case(dir, case) {
            Ok(()) => tally.passed += 1,
            Err(problems) => {
                tally.failed += 1;
                println!("FAIL {}", case.name);
                for p in problems {
                    println!("  {p}");
                }
            }
        }
    }
    tally
}
