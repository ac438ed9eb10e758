//! JUnit XML for CI test reporters: the one JUnit writer of vigie. Every
//! producer (a scan, `policy apply`, `policy test`) turns its results into
//! [`TestSuite`]s and [`TestCase`]s and hands them to [`write`] (or, to write case
//! by case, a [`JunitWriter`]), so that the layout and the XML escaping are the
//! same everywhere.
//!
//! A scan's report ([`render`]) has one test suite per control, one test case per
//! resource it was evaluated on that passes or fails, or is skipped when every
//! finding it has is excepted. Framework scores are `<property>` elements of a
//! `<properties>` block on the root `<testsuites>`: they belong to the whole run.
//! (Ant's schema has no such block on the root; the reporters we know of ignore
//! what they do not read.)

use std::fmt::Write as _;
use std::io::{self, Write};

use vigie_finding::Report;

use crate::group::{cases_by_control, error_position, exception_note, ControlCase};
use crate::markup::escape_markup;

/// How many test cases a suite (or the whole document) has, and how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Test cases.
    pub tests: usize,
    /// Cases with a `<failure>`.
    pub failures: usize,
    /// Cases with an `<error>`.
    pub errors: usize,
    /// Cases with a `<skipped>`.
    pub skipped: usize,
}

impl Counts {
    /// The counts of `cases`.
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a TestCase>) -> Counts {
        let mut counts = Counts::default();
        for case in cases {
            counts.add(&case.outcome);
        }
        counts
    }

    /// Counts one more case that ended with `outcome`.
    pub fn add(&mut self, outcome: &Outcome) {
        self.tests += 1;
        match outcome {
            Outcome::Passed => {}
            Outcome::Failure(_) => self.failures += 1,
            Outcome::Error(_) => self.errors += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    fn merge(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }
}

/// One test case: what was checked (`name`), where it belongs (`classname`) and
/// how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// The `name` attribute.
    pub name: String,
    /// The `classname` attribute: what reporters group cases by.
    pub classname: String,
    /// How the case ended.
    pub outcome: Outcome,
    /// Text for `<system-out>`, shown by reporters without failing the case.
    pub system_out: Option<String>,
}

/// How a test case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No child element.
    Passed,
    /// `<failure>`: the check found a problem.
    Failure(Detail),
    /// `<error>`: the check could not run.
    Error(Detail),
    /// `<skipped>`: the check was not counted.
    Skipped(Detail),
}

/// The attributes and text of a `<failure>`, `<error>` or `<skipped>` element.
/// An empty `message` or `text`, or no `kind`, is left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// The `message` attribute: one line a reporter shows.
    pub message: String,
    /// The `type` attribute.
    pub kind: Option<String>,
    /// The element's text: the details, several lines if need be.
    pub text: String,
}

impl Detail {
    /// A detail with only a message.
    pub fn message(message: impl Into<String>) -> Detail {
        Detail {
            message: message.into(),
            ..Detail::default()
        }
    }
}

/// A test suite and its cases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestSuite {
    /// The `name` attribute.
    pub name: String,
    /// The cases, in the order written.
    pub cases: Vec<TestCase>,
}

/// A `<property>` of the root `<testsuites>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// The `name` attribute.
    pub name: String,
    /// The `value` attribute.
    pub value: String,
}

/// Writes a whole document: the root named `name` with `properties`, then
/// `suites`, every count taken from the cases.
pub fn write(
    out: &mut dyn Write,
    name: &str,
    properties: &[Property],
    suites: &[TestSuite],
) -> io::Result<()> {
    let mut totals = Counts::default();
    for suite in suites {
        totals.merge(Counts::of(&suite.cases));
    }
    let mut writer = JunitWriter::begin(out, name, totals, properties)?;
    for suite in suites {
        writer.begin_suite(&suite.name, Counts::of(&suite.cases))?;
        for case in &suite.cases {
            writer.case(case)?;
        }
    }
    writer.finish()
}

/// Writes a document case by case, for producers that know the counts before
/// the cases and would rather not hold every case at once. The counts given
/// are written as they are: they must match the cases written.
pub struct JunitWriter<'w> {
    out: &'w mut dyn Write,
    in_suite: bool,
}

impl<'w> JunitWriter<'w> {
    /// Writes the XML declaration, the root `<testsuites>` with `totals` and
    /// its `properties`.
    pub fn begin(
        out: &'w mut dyn Write,
        name: &str,
        totals: Counts,
        properties: &[Property],
    ) -> io::Result<Self> {
        let mut head = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            head,
            "<testsuites name=\"{}\" {}>",
            escape(name),
            count_attributes(totals)
        );
        if !properties.is_empty() {
            head.push_str("  <properties>\n");
            for property in properties {
                let _ = writeln!(
                    head,
                    "    <property name=\"{}\" value=\"{}\"/>",
                    escape(&property.name),
                    escape(&property.value)
                );
            }
            head.push_str("  </properties>\n");
        }
        out.write_all(head.as_bytes())?;
        Ok(JunitWriter {
            out,
            in_suite: false,
        })
    }

    /// Closes the suite being written, if any, and opens one named `name`.
    pub fn begin_suite(&mut self, name: &str, counts: Counts) -> io::Result<()> {
        self.end_suite()?;
        writeln!(
            self.out,
            "  <testsuite name=\"{}\" {}>",
            escape(name),
            count_attributes(counts)
        )?;
        self.in_suite = true;
        Ok(())
    }

    /// Writes one test case into the suite being written.
    pub fn case(&mut self, case: &TestCase) -> io::Result<()> {
        let mut xml = String::new();
        write_case(&mut xml, case);
        self.out.write_all(xml.as_bytes())
    }

    /// Closes the last suite and the document.
    pub fn finish(mut self) -> io::Result<()> {
        self.end_suite()?;
        self.out.write_all(b"</testsuites>\n")
    }

    fn end_suite(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.in_suite) {
            self.out.write_all(b"  </testsuite>\n")?;
        }
        Ok(())
    }
}

fn count_attributes(counts: Counts) -> String {
    format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
        counts.tests, counts.failures, counts.errors, counts.skipped
    )
}

fn write_case(xml: &mut String, case: &TestCase) {
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\"",
        escape(&case.name),
        escape(&case.classname)
    );
    let element = match &case.outcome {
        Outcome::Passed => None,
        Outcome::Failure(detail) => Some(("failure", detail)),
        Outcome::Error(detail) => Some(("error", detail)),
        Outcome::Skipped(detail) => Some(("skipped", detail)),
    };
    if element.is_none() && case.system_out.is_none() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    if let Some((tag, detail)) = element {
        let _ = write!(xml, "      <{tag}");
        if !detail.message.is_empty() {
            let _ = write!(xml, " message=\"{}\"", escape(&detail.message));
        }
        if let Some(kind) = &detail.kind {
            let _ = write!(xml, " type=\"{}\"", escape(kind));
        }
        if detail.text.is_empty() {
            xml.push_str("/>\n");
        } else {
            let _ = writeln!(xml, ">{}</{tag}>", escape_text(&detail.text));
        }
    }
    if let Some(text) = &case.system_out {
        let _ = writeln!(xml, "      <system-out>{}</system-out>", escape_text(text));
    }
    xml.push_str("    </testcase>\n");
}

/// A scan's report as JUnit XML.
pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: Vec<TestSuite> = cases_by_control(report)
        .iter()
        .map(|control| TestSuite {
            name: format!("{} {}", control.id, control.title),
            cases: control.cases.iter().map(scan_case).collect(),
        })
        .collect();
    if !report.errors.is_empty() {
        suites.push(input_suite(report));
    }
    let properties: Vec<Property> = report
        .frameworks
        .iter()
        .flat_map(|framework| {
            [
                Property {
                    name: format!("framework.{}.score", framework.id),
                    value: format!("{:.2}", framework.score),
                },
                Property {
                    name: format!("framework.{}.title", framework.id),
                    value: framework.title.clone(),
                },
            ]
        })
        .collect();
    let name = format!("{} {}", report.tool_name, report.profile);
    // Written whole at the end, in one write.
    let mut xml = Vec::new();
    write(&mut xml, name.trim_end(), &properties, &suites)?;
    out.write_all(&xml)
}

fn scan_case(case: &ControlCase<'_>) -> TestCase {
    let mut test_case = TestCase {
        name: case.resource.display(),
        classname: case.location.file.to_string(),
        outcome: Outcome::Passed,
        system_out: None,
    };
    if case.findings.is_empty() {
        return test_case;
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
    test_case.outcome = if let Some(first) = active.first() {
        Outcome::Failure(Detail {
            message: with_more(&first.message, active.len()),
            kind: Some(first.severity.to_string()),
            text: details,
        })
    } else {
        let reason = case.findings[0]
            .exception
            .as_ref()
            .map_or("", |exception| exception.reason.as_str());
        Outcome::Skipped(Detail {
            message: with_more(&format!("excepted: {reason}"), case.findings.len()),
            kind: None,
            text: details,
        })
    };
    test_case
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
fn input_suite(report: &Report) -> TestSuite {
    let cases = report
        .errors
        .iter()
        .map(|error| {
            let position = error_position(error);
            let text = format!("{position}: {}", error.reason);
            let (outcome, system_out) = if error.fatal {
                let detail = Detail {
                    message: error.reason.clone(),
                    kind: Some("input".into()),
                    text,
                };
                (Outcome::Error(detail), None)
            } else {
                (Outcome::Passed, Some(format!("warning: {text}")))
            };
            TestCase {
                name: position,
                classname: error.file.clone(),
                outcome,
                system_out,
            }
        })
        .collect();
    TestSuite {
        name: "input".into(),
        cases,
    }
}

/// Escapes text for an XML 1.0 attribute value (or element content): markup
/// characters become references, line breaks and tabs character references, and
/// characters XML 1.0 forbids U+FFFD, so the document stays well-formed whatever
/// the text holds.
fn escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Escapes text for XML 1.0 element content, where line breaks may stay literal.
fn escape_text(text: &str) -> String {
    escape_xml(text, false)
}

/// The one XML escaping of vigie's reports.
///
/// Characters that XML 1.0 forbids even as references (most C0 controls, U+FFFE,
/// U+FFFF) become U+FFFD, so that a stray byte in a manifest cannot make the whole
/// report unreadable. Line breaks and tabs are written as references so that they
/// survive attribute-value normalisation.
fn escape_xml(text: &str, in_attribute: bool) -> String {
    escape_markup(text, |c, escaped| match c {
        '\'' => escaped.push_str("&apos;"),
        '\n' | '\t' if !in_attribute => escaped.push(c),
        '\n' => escaped.push_str("&#10;"),
        '\r' => escaped.push_str("&#13;"),
        '\t' => escaped.push_str("&#9;"),
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
        other => escaped.push(other),
    })
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
