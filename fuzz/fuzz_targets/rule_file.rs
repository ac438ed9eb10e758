//! Untrusted rule files through loading (YAML, lists, macros, rules, appends,
//! overrides, exceptions) and compilation of every rule against the syscall and
//! CloudTrail fields, then evaluation and output rendering on an event. Nothing may
//! panic, overflow the stack or run away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_rules::fields::{cloudtrail_table, syscall_table};
use vigie_rules::{Engine, EngineOptions, RuleLoader, RuleMatching};

mod event;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut loader = RuleLoader::new();
    loader.load_str("fuzz.yaml", text);
    let set = loader.finish();
    let options = EngineOptions {
        matching: RuleMatching::All,
        ..EngineOptions::default()
    };
    let tables = [syscall_table(), cloudtrail_table()];
    let engine = Engine::build(&set, &tables, &options).expect("not strict");
    for diagnostic in engine.diagnostics() {
        let _ = diagnostic.to_string();
    }
    let Some(source) = engine.source("syscall") else {
        return;
    };
    for value in ["bash", "/etc/shadow", ""] {
        let event = event::FuzzEvent {
            table: syscall_table(),
            value,
        };
        engine.evaluate(source, &event, |rule| {
            let _ = rule.output.render(&event);
            let _ = rule.output.values(&event);
        });
    }
});
