//! `vigie policy apply` and `vigie policy test` as SARIF, JUnit and policy
//! reports: written by vigie-report's writers, the scan's, and well-formed
//! whatever the policy messages hold.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{assert_contains, items, run, shop, text, write, ClusterPolicy};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;

/// A message with what breaks hand-written XML: a C0 control, `]]>`, quotes,
/// markup and an ampersand (YAML escapes, so the file itself is clean).
const HOSTILE_MESSAGE: &str = r#""bad \x01 byte ]]> \"quoted\" 'single' <tag> & amp\x1b[0m""#;

fn policy() -> String {
    let need_team = ClusterPolicy::new(
        "need-team",
        &[("policies.kyverno.io/category", "Best Practices")],
        Some("Enforce"),
    )
    .label_rule("team", "Pod, Namespace", HOSTILE_MESSAGE, "team", None);
    let advise_owner = ClusterPolicy::new("advise-owner", &[], Some("Audit")).label_rule(
        "owner",
        "Pod",
        "an owner label is advised",
        "owner",
        None,
    );
    format!("{}---\n{}", need_team.yaml(), advise_owner.yaml())
}

/// Runs `policy apply` on the policy and resources above with `extra` flags.
fn apply(dir: &Path, extra: &[&str]) -> std::process::Output {
    let policy = write(dir, "policy.yaml", policy());
    let resources = write(dir, "resources.yaml", shop("{team: a, owner: b}"));
    let mut args = vec![
        "policy",
        "apply",
        policy.to_str().unwrap(),
        "-r",
        resources.to_str().unwrap(),
    ];
    args.extend(extra);
    run(&args)
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .expect("well-formed attribute")
        .map(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .expect("attribute unescapes")
                .into_owned()
        })
}

/// What a JUnit reader sees: every element name with its `message`, and the
/// declared counts of the root and of each suite next to the cases counted.
#[derive(Debug, Default)]
struct Junit {
    elements: Vec<(String, Option<String>)>,
    /// (declared tests, failures, errors, skipped) of each `<testsuite>`.
    declared: Vec<[usize; 4]>,
    /// The same, counted from the cases.
    counted: Vec<[usize; 4]>,
}

/// Whether XML 1.0 allows `c` in a document, literally or as a reference
/// (production 2, `Char`).
fn xml10_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}') || c >= '\u{10000}'
}

/// What the parser below does not check (it leaves Legal Char to the caller):
/// every character, and every character reference, is one XML 1.0 allows, and
/// every entity reference is a predefined one.
fn assert_legal_characters(xml: &str) {
    if let Some(c) = xml.chars().find(|c| !xml10_char(*c)) {
        panic!("character {c:?} is not allowed in XML 1.0: {xml}");
    }
    for reference in xml.split('&').skip(1) {
        let name = reference.split(';').next().unwrap();
        let legal = match name.strip_prefix('#') {
            Some(number) => {
                let code = match number.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => number.parse(),
                };
                code.ok().and_then(char::from_u32).is_some_and(xml10_char)
            }
            None => matches!(name, "amp" | "lt" | "gt" | "quot" | "apos"),
        };
        assert!(legal, "reference &{name}; is not allowed: {xml}");
    }
}

/// Parses the whole document with a real XML parser (any error fails the test)
/// after checking its characters.
fn parse_junit(xml: &str) -> Junit {
    assert_legal_characters(xml);
    let mut reader = Reader::from_str(xml);
    let mut parsed = Junit::default();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_string();
                let number = |n| attribute(&e, n).unwrap().parse::<usize>().unwrap();
                match name.as_str() {
                    "testsuite" => {
                        parsed.declared.push([
                            number("tests"),
                            number("failures"),
                            number("errors"),
                            number("skipped"),
                        ]);
                        parsed.counted.push([0; 4]);
                    }
                    "testcase" => parsed.counted.last_mut().unwrap()[0] += 1,
                    "failure" => parsed.counted.last_mut().unwrap()[1] += 1,
                    "error" => parsed.counted.last_mut().unwrap()[2] += 1,
                    "skipped" => parsed.counted.last_mut().unwrap()[3] += 1,
                    _ => {}
                }
                parsed.elements.push((name, attribute(&e, "message")));
            }
            _ => {}
        }
    }
    parsed
}

#[test]
fn the_character_check_refuses_what_xml_forbids() {
    assert_legal_characters("<a b=\"&#10;&amp;\">x&#x9;&lt;</a>");
    for bad in [
        "<a>\u{1}</a>",
        "<a b=\"&#1;\"/>",
        "<a>&#xFFFE;</a>",
        "<a>&nbsp;</a>",
    ] {
        let refused = std::panic::catch_unwind(|| assert_legal_characters(bad));
        assert!(refused.is_err(), "{bad:?} passed");
    }
}

#[test]
fn apply_junit_is_well_formed_with_hostile_messages_and_counts_its_cases() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(dir.path(), &["--audit-warn", "--output-format", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let xml = text(&out.stdout);
    let junit = parse_junit(&xml);
    assert_eq!(junit.declared, junit.counted, "{xml}");
    // Two pods and two rules, a namespace and one: web fails `team` and warns on
    // `owner`, the namespace fails `team`.
    assert_eq!(junit.declared, [[5, 3, 0, 0]], "{xml}");
    let failure = junit
        .elements
        .iter()
        .find_map(|(name, message)| (name == "failure").then_some(message.clone()))
        .flatten()
        .unwrap();
    assert_contains(
        &failure,
        "bad \u{fffd} byte ]]> \"quoted\" 'single' <tag> & amp\u{fffd}[0m",
    );
}

#[test]
fn test_junit_is_well_formed_and_reports_suite_errors_as_error_cases() {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    // A failing entry with a hostile message...
    write(&suites, "hostile/policy.yaml", policy());
    write(
        &suites,
        "hostile/resources.yaml",
        shop("{team: a, owner: b}"),
    );
    write(
        &suites,
        "hostile/kyverno-test.yaml",
        "apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: hostile}
policies: [policy.yaml]
resources: [resources.yaml]
results:
- policy: need-team
  rule: team
  resources: [web]
  kind: Pod
  result: pass
",
    );
    // ...and a suite whose policy file is not there.
    write(
        &suites,
        "broken/kyverno-test.yaml",
        "apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: broken}
policies: [missing.yaml]
resources: []
results: []
",
    );
    let out = run(&["policy", "test", suites.to_str().unwrap(), "-o", "junit"]);
    let xml = text(&out.stdout);
    let junit = parse_junit(&xml);
    assert_eq!(junit.declared, junit.counted, "{xml}");
    let messages: Vec<&str> = junit
        .elements
        .iter()
        .filter(|(name, _)| name == "failure" || name == "error")
        .filter_map(|(_, message)| message.as_deref())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("expected pass, got fail: ")
                && m.contains("bad \u{fffd} byte ]]> \"quoted\" 'single' <tag> & amp\u{fffd}[0m")),
        "{xml}"
    );
    assert!(messages.iter().any(|m| m.contains("missing.yaml")), "{xml}");
}

#[test]
fn apply_sarif_has_rules_results_and_locations() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(dir.path(), &["--audit-warn", "--output-format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let schema = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vigie-report/tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap()
    // The stray `]` of the official schema's `language` pattern, read as meant
    // (as vigie-report's own SARIF tests do).
    .replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&serde_json::from_str(&schema).unwrap())
        .unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["need-team/team", "advise-owner/owner"]);
    assert!(rules[0]["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .contains("category: Best Practices"));
    let results = run["results"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str, u64)> = results
        .iter()
        .map(|r| {
            let location = &r["locations"][0];
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                location["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap(),
                location["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    // Each at the line its object's document starts on.
    assert_eq!(
        seen,
        [
            ("need-team/team", "error", "Pod shop/web", 1),
            ("advise-owner/owner", "warning", "Pod shop/web", 1),
            ("need-team/team", "error", "Namespace shop", 11),
        ]
    );
    for result in results {
        let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(uri.as_str().unwrap().ends_with("resources.yaml"), "{uri}");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn apply_sarif_names_input_errors_as_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "broken.yaml", "kind: [unclosed\n");
    let out = apply(
        dir.path(),
        &["-r", broken.to_str().unwrap(), "--output-format", "sarif"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("broken.yaml")),
        "{notes:#?}"
    );
}

#[test]
fn policy_reports_in_both_api_groups_as_json_and_yaml() {
    let dir = tempfile::tempdir().unwrap();
    for (api, group, namespaced, cluster) in [
        (
            "openreports",
            "openreports.io/v1alpha1",
            "Report",
            "ClusterReport",
        ),
        (
            "wgpolicy",
            "wgpolicyk8s.io/v1alpha2",
            "PolicyReport",
            "ClusterPolicyReport",
        ),
    ] {
        let out = apply(
            dir.path(),
            &["-p", "--report-api", api, "--output-format", "json"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let list: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(list["kind"], "List");
        let reports = list["items"].as_array().unwrap();
        let kinds: Vec<(&str, &str)> = reports
            .iter()
            .map(|i| {
                (
                    i["apiVersion"].as_str().unwrap(),
                    i["kind"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(kinds, [(group, namespaced), (group, cluster)], "{list:#}");
        let shop = &reports[0];
        assert_eq!(shop["metadata"]["namespace"], "shop");
        assert_eq!(shop["summary"]["pass"], 2);
        assert_eq!(shop["summary"]["fail"], 2);
        let message = items(&shop["results"])
            .find(|r| r["rule"] == "team" && r["result"] == "fail")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("bad \u{1} byte ]]>"), "{message:?}");
        assert_eq!(reports[1]["summary"]["fail"], 1, "the Namespace");

        let out = apply(
            dir.path(),
            &["-p", "--report-api", api, "--output-format", "yaml"],
        );
        let yaml = text(&out.stdout);
        let docs = yaml_rust2::YamlLoader::load_from_str(&yaml).unwrap();
        // The same reports as the JSON list.
        assert_eq!(docs.len(), reports.len(), "{yaml}");
        for (doc, item) in docs.iter().zip(reports) {
            for field in ["apiVersion", "kind"] {
                assert_eq!(doc[field].as_str(), item[field].as_str(), "{yaml}");
            }
            assert_eq!(
                doc["summary"]["fail"].as_i64(),
                item["summary"]["fail"].as_i64()
            );
        }
    }
}
