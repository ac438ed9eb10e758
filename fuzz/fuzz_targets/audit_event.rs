//! Untrusted audit data through vigie-detect's whole k8s_audit path: a webhook body
//! or log line decoded (`Event`, `EventList`, arrays), every `ka.*`/`jevt.*` field
//! extracted, the default rules evaluated with every match reported and their alerts
//! formatted; and the same bytes read as a log through the bounded line reader.
//! Nothing may panic.
#![no_main]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use vigie_detect::k8s_audit::{decode, k8s_audit_table};
use vigie_detect::metrics::Metrics;
use vigie_detect::pipeline::Detector;
use vigie_detect::rules::build_engine;
use vigie_detect::sources::{read_lines, SourceContext};
use vigie_rules::{ArgKind, EngineOptions, Event, FieldTable, RuleMatching};

/// Arguments tried on fields that take one.
const ARGS: [&str; 6] = ["command", "/user/groups/0", "/", "0", "/objectRef/name", "x"];

fn detector() -> &'static Mutex<Detector> {
    static DETECTOR: OnceLock<Mutex<Detector>> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let options = EngineOptions {
            matching: RuleMatching::All,
            ..EngineOptions::default()
        };
        let engine = build_engine(&[], true, &options).expect("the default rules compile");
        Mutex::new(Detector::new(engine, Vec::new(), Arc::new(Metrics::default())))
    })
}

fn extract_every_field(table: &FieldTable, event: &dyn Event) {
    for def in table.defs() {
        let args: &[Option<&str>] = match def.arg {
            ArgKind::None => &[None],
            ArgKind::Optional => &[None, Some(ARGS[0]), Some(ARGS[1]), Some(ARGS[2])],
            ArgKind::Required | ArgKind::Dotted => &[
                Some(ARGS[0]),
                Some(ARGS[1]),
                Some(ARGS[2]),
                Some(ARGS[3]),
                Some(ARGS[4]),
                Some(ARGS[5]),
            ],
        };
        for arg in args {
            if let Ok(field) = table.resolve(def.name, *arg) {
                let _ = event.extract(&field);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let table = k8s_audit_table();
    let mut events = Vec::new();
    if decode(data, 1 << 20, &mut events).is_ok() {
        let mut detector = detector().lock().unwrap();
        for mut event in events {
            extract_every_field(table, &event);
            detector.process(&mut event);
        }
    }
    // The same bytes as a log, with a limit small enough to skip some lines.
    let (queue, batches) = crossbeam_channel::unbounded();
    let ctx = SourceContext {
        queue,
        metrics: Arc::new(Metrics::default()),
        max_event_bytes: 256,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let read = read_lines(data, "fuzz.log", 0, false, &ctx);
    assert!(read.lines as usize <= data.iter().filter(|&&b| b == b'\n').count() + 1);
    drop(batches);
});
