//! Runs vigie's own Pod Security fixtures (tests/fixtures/pss/*.yaml).
//!
//! Each object names the checks it must fail in `vigie.dev/expect-fail`, at the
//! level and version given by `vigie.dev/test-level` and `vigie.dev/test-version`
//! (restricted, latest by default). The exact violations (path, line, column,
//! message) are pinned by a snapshot per fixture file.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use vigie_controls::pss::{self, Level, Version};
use vigie_resource::{load, pod_template, LoadOptions};

fn run_fixture(name: &str) -> (String, BTreeSet<&'static str>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pss")
        .join(name);
    let loaded = load(&[path.display().to_string()], &LoadOptions::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let mut snapshot = String::new();
    let mut failed_anywhere = BTreeSet::new();
    for resource in &loaded.resources {
        let level: Level = resource
            .annotation("vigie.dev/test-level")
            .unwrap_or("restricted")
            .parse()
            .unwrap();
        let version: Version = resource
            .annotation("vigie.dev/test-version")
            .unwrap_or("latest")
            .parse()
            .unwrap();
        let expected: BTreeSet<&str> = resource
            .annotation("vigie.dev/expect-fail")
            .expect("every fixture states what it expects")
            .split_whitespace()
            .collect();
        let template = pod_template(resource).expect("fixtures are workloads");
        let failures = pss::evaluate(template, &pss::checks_for(level, version), version);
        let actual: BTreeSet<&str> = failures.iter().map(|f| f.check.id).collect();
        assert_eq!(
            actual, expected,
            "{} {} at {level} {version}: failed checks differ",
            resource.kind, resource.name
        );
        writeln!(
            snapshot,
            "{} {} ({level} {version})",
            resource.kind, resource.name
        )
        .unwrap();
        for failure in &failures {
            failed_anywhere.insert(failure.check.id);
            for v in &failure.violations {
                writeln!(
                    snapshot,
                    "  {} {}:{} {}\n      {}",
                    failure.check.id, v.pos.line, v.pos.column, v.path, v.message
                )
                .unwrap();
            }
        }
    }
    (snapshot, failed_anywhere)
}

#[test]
fn baseline_fixtures() {
    let (snapshot, _) = run_fixture("baseline.yaml");
    insta::assert_snapshot!(snapshot);
}

#[test]
fn restricted_fixtures() {
    let (snapshot, _) = run_fixture("restricted.yaml");
    insta::assert_snapshot!(snapshot);
}

#[test]
fn every_check_has_a_failing_fixture() {
    let (_, baseline) = run_fixture("baseline.yaml");
    let (_, restricted) = run_fixture("restricted.yaml");
    let covered: BTreeSet<&str> = baseline.union(&restricted).copied().collect();
    for check in pss::all_checks() {
        assert!(covered.contains(check.id), "no fixture fails {}", check.id);
    }
}

#[test]
fn restricted_replaces_the_baseline_checks_it_overrides() {
    let ids = |level, minor| -> Vec<&str> {
        pss::checks_for(level, Version::v1(minor))
            .iter()
            .map(|c| c.id)
            .collect()
    };
    assert!(ids(Level::Restricted, 37).contains(&"PSS-R06"));
    assert!(!ids(Level::Restricted, 37).contains(&"PSS-B03"));
    assert!(ids(Level::Restricted, 21).contains(&"PSS-B03"));
    assert!(!ids(Level::Restricted, 37).contains(&"PSS-B04"));
    assert!(ids(Level::Baseline, 37).contains(&"PSS-B04"));
    assert!(!ids(Level::Baseline, 33).contains(&"PSS-B12"));
    assert!(ids(Level::Restricted, 34).contains(&"PSS-B08"));
    assert!(!ids(Level::Restricted, 35).contains(&"PSS-B08"));
}

#[test]
fn every_check_documents_itself() {
    for check in pss::all_checks() {
        let doc = check.explanation();
        for heading in ["## What it does", "## Why is this bad", "## Example"] {
            assert!(doc.contains(heading), "{} lacks `{heading}`", check.id);
        }
        assert!(!check.summary().is_empty());
    }
}
