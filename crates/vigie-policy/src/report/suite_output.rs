//! The JSON and JUnit forms of `kyverno test` reports.

use serde_json::{json, Value as Json};
use vigie_report::junit;

use crate::engine::Status;
use crate::suite::{SuiteReport, Verdict};

/// `vigie policy test --output json`: every suite's entries and verdicts.
pub fn test_json(reports: &[SuiteReport]) -> String {
    let suites: Vec<Json> = reports
        .iter()
        .map(|r| {
            json!({
                "path": r.path.display().to_string(),
                "name": r.name,
                "errors": r.errors,
                "results": r.entries.iter().map(|e| json!({
                    "policy": e.policy, "rule": e.rule, "kind": e.kind, "resource": e.resource,
                    "expected": e.expected, "actual": e.actual.map(Status::as_str),
                    "verdict": match &e.verdict { Verdict::Agree => "pass", Verdict::Disagree => "fail", Verdict::Unsupported(_) => "unsupported", Verdict::Unrunnable(_) => "unrunnable" },
                    "reason": match &e.verdict { Verdict::Unsupported(r) | Verdict::Unrunnable(r) => r.clone(), _ => e.message.clone() },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({"suites": suites})).unwrap_or_default() + "\n"
}

/// `vigie policy test --output junit`: one suite per suite file, one test case
/// per entry, for CI reporters, through vigie-report's JUnit writer. A problem
/// that stopped part of a suite (an unreadable file, a policy that did not load)
/// is an error test case of its suite, so that its text reaches the reporter.
pub fn test_junit(reports: &[SuiteReport]) -> String {
    let suites: Vec<junit::TestSuite> = reports
        .iter()
        .map(|r| {
            let path = r.path.display().to_string();
            let entries = r.entries.iter().map(|e| junit::TestCase {
                name: format!("{} {} {}", e.rule, e.kind, e.resource),
                classname: e.policy.clone(),
                outcome: match &e.verdict {
                    Verdict::Agree => junit::Outcome::Passed,
                    Verdict::Disagree => {
                        let got = e.actual.map_or("none", Status::as_str);
                        let mut message = format!("expected {}, got {got}", e.expected);
                        if !e.message.is_empty() {
                            message = format!("{message}: {}", e.message);
                        }
                        junit::Outcome::Failure(junit::Detail::message(message))
                    }
                    Verdict::Unsupported(reason) => junit::Outcome::Skipped(
                        junit::Detail::message(format!("unsupported: {reason}")),
                    ),
                    Verdict::Unrunnable(reason) => junit::Outcome::Skipped(junit::Detail::message(
                        format!("unrunnable: {reason}"),
                    )),
                },
                system_out: None,
            });
            let errors = r.errors.iter().map(|error| junit::TestCase {
                name: "suite".into(),
                classname: path.clone(),
                outcome: junit::Outcome::Error(junit::Detail {
                    message: error.clone(),
                    kind: Some("input".into()),
                    text: String::new(),
                }),
                system_out: None,
            });
            junit::TestSuite {
                cases: errors.chain(entries).collect(),
                name: path,
            }
        })
        .collect();
    let mut out = Vec::new();
    // Writing to memory does not fail.
    let _ = junit::write(&mut out, "vigie policy test", &[], &suites);
    String::from_utf8(out).unwrap_or_default()
}
