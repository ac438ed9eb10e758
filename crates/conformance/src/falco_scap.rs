//! `falco-scap`: replays the `.scap` cases of Falco's regression suite
//! (`falco_tests.yaml`): each case names rule files (or a rules file to validate)
//! and a capture, and expects detections (`detect`), at least one alert at each
//! `detect_level`, and exact alert counts per rule (`detect_counts`). Captures go
//! through vigie-sensor's reader, state and field table; rules run with Falco's
//! defaults (every rule enabled in its file, first matching rule wins) and the
//! case's tag, name and priority selection. Rules that fail to load stop the case
//! from running, as they stop Falco. Cases whose capture is not in the corpus are
//! skipped and listed.
//!
//! The suite's Falco (2022) skipped the events libscap then flagged
//! `EF_DROP_SIMPLE_CONS` unless run with `-A` (the cases' `all_events`), and its
//! `-D` disabled every rule whose name contains the given text; both are done here
//! as that Falco did.

use std::path::{Path, PathBuf};

use crate::falco_cases::{read_cases, Alerts, Case};
use crate::Tally;
use vigie_detect::k8s_audit::k8s_audit_table;
use vigie_detect::syscall::{syscall_table, SOURCE};
use vigie_rules::{Engine, EngineOptions, Priority, RuleLoader, Selection};
use vigie_sensor::fields::SyscallEvent;
use vigie_sensor::scap::Capture;
use vigie_sensor::state::State;

/// The event types the suite's Falco skipped without `-A` (libscap's
/// `EF_DROP_SIMPLE_CONS` events of 2022).
const SIMPLE_CONSUMER_DROPS: &[&str] = &[
    "access",
    "brk",
    "close",
    "epoll_wait",
    "eventfd",
    "fcntl",
    "fstat",
    "fstat64",
    "futex",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getpeername",
    "getresgid",
    "getresuid",
    "getrlimit",
    "getsockname",
    "getsockopt",
    "getuid",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "llseek",
    "lseek",
    "lstat",
    "lstat64",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "page_fault",
    "poll",
    "ppoll",
    "pread",
    "preadv",
    "procinfo",
    "pwrite",
    "pwritev",
    "read",
    "readv",
    "recv",
    "recvmmsg",
    "select",
    "semctl",
    "semget",
    "semop",
    "send",
    "sendfile",
    "sendmmsg",
    "setrlimit",
    "shutdown",
    "signaldeliver",
    "splice",
    "stat",
    "stat64",
    "switch",
    "timerfd_create",
    "write",
    "writev",
];

/// A rules path of a case: a file, or a directory whose files load in name order.
fn rule_paths(dir: &Path, name: &str) -> Vec<PathBuf> {
    let path = dir.join(name);
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    } else {
        vec![path]
    }
}

enum Outcome {
    Pass,
    Fail(Vec<String>),
    Skip(String),
}

fn run_case(dir: &Path, case: &Case) -> Outcome {
    let trace = dir.join(&case.trace_file);
    if !trace.exists() {
        return Outcome::Skip(format!("{} is not in the corpus", case.trace_file));
    }
    let mut loader = RuleLoader::new();
    let files: Vec<&String> = case
        .rules_files
        .iter()
        .chain(&case.validate_rules_files)
        .collect();
    if files.is_empty() {
        // Falco's own rules, which it loads when given none.
        loader.load_file(&dir.join("../rules/falco_rules.yaml"));
    }
    for f in files {
        for p in rule_paths(dir, f) {
            loader.load_file(&p);
        }
    }
    let set = loader.finish();
    let options = EngineOptions {
        min_priority: case
            .priority
            .as_deref()
            .and_then(Priority::parse)
            .unwrap_or(Priority::Debug),
        selection: Selection {
            only_tags: case.run_tags.clone(),
            disable_tags: case.disable_tags.clone(),
            disable_names: case
                .disabled_rules
                .iter()
                .map(|d| format!("*{d}*"))
                .collect(),
            enable_names: Vec::new(),
        },
        ..EngineOptions::default()
    };
    let tables = [syscall_table(), k8s_audit_table()];
    let mut problems = Vec::new();
    let mut alerts = Alerts::default();
    let engine = Engine::build(&set, &tables, &options).ok();
    // Falco refuses to start on rules with errors: nothing is detected.
    let runs = engine
        .as_ref()
        .filter(|e| !e.diagnostics().iter().any(|d| d.is_error()));
    if let Some(engine) = runs {
        let capture = match Capture::open(&trace) {
            Ok(c) => c,
            Err(e) => return Outcome::Fail(vec![e.to_string()]),
        };
        for issue in &capture.issues {
            problems.push(format!("capture: {issue}"));
        }
        if let Some(source) = engine.source(SOURCE) {
            let mut state = State::from_capture(&capture);
            for (i, event) in capture.events().enumerate() {
                let raw = event.raw();
                state.before(&raw);
                if case.all_events || !SIMPLE_CONSUMER_DROPS.contains(&raw.name()) {
                    let view = SyscallEvent::new(raw, &state, i as u64 + 1, event.cpu);
                    engine.evaluate(source, &view, |rule| {
                        alerts.record(&rule.name, rule.priority);
                    });
                }
                state.after(&raw);
            }
        }
    } else if std::env::var_os("CONFORMANCE_VERBOSE").is_some() {
        let errors: Vec<String> = engine
            .iter()
            .flat_map(|e| e.diagnostics())
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        println!("{}: rules refused: {}", case.name, errors.join("; "));
    }
    case.check(&alerts, &mut problems);
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(problems)
    }
}

pub fn run(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let cases = match read_cases(&dir.join("falco_tests.yaml")) {
        // The other cases replay audit traces or only load rules.
        Ok(cases) => cases
            .into_iter()
            .filter(|c| c.trace_file.ends_with(".scap"))
            .collect::<Vec<_>>(),
        Err(e) => {
            eprintln!("falco-scap: {e}");
            tally.failed += 1;
            return tally;
        }
    };
    let mut skipped = 0;
    for case in &cases {
        match run_case(dir, case) {
            Outcome::Pass => tally.passed += 1,
            Outcome::Skip(why) => {
                skipped += 1;
                println!("SKIP {}: {why}", case.name);
            }
            Outcome::Fail(problems) => {
                tally.failed += 1;
                println!("FAIL {}", case.name);
                for p in problems {
                    println!("  {p}");
                }
            }
        }
    }
    println!("{skipped} cases skipped (capture not in the corpus)");
    tally
}
