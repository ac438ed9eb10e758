//! Renders a vigie [`Report`] for people (terminal text, HTML) and for machines
//! (JSON, SARIF for code scanning, JUnit XML for CI test reporters).
//!
//! Every format reads the same [`Report`]; none of them knows how it was produced.
//! A scan too large to hold its findings writes them as it goes through the
//! [`Encoder`] and [`ReportWriter`] pair; [`render`] writes a report held in memory
//! the same way, so both give the same text.
//!
//! [`policy_report`] renders policy results as Kubernetes policy reports
//! (openreports.io or wgpolicyk8s.io), aggregated per namespace and bounded.
//! [`junit`] is the one JUnit XML writer (and XML escaper) of vigie: other
//! producers, such as `policy apply` and `policy test`, hand it their results as
//! test suites and cases. Their SARIF goes through [`Encoder`] and
//! [`ReportWriter`], from findings. [`prometheus`] holds the one escaper of
//! Prometheus label values, used by every `/metrics` producer.
//!
//! ```
//! use vigie_finding::{Report, Totals};
//! use vigie_report::{render_to_string, Format, RenderOptions};
//!
//! let report = Report {
//!     tool_name: "vigie".into(),
//!     tool_version: "0.1.0".into(),
//!     profile: "example".into(),
//!     controls: Vec::new(),
//!     frameworks: Vec::new(),
//!     resources: Vec::new(),
//!     findings: Vec::new(),
//!     totals: Totals::default(),
//!     errors: Vec::new(),
//! };
//! let format: Format = "sarif".parse().expect("a known format");
//! let sarif = render_to_string(&report, format, &RenderOptions::default())?;
//! let json: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
//! assert_eq!(json["version"], "2.1.0");
//! # Ok::<(), std::io::Error>(())
//! ```

mod group;
mod html;
mod json;
pub mod junit;
mod markup;
pub mod policy_report;
pub mod posture;
mod pretty;
pub mod prometheus;
mod sarif;
mod stream;

pub use stream::{Batch, Encoder, ReportWriter};

use std::io;

use vigie_finding::Report;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Text for a person at a terminal.
    Pretty,
    /// The versioned JSON document described in `docs/json-report.md`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for CI test reporters.
    Junit,
    /// One self-contained HTML page.
    Html,
}

impl Format {
    /// Every format, in the order the unknown-format error lists them.
    pub const ALL: [Format; 5] = [
        Format::Pretty,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Html,
    ];

    /// The format's name on the command line (`--format sarif`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pretty => "pretty",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }
}

vigie_finding::impl_names! {
    Format named by as_str, IgnoreAscii;
    "format", expected "pretty, json, sarif, junit or html"
}

/// How to render. Only the pretty format looks at `color`; the others are files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Use ANSI colours. When false, the output holds no escape code at all.
    pub color: bool,
}

/// Writes `report` to `out` in `format`.
pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Junit => return junit::render(report, out),
        Format::Html => return html::render(report, out),
        Format::Pretty | Format::Json | Format::Sarif => {}
    }
    let encoder = Encoder::new(format, options, report);
    let mut writer = ReportWriter::begin(format, options, report, out);
    for (location, findings) in group::resource_runs(report) {
        writer.write(encoder.encode(location, findings));
    }
    writer.finish(report)
}

/// Writes `value` as pretty JSON (serde_json's layout, two spaces a level) as if
/// nested `depth` levels deep in a document: for writers that put a document
/// together piece by piece, as `policy apply`'s JSON does.
pub fn write_nested_json(value: &impl serde::Serialize, depth: usize, out: &mut Vec<u8>) {
    json::write_pretty(value, depth, out);
}

/// Renders `report` into a string, for callers (and tests) that want the whole text.
pub fn render_to_string(
    report: &Report,
    format: Format,
    options: &RenderOptions,
) -> io::Result<String> {
    let mut buffer = Vec::new();
    render(report, format, options, &mut buffer)?;
    // Every renderer writes only UTF-8 text.
    Ok(String::from_utf8(buffer).expect("renderers write UTF-8"))
}

/// A score as people read it: one decimal, `66.7%`.
fn percent(score: f64) -> String {
    format!("{score:.1}%")
}
