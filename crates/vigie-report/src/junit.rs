//! JUnit XML for CI test reporters: each control is a test suite, each resource it
//! was evaluated on a test case that passes or fails, or is skipped when every
//! finding it has is excepted.
//!
//! Framework scores are `<property>` elements of a `<properties>` block on the
//! root `<testsuites>`: they belong to the whole run. (Ant's schema has no such
//! block on the root; the reporters we know of ignore what they do not read.)

use std::fmt::Write as _;
use std::io::{self, Write};

use vigie_finding::Report;

use crate::group::{cases_by_control, error_position, exception_note, ControlCase};

pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites = Vec::new();
    for control in cases_by_control(report) {
        let mut suite = Suite {
            name: format!("{} {}", control.id, control.title),
            tests: control.cases.len(),
            failures: 0,
            errors: 0,
            skipped: 0,
            body: String::new(),
        };
        for case in &control.cases {
            match write_case(&mut suite.body, case) {
                Outcome::Passed => {}
                Outcome::Failed => suite.failures += 1,
                Outcome::Skipped => suite.skipped += 1,
            }
        }
        suites.push(suite);
    }
    if !report.errors.is_empty() {
        suites.push(input_suite(report));
    }

    let tests: usize = suites.iter().map(|s| s.tests).sum();
    let failures: usize = suites.iter().map(|s| s.failures).sum();
    let errors: usize = suites.iter().map(|s| s.errors).sum();
    let skipped: usize = suites.iter().map(|s| s.skipped).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" \
         skipped=\"{skipped}\">",
        escape(format!("{} {}", report.tool_name, report.profile).trim_end()),
    );
    write_framework_properties(&mut xml, report);
    for suite in suites {
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(&suite.name),
            suite.tests,
            suite.failures,
            suite.errors,
            suite.skipped
        );
        xml.push_str(&suite.body);
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    out.write_all(xml.as_bytes())
}

struct Suite {
    name: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    body: String,
}

/// What a test case turned out to be.
enum Outcome {
    Passed,
    /// At least one finding no exception covers.
    Failed,
    /// Findings, all of them excepted.
    Skipped,
}

/// `<properties>` with each framework's score (two decimals) and title.
fn write_framework_properties(xml: &mut String, report: &Report) {
    if report.frameworks.is_empty() {
        return;
    }
    xml.push_str("  <properties>\n");
    for framework in &report.frameworks {
        let id = escape(&framework.id);
        let _ = writeln!(
            xml,
            "    <property name=\"framework.{id}.score\" value=\"{:.2}\"/>\n    \
             <property name=\"framework.{id}.title\" value=\"{}\"/>",
            framework.score,
            escape(&framework.title)
        );
    }
    xml.push_str("  </properties>\n");
}

fn write_case(xml: &mut String, case: &ControlCase<'_>) -> Outcome {
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\"",
        escape(&case.resource.display()),
        escape(&case.location.file)
    );
    if case.findings.is_empty() {
        xml.push_str("/>\n");
        return Outcome::Passed;
    }
    let mut details = String::new();
    for finding in &case.findings {
        let _ = match &finding.location.object {
            None => writeln!(
                details,
                "{} at line {}, column {}: {}",
                finding.field_path, finding.location.line, finding.location.column, finding.message
            ),
            Some(object) => writeln!(
                details,
                "{} of {} {} (uid {}): {}",
                finding.field_path,
                finding.location.file,
                finding.resource.display(),
                object.uid,
                finding.message
            ),
        };
        if let Some(tool) = &finding.location.rendered_by {
            let _ = writeln!(details, "  (lines of `{tool}` output)");
        }
        if let Some(subject) = &finding.subject {
            let _ = writeln!(details, "  Subject: {}", subject.display());
        }
        match &finding.exception {
            Some(exception) => {
                let _ = writeln!(details, "  Excepted: {}", exception_note(exception));
            }
            None if !finding.remediation.is_empty() => {
                let _ = writeln!(details, "  Fix: {}", finding.remediation);
            }
            None => {}
        }
    }

    let active: Vec<_> = case
        .findings
        .iter()
        .filter(|f| f.exception.is_none())
        .collect();
    if let Some(first) = active.first() {
        let message = with_more(&first.message, active.len());
        let _ = write!(
            xml,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            escape(&message),
            first.severity,
            escape_text(&details)
        );
        Outcome::Failed
    } else {
        let reason = case.findings[0]
            .exception
            .as_ref()
            .map_or("", |exception| exception.reason.as_str());
        let message = with_more(&format!("excepted: {reason}"), case.findings.len());
        let _ = write!(
            xml,
            ">\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>\n",
            escape(&message),
            escape_text(&details)
        );
        Outcome::Skipped
    }
}

/// `text`, or `text (and 2 more)` when it stands for `count` findings.
fn with_more(text: &str, count: usize) -> String {
    if count > 1 {
        format!("{text} (and {} more)", count - 1)
    } else {
        text.to_string()
    }
}

/// Input errors as a suite of their own, so that a report reader sees that part
/// of the input was never checked. Warnings are passing cases that carry their
/// text, so they show up without turning the build red.
fn input_suite(report: &Report) -> Suite {
    let mut body = String::new();
    for error in &report.errors {
        let position = error_position(error);
        let _ = write!(
            body,
            "    <testcase name=\"{}\" classname=\"{}\">\n      ",
            escape(&position),
            escape(&error.file)
        );
        if error.fatal {
            let _ = write!(
                body,
                "<error message=\"{}\" type=\"input\">{}: {}</error>",
                escape(&error.reason),
                escape_text(&position),
                escape_text(&error.reason)
            );
        } else {
            let _ = write!(
                body,
                "<system-out>warning: {}: {}</system-out>",
                escape_text(&position),
                escape_text(&error.reason)
            );
        }
        body.push_str("\n    </testcase>\n");
    }
    Suite {
        name: "input".into(),
        tests: report.errors.len(),
        failures: 0,
        errors: report.fatal_error_count(),
        skipped: 0,
        body,
    }
}

/// Escapes text for an XML 1.0 attribute value (or element content): markup
/// characters become references, line breaks and tabs character references, and
/// characters XML 1.0 forbids U+FFFD, so the document stays well-formed whatever
/// the text holds.
pub fn escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Escapes text for XML 1.0 element content, where line breaks may stay literal.
fn escape_text(text: &str) -> String {
    escape_xml(text, false)
}

///
/// Characters that XML 1.0 forbids even as references (most C0 controls, U+FFFE,
/// U+FFFF) become U+FFFD, so that a stray byte in a manifest cannot make the whole
/// report unreadable. Line breaks and tabs are written as references so that they
/// survive attribute-value normalisation.
fn escape_xml(text: &str, in_attribute: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' | '\t' if !in_attribute => escaped.push(c),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\t' => escaped.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_text};

    #[test]
    fn escapes_markup_and_replaces_characters_xml_forbids() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(
            escape("x\u{1}y\u{1b}[0m\u{ffff}"),
            "x\u{fffd}y\u{fffd}[0m\u{fffd}"
        );
        assert_eq!(escape("one\ntwo\tthree"), "one&#10;two&#9;three");
        assert_eq!(escape_text("one\ntwo<"), "one\ntwo&lt;");
    }
}
