//! `vigie detect` on rules files built to exhaust memory or the stack: each is
//! refused with an error naming the file, line, rule and limit, and exit code 2.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, assert_exit, run, stderr, write};

fn rule(name: &str, condition: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: {condition}\n  output: o\n  priority: info\n  source: k8s_audit\n"
    )
}

/// A good rule, then macros that each name the one before twice, forty times.
fn doubling_macros() -> String {
    let mut text = rule("Fine", "ka.verb = create");
    text += "- macro: m0\n  condition: ka.verb = get\n";
    for i in 1..40 {
        text += &format!("- macro: m{i}\n  condition: (m{0} or m{0})\n", i - 1);
    }
    text + &rule("Doubling", "m39")
}

#[test]
fn validate_refuses_macro_and_list_bombs_and_deep_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let macros = write(dir.path(), "macros.yaml", doubling_macros());
    let mut lists = String::from("- list: l0\n  items: [a, b]\n");
    for i in 1..12 {
        lists += &format!(
            "- list: l{i}\n  items: [{}]\n",
            vec![format!("l{}", i - 1); 10].join(", ")
        );
    }
    let lists = write(
        dir.path(),
        "lists.yaml",
        &(lists + &rule("Lists", "ka.verb in (l11)")),
    );
    let parens = format!("{}ka.verb = get{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep = write(dir.path(), "deep.yaml", rule("Parens", &parens));
    let args = ["detect", "rules", "validate"];
    let files = [&macros, &lists, &deep].map(|p| p.to_str().unwrap());
    let output = run(&[&args[..], &files[..]].concat());
    assert_exit(&output, 2);
    let stderr = stderr(&output);
    let expected = [
        format!(
            "{}:87:3: error: rule 'Doubling': condition expands to more than 250000 nodes (the limit per rule",
            macros.display()
        ),
        format!(
            "{}:1:3: error: rule 'Parens': condition does not parse: condition nests deeper than 256 levels",
            deep.display()
        ),
    ];
    for line in expected {
        assert!(stderr.contains(&line), "{line}\nnot in:\n{stderr}");
    }
    // The list bomb holds two distinct items and compiles; so does the good rule.
    assert!(!stderr.contains("rule 'Lists'"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("2 rules compiled, 2 failed"), "{stdout}");
}

#[test]
fn audit_in_strict_mode_refuses_a_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = String::from("- macro: m0\n  condition: ka.verb = get\n");
    for i in 1..10_000 {
        chain += &format!("- macro: m{i}\n  condition: m{}\n", i - 1);
    }
    let chain = write(dir.path(), "chain.yaml", &(chain + &rule("Chain", "m9999")));
    let events = write(dir.path(), "audit.log", "");
    let output = run(&[
        "detect",
        "audit",
        "--strict",
        "-r",
        arg(&chain),
        arg(&events),
    ]);
    assert_exit(&output, 2);
    assert_contains(
        &stderr(&output),
        "rule 'Chain': condition nests deeper than 256 levels once its macros are expanded",
    );
}

#[test]
fn a_rules_file_past_the_size_limit_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = rule("Fine", "ka.verb = create");
    let filler = format!("# {}\n", "x".repeat(1 << 20));
    for _ in 0..33 {
        text += &filler;
    }
    let big = write(dir.path(), "big.yaml", &text);
    let output = run(&["detect", "rules", "validate", arg(&big)]);
    assert_exit(&output, 2);
    assert_contains(
        &stderr(&output),
        &format!(
            "{}: error: rules file is larger than 33554432 bytes (the limit for a rules file)",
            big.display()
        ),
    );
}
