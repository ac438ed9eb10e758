//! Every posture control against its own fixture, `tests/fixtures/controls/<ID>.yaml`.
//!
//! Objects annotated `vigie.dev/expect: fail` must be flagged by the control,
//! objects annotated `vigie.dev/expect: pass` must not; objects without the
//! annotation are context (the roles a binding refers to, say). Each fixture must
//! hold at least one of each. The exact findings are pinned by a snapshot. A
//! control whose defaults flag nothing gets its settings from `<ID>.config.yaml`.
//! A control that judges the input as a whole (flag every node unless one is
//! a Fargate node) cannot pass and fail objects of one input: its passing
//! objects go in a second input of their own, `<ID>.pass.yaml`.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use vigie_controls::{controls, Config};
use vigie_resource::{load, LoadOptions};

fn check_control(id: &str) -> String {
    let control = controls::find(id).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/controls")
        .join(format!("{id}.yaml"));
    assert!(path.exists(), "{id} has no fixture at {}", path.display());
    let loaded = load(&[path.display().to_string()], &LoadOptions::default());
    assert!(
        loaded.diagnostics.is_empty(),
        "{id}: {:?}",
        loaded.diagnostics
    );
    let expect = |value: &str| -> BTreeSet<usize> {
        loaded
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.annotation("vigie.dev/expect") == Some(value))
            .map(|(i, _)| i)
            .collect()
    };
    let (should_fail, should_pass) = (expect("fail"), expect("pass"));
    // A fixture may come with settings of its own, `<ID>.config.yaml`.
    let config_path = path.with_extension("config.yaml");
    let config = match std::fs::read_to_string(&config_path) {
        Ok(text) => Config::from_yaml(&text).unwrap_or_else(|e| panic!("{id}: {e}")),
        Err(_) => Config::default(),
    };
    let passing_alone = check_passing_input(control, &path.with_extension("pass.yaml"), &config);
    assert!(
        !should_fail.is_empty(),
        "{id}: the fixture needs an object that fails"
    );
    assert!(
        !should_pass.is_empty() || passing_alone,
        "{id}: the fixture needs an object that passes"
    );
    let outcome = control.run(&loaded.resources, &config);
    let failed: BTreeSet<usize> = outcome.violations.iter().map(|(i, _)| *i).collect();
    let name = |i: &usize| {
        format!(
            "{} {}",
            loaded.resources[*i].kind, loaded.resources[*i].name
        )
    };
    for i in &should_fail {
        assert!(failed.contains(i), "{id}: {} should fail", name(i));
    }
    for i in &should_pass {
        assert!(!failed.contains(i), "{id}: {} should pass", name(i));
        assert!(
            outcome.evaluated.contains(i),
            "{id}: {} should be evaluated",
            name(i)
        );
    }
    let mut snapshot = String::new();
    for (i, v) in &outcome.violations {
        let subject = v
            .subject
            .as_ref()
            .map(|s| format!(" [subject {} {}]", s.kind, s.name))
            .unwrap_or_default();
        writeln!(
            snapshot,
            "{} {}:{} {}{subject}\n    {}",
            name(i),
            v.pos.line,
            v.pos.column,
            v.path,
            v.message
        )
        .unwrap();
    }
    snapshot
}

/// Checks the separate passing input of a control, when it has one: every
/// object annotated `vigie.dev/expect: pass` is evaluated and not flagged.
/// Whether there was one with such objects.
fn check_passing_input(control: &vigie_controls::Control, path: &Path, config: &Config) -> bool {
    if !path.exists() {
        return false;
    }
    let id = control.id;
    let loaded = load(&[path.display().to_string()], &LoadOptions::default());
    assert!(
        loaded.diagnostics.is_empty(),
        "{id}: {:?}",
        loaded.diagnostics
    );
    let outcome = control.run(&loaded.resources, config);
    let mut any = false;
    for (i, resource) in loaded.resources.iter().enumerate() {
        if resource.annotation("vigie.dev/expect") != Some("pass") {
            continue;
        }
        any = true;
        let name = format!("{} {} ({})", resource.kind, resource.name, path.display());
        assert!(
            outcome.evaluated.contains(&i),
            "{id}: {name} should be evaluated"
        );
        assert!(
            outcome.violations.iter().all(|(v, _)| *v != i),
            "{id}: {name} should pass"
        );
    }
    any
}

#[test]
fn every_control_against_its_fixture() {
    let mut failures = Vec::new();
    for control in controls::all() {
        match std::panic::catch_unwind(|| check_control(control.id)) {
            Ok(snapshot) => {
                insta::with_settings!({snapshot_suffix => control.id}, {
                    insta::assert_snapshot!(snapshot);
                });
            }
            Err(e) => failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_control_documents_itself_and_is_unique() {
    let mut ids = BTreeSet::new();
    for control in controls::all() {
        assert!(ids.insert(control.id), "duplicate ID {}", control.id);
        let doc = control.explanation();
        for heading in [
            "## What it does",
            "## Why is this bad",
            "## Example",
            "## References",
        ] {
            assert!(doc.contains(heading), "{} lacks `{heading}`", control.id);
        }
        let r = &control.refs;
        assert!(
            !(r.kubescape.is_empty() && r.cis.is_empty() && r.nsa.is_empty() && r.mitre.is_empty()),
            "{} has no cross-reference",
            control.id
        );
    }
}
