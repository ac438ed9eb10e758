// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use vigie_report::Format;

use crate::fixture::{render, report};

/// What a test reporter would read from one `<testsuite>` (or the root).
#[derive(Debug, Default, PartialEq)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

struct Suite {
    name: String,
    declared: Counts,
    counted: Counts,
    case_names: Vec<String>,
    failure_messages: Vec<String>,
    skipped_messages: Vec<String>,
}

/// What `parse` reads from a document.
struct Parsed {
    root: Counts,
    /// `<property>` elements of the root's `<properties>`, as (name, value).
    properties: Vec<(String, String)>,
    suites: Vec<Suite>,
}

fn attribute(element: &BytesStart<'_>, name: &str) -> String {
    element
        .try_get_attribute(name)
        .expect("well-formed attribute")
        .unwrap_or_else(|| panic!("missing attribute {name}"))
        .normalized_value(XmlVersion::Implicit1_0)
        .expect("attribute unescapes")
        .into_owned()
}

fn declared(element: &BytesStart<'_>) -> Counts {
    let number = |name| attribute(element, name).parse::<usize>().unwrap();
    Counts {
        tests: number("tests"),
        failures: number("failures"),
        errors: number("errors"),
        skipped: number("skipped"),
    }
}

/// Parses the document fully (any XML error fails the test) and returns the root
/// counts, root properties and the suites.
fn parse_all(xml: &str) -> Parsed {
    let mut reader = Reader::from_str(xml);
    let mut root = None;
    let mut properties = Vec::new();
    let mut suites: Vec<Suite> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testsuites" => root = Some(declared(&e)),
                "testsuite" => suites.push(Suite {
                    name: attribute(&e, "name"),
                    declared: declared(&e),
                    counted: Counts::default(),
                    case_names: Vec::new(),
                    failure_messages: Vec::new(),
                    skipped_messages: Vec::new(),
                }),
                "testcase" => {
                    let suite = suites.last_mut().expect("testcase inside a testsuite");
                    suite.counted.tests += 1;
                    suite.case_names.push(attribute(&e, "name"));
                }
                "failure" => {
                    let suite = suites.last_mut().unwrap();
                    suite.counted.failures += 1;
                    suite.failure_messages.push(attribute(&e, "message"));
                }
                "error" => suites.last_mut().unwrap().counted.errors += 1,
                "skipped" => {
                    let suite = suites.last_mut().unwrap();
                    suite.counted.skipped += 1;
                    // `<skipped/>` without a reason has no message.
                    if e.try_get_attribute("message").ok().flatten().is_some() {
                        suite.skipped_messages.push(attribute(&e, "message"));
                    }
                }
                "property" => {
                    assert!(suites.is_empty(), "properties belong to the root");
                    properties.push((attribute(&e, "name"), attribute(&e, "value")));
                }
                _ => {}
            },
            _ => {}
        }
    }
    Parsed {
        root: root.expect("a <testsuites> root"),
        properties,
        suites,
    }
}

/// The root counts and the suites.
fn parse(xml: &str) -> (Counts, Vec<Suite>) {
    let parsed = parse_all(xml);
    (parsed.root, parsed.suites)
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Junit));
}

#[test]
fn counts_are_right_on_suites_and_root() {
    let (root, suites) = parse(&render(&report(), Format::Junit));
    for suite in &suites {
        assert_eq!(suite.declared, suite.counted, "suite {}", suite.name);
    }
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "VG-001 Privileged container",
            "VG-002 Host network",
            "VG-003 Writable root filesystem",
            "VG-004 Default service account token",
            "VG-005 Windows host process",
            "VG-006 Cluster-admin binding",
            "input"
        ]
    );
    // Four controls on two resources, one on the binding, plus the input error;
    // the excepted finding's case is skipped, not failed.
    assert_eq!(
        root,
        Counts {
            tests: 10,
            failures: 4,
            errors: 1,
            skipped: 1,
        }
    );
    assert_eq!(
        suites[0].case_names,
        ["Deployment default/web", "Pod prod/api"]
    );
    assert_eq!(
        suites[1].failure_messages,
        ["hostNetwork is true (shares the node's network <namespace> & ports)"]
    );
    assert_eq!(suites[4].declared.tests, 0);
}

#[test]
fn markup_and_forbidden_characters_are_escaped() {
    let mut report = report();
    report.findings[0].message = "a \"quoted\" <tag> & 'apostrophe' \u{1b}[31m bell\u{7}".into();
    std::sync::Arc::make_mut(&mut report.resources[0].resource).name = "we<b>&\"".into();
    for finding in &mut report.findings[..2] {
        std::sync::Arc::make_mut(&mut finding.resource).name = "we<b>&\"".into();
    }
    report.errors[0].reason = "bad byte \u{0} here".into();
    let xml = render(&report, Format::Junit);
    assert!(
        !xml.chars().any(|c| c < ' ' && c != '\n' && c != '\t'),
        "XML 1.0 forbids C0 controls"
    );
    let (root, suites) = parse(&xml);
    assert_eq!(root.tests, 10);
    let writable = &suites[2];
    assert_eq!(writable.case_names[0], "Deployment default/we<b>&\"");
    assert_eq!(
        writable.failure_messages[0],
        "a \"quoted\" <tag> & 'apostrophe' \u{fffd}[31m bell\u{fffd}"
    );
}

#[test]
fn findings_the_report_forgot_to_list_are_still_reported() {
    let mut report = report();
    let mut stray = report.findings[2].clone();
    stray.control_id = "VG-999".into();
    stray.title = "Unlisted control".into();
    report.findings.push(stray);
    let (root, suites) = parse(&render(&report, Format::Junit));
    let stray_suite = suites
        .iter()
        .find(|s| s.name == "VG-999 Unlisted control")
        .expect("a suite for the unlisted control");
    assert_eq!(
        stray_suite.declared,
        Counts {
            tests: 1,
            failures: 1,
            errors: 0,
            skipped: 0,
        }
    );
    assert_eq!(root.tests, 11);
    assert_eq!(root.failures, 5);
}

#[test]
fn a_case_whose_findings_are_all_excepted_is_skipped() {
    let (root, suites) = parse(&render(&report(), Format::Junit));
    let token = &suites[3];
    assert_eq!(token.name, "VG-004 Default service account token");
    assert_eq!(
        token.declared,
        Counts {
            tests: 2,
            failures: 0,
            errors: 0,
            skipped: 1,
        }
    );
    assert_eq!(
        token.skipped_messages,
        ["excepted: the API client reads its own token; see OPS-142"]
    );
    assert!(token.failure_messages.is_empty());
    assert_eq!(root.skipped, 1);
}

#[test]
fn an_active_finding_fails_the_case_even_beside_an_excepted_one() {
    let mut report = report();
    // A second finding of the same control on the same resource, not excepted.
    let mut active = report.findings[3].clone();
    active.exception = None;
    active.field_path = "spec.containers[0].automountServiceAccountToken".into();
    active.message = "the sidecar mounts the token".into();
    report.findings.push(active);
    let xml = render(&report, Format::Junit);
    let (root, suites) = parse(&xml);
    let token = &suites[3];
    assert_eq!(token.declared, token.counted);
    assert_eq!((token.declared.failures, token.declared.skipped), (1, 0));
    assert_eq!(token.failure_messages, ["the sidecar mounts the token"]);
    assert_eq!((root.failures, root.skipped), (5, 0));
    // The excepted one is still in the details, marked.
    assert!(xml.contains("  Excepted: the API client reads its own token; see OPS-142"));
}

#[test]
fn frameworks_are_root_properties() {
    let parsed = parse_all(&render(&report(), Format::Junit));
    let properties: Vec<(&str, &str)> = parsed
        .properties
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        properties,
        [
            ("framework.nsa.score", "66.67"),
            (
                "framework.nsa.title",
                "NSA-CISA Kubernetes Hardening Guidance"
            ),
            ("framework.pss-baseline.score", "50.00"),
            (
                "framework.pss-baseline.title",
                "Pod Security Standards baseline"
            ),
        ]
    );

    let mut report = report();
    report.frameworks.clear();
    let xml = render(&report, Format::Junit);
    assert!(!xml.contains("<properties>"));
}

/// Text with what breaks hand-written XML.
const HOSTILE: &str = "a \u{1} ]]> \"q\" 'a' <t> & \r\n\u{ffff}\u{1b}[0m";
/// The same as a parser gives it back: forbidden characters as U+FFFD.
const HOSTILE_READ: &str = "a \u{fffd} ]]> \"q\" 'a' <t> & \r\n\u{fffd}\u{fffd}[0m";

#[test]
fn the_shared_writer_escapes_every_field_and_counts_from_the_cases() {
    use vigie_report::junit::{self, Detail, Outcome, Property, TestCase, TestSuite};
    let detail = || Detail {
        message: HOSTILE.into(),
        kind: Some(HOSTILE.into()),
        text: HOSTILE.into(),
    };
    let case = |outcome| TestCase {
        name: HOSTILE.into(),
        classname: HOSTILE.into(),
        outcome,
        system_out: Some(HOSTILE.into()),
    };
    let suites = [TestSuite {
        name: HOSTILE.into(),
        cases: vec![
            case(Outcome::Passed),
            case(Outcome::Failure(detail())),
            case(Outcome::Error(detail())),
            case(Outcome::Skipped(detail())),
            case(Outcome::Skipped(Detail::default())),
        ],
    }];
    let property = Property {
        name: HOSTILE.into(),
        value: HOSTILE.into(),
    };
    let mut out = Vec::new();
    junit::write(&mut out, HOSTILE, &[property], &suites).unwrap();
    let xml = String::from_utf8(out).unwrap();
    assert!(
        !xml.chars()
            .any(|c| c < ' ' && c != '\n' || matches!(c, '\u{fffe}' | '\u{ffff}')),
        "XML 1.0 forbids C0 controls but tab and line breaks, and U+FFFE/U+FFFF: {xml}"
    );
    let parsed = parse_all(&xml);
    let counts = Counts {
        tests: 5,
        failures: 1,
        errors: 1,
        skipped: 2,
    };
    assert_eq!(parsed.root, counts);
    assert_eq!(parsed.suites[0].declared, counts);
    assert_eq!(parsed.suites[0].counted, counts);
    assert_eq!(parsed.suites[0].name, HOSTILE_READ);
    assert_eq!(parsed.suites[0].case_names, [HOSTILE_READ; 5]);
    assert_eq!(parsed.suites[0].failure_messages, [HOSTILE_READ]);
    assert_eq!(
        parsed.properties,
        [(HOSTILE_READ.into(), HOSTILE_READ.into())]
    );
}
