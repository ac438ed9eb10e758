//! Untrusted condition text through the Falco rule compiler: parsing, expansion of
//! the macros and lists of a small rule set, compilation against the syscall fields,
//! and evaluation on an event, regexes aside. Nothing may panic, overflow the stack or
//! run away.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigie_rules::fields::syscall_table;
use vigie_rules::{parse_condition, Compiler, RuleLoader, RuleSet};

mod event;

/// Macros and lists the fuzzed conditions may name.
const RULES: &str = "
- list: shells
  items: [bash, sh, zsh]
- list: binaries
  items: [shells, /usr/bin/env, '/bin/*']
- macro: spawned
  condition: evt.type in (execve, execveat) and evt.dir = <
- macro: shell_spawned
  condition: spawned and proc.name in (shells)
- macro: deep
  condition: (shell_spawned or (not spawned and fd.name pmatch (binaries)))
";

fn rule_set() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut loader = RuleLoader::new();
        loader.load_str("fuzz.yaml", RULES);
        loader.finish()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Compiling regexes is the regex crate's work, which took most of the time here
    // (literal alternations build prefilters); the rule_file target compiles them.
    if text.contains("regex") {
        return;
    }
    let Ok(expr) = parse_condition(text) else {
        return;
    };
    let mut compiler = Compiler::new(rule_set());
    let Ok(expanded) = compiler.expand(&expr) else {
        return;
    };
    let table = syscall_table();
    if let Ok(filter) = compiler.compile(&expanded, table) {
        for value in ["bash", "/etc/shadow", "42", ""] {
            filter.matches(&event::FuzzEvent { table, value });
        }
    }
});
