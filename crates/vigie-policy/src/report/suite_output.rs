//! The JSON and JUnit forms of `kyverno test` reports.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::output::xml_escape;
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

/// `vigie policy test --output junit`: one test case per entry, for CI reporters.
pub fn test_junit(reports: &[SuiteReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r.count(|v| *v == Verdict::Disagree);
        let skipped = r.count(|v| matches!(v, Verdict::Unsupported(_) | Verdict::Unrunnable(_)));
        let _ = writeln!(
            out,
            " <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{}\">",
            xml_escape(&r.path.display().to_string()),
            r.entries.len(),
            r.errors.len()
        );
        for e in &r.entries {
            let _ = write!(
                out,
                "  <testcase classname=\"{}\" name=\"{} {} {}\">",
                xml_escape(&e.policy),
                xml_escape(&e.rule),
                xml_escape(&e.kind),
                xml_escape(&e.resource)
            );
            match &e.verdict {
                Verdict::Agree => {}
                Verdict::Disagree => {
                    let got = e.actual.map_or("none", Status::as_str);
                    let _ = write!(
                        out,
                        "<failure message=\"expected {}, got {got}: {}\"/>",
                        xml_escape(&e.expected),
                        xml_escape(&e.message)
                    );
                }
                Verdict::Unsupported(reason) => {
                    let _ = write!(
                        out,
                        "<skipped message=\"unsupported: {}\"/>",
                        xml_escape(reason)
                    );
                }
                Verdict::Unrunnable(reason) => {
                    let _ = write!(
                        out,
                        "<skipped message=\"unrunnable: {}\"/>",
                        xml_escape(reason)
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str(" </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
