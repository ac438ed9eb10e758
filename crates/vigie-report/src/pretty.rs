//! Text for a person at a terminal: findings grouped by resource (those of
//! controls that relate several objects last), then summary tables.
//!
//! Excepted findings are listed with their resource, tagged `EXCEPTED` in dim
//! rather than with their severity colour, and are left out of every count.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use vigie_finding::{Finding, Location, Report, Severity};

use crate::group::{error_position, exception_note, position, rendered_note};
use crate::{percent, RenderOptions};

/// Indentation of the lines under a finding's severity label: two spaces, the
/// widest label (`CRITICAL`) and two more, so the texts line up.
const DETAIL_INDENT: &str = "            ";

/// One resource: a heading (what, where), then its findings by position.
pub(crate) fn write_resource(
    location: &Location,
    findings: &mut [Finding],
    options: &RenderOptions,
    out: &mut Vec<u8>,
) {
    let Some(first) = findings.first() else {
        return;
    };
    let paint = Painter {
        color: options.color,
    };
    let heading = Style::new().effects(Effects::BOLD);
    let mut header = format!(
        "{}  {}",
        paint.apply(heading, &first.resource.display()),
        position(location, false)
    );
    if let Some(note) = rendered_note(location) {
        header.push(' ');
        header.push_str(&note);
    }
    findings.sort_by(|a, b| {
        (a.location.line, a.location.column, &a.control_id).cmp(&(
            b.location.line,
            b.location.column,
            &b.control_id,
        ))
    });
    // Writing to memory cannot fail.
    let _ = writeln!(out, "{header}");
    for finding in findings.iter() {
        let _ = write_finding(finding, &paint, out);
    }
    let _ = writeln!(out);
}

/// Announces the findings of controls that relate several objects, which come
/// after every finding about a single object.
pub(crate) fn write_cross_object_heading(options: &RenderOptions, out: &mut Vec<u8>) {
    let paint = Painter {
        color: options.color,
    };
    let _ = writeln!(
        out,
        "{}\n",
        paint.apply(
            Style::new().effects(Effects::BOLD | Effects::UNDERLINE),
            "Across objects: roles and their bindings, policies and the workloads they select"
        )
    );
}

/// The summary tables and input errors, after the findings.
pub(crate) fn write_tail(report: &Report, options: &RenderOptions, out: &mut Vec<u8>) {
    // Writing to memory cannot fail.
    let _ = tail(report, options, out);
}

fn tail(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Painter {
        color: options.color,
    };
    let heading = Style::new().effects(Effects::BOLD);
    let totals = &report.totals;

    if totals.active.total() + totals.excepted == 0 {
        let mut framework_scores = framework_scores(report);
        if !framework_scores.is_empty() {
            framework_scores.insert_str(0, "; ");
        }
        writeln!(
            out,
            "{} {} checked against {}: compliance score {}{framework_scores}.",
            paint.apply(ok_style(), "No findings:"),
            plural(report.resources.len(), "resource"),
            plural(report.controls.len(), "control"),
            percent(report.compliance_score()),
        )?;
        return write_input_errors(report, &paint, out);
    }

    write_severity_table(report, &paint, out)?;
    if !report.frameworks.is_empty() {
        write_framework_table(report, &paint, out)?;
    }
    write_control_table(report, &paint, out)?;
    let mut totals_text = format!(
        "{} on {} of {}",
        plural(totals.active.total(), "finding"),
        totals.failed_resources,
        plural(report.resources.len(), "scanned resource"),
    );
    if totals.excepted > 0 {
        totals_text.push_str(&format!(", {} excepted", totals.excepted));
    }
    let mut score_line = format!(
        "{} {}  ({totals_text})",
        paint.apply(heading, "Compliance score:"),
        paint.apply(heading, &percent(report.compliance_score())),
    );
    if !report.frameworks.is_empty() {
        score_line.push_str(&format!(
            "  {} {}",
            paint.apply(heading, "Frameworks:"),
            framework_scores(report)
        ));
    }
    writeln!(out, "{score_line}")?;
    if !report.errors.is_empty() {
        writeln!(out)?;
    }
    write_input_errors(report, &paint, out)
}

/// One finding: a label (its severity, or `EXCEPTED`), where, what, and the fix
/// or the exception that covers it.
fn write_finding(finding: &Finding, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let heading = Style::new().effects(Effects::BOLD);
    match &finding.exception {
        None => writeln!(
            out,
            "  {}  {}  {}",
            paint.apply(
                severity_style(finding.severity),
                severity_label(finding.severity)
            ),
            paint.apply(heading, &finding.control_id),
            finding.title
        )?,
        // The severity stays visible, but nothing about the line is alarming.
        Some(_) => writeln!(
            out,
            "  {}  {}  {} ({})",
            paint.apply(dim(), "EXCEPTED"),
            paint.apply(dim(), &finding.control_id),
            finding.title,
            finding.severity
        )?,
    }
    match finding.location.field_position() {
        Some(at) => writeln!(out, "{DETAIL_INDENT}{at}  {}", finding.field_path)?,
        None => writeln!(out, "{DETAIL_INDENT}{}", finding.field_path)?,
    }
    writeln!(out, "{DETAIL_INDENT}{}", finding.message)?;
    if let Some(subject) = &finding.subject {
        writeln!(
            out,
            "{DETAIL_INDENT}{} {}",
            paint.apply(dim(), "subject:"),
            subject.display()
        )?;
    }
    match &finding.exception {
        Some(exception) => writeln!(
            out,
            "{DETAIL_INDENT}{} {}",
            paint.apply(dim(), "Excepted:"),
            exception_note(exception)
        ),
        None if !finding.remediation.is_empty() => writeln!(
            out,
            "{DETAIL_INDENT}{} {}",
            paint.apply(dim(), "Fix:"),
            finding.remediation
        ),
        None => Ok(()),
    }
}

/// A severity as the label of a finding, padded to the widest.
fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH    ",
        Severity::Medium => "MEDIUM  ",
        Severity::Low => "LOW     ",
        Severity::Info => "INFO    ",
    }
}

/// `nsa 66.7%, pss-baseline 50.0%`, empty when the scan named no framework.
fn framework_scores(report: &Report) -> String {
    report
        .frameworks
        .iter()
        .map(|framework| format!("{} {}", framework.id, percent(framework.score)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_severity_table(report: &Report, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let counts = report.severity_counts();
    let mut table = Table::new(&[("Severity", Align::Left), ("Findings", Align::Right)]);
    for severity in Severity::ALL {
        table.row(vec![
            Cell::styled(severity.as_str(), severity_style(severity)),
            Cell::plain(counts.get(severity).to_string()),
        ]);
    }
    table.row(vec![
        Cell::plain("total"),
        Cell::plain(counts.total().to_string()),
    ]);
    let excepted = report.totals.excepted;
    if excepted > 0 {
        table.row(vec![
            Cell::styled("excepted", dim()),
            Cell::plain(excepted.to_string()),
        ]);
    }
    table.write(paint, out)?;
    writeln!(out)
}

fn write_framework_table(report: &Report, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let mut table = Table::new(&[
        ("Framework", Align::Left),
        ("Title", Align::Left),
        ("Controls", Align::Right),
        ("Score", Align::Right),
    ]);
    for framework in &report.frameworks {
        table.row(vec![
            Cell::plain(&framework.id),
            Cell::plain(&framework.title),
            Cell::plain(framework.controls.len().to_string()),
            Cell::plain(percent(framework.score)),
        ]);
    }
    table.write(paint, out)?;
    writeln!(out)
}

fn write_control_table(report: &Report, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let mut table = Table::new(&[
        ("Control", Align::Left),
        ("Title", Align::Left),
        ("Severity", Align::Left),
        ("Evaluated", Align::Right),
        ("Failed", Align::Right),
        ("Score", Align::Right),
    ]);
    for control in &report.controls {
        table.row(vec![
            Cell::plain(&control.id),
            Cell::plain(&control.title),
            Cell::styled(control.severity.as_str(), severity_style(control.severity)),
            Cell::plain(control.evaluated.to_string()),
            Cell::plain(control.failed.to_string()),
            // A control that applied to nothing has no score, not a perfect one.
            Cell::plain(control.score().map_or_else(|| "-".to_string(), percent)),
        ]);
    }
    table.write(paint, out)?;
    writeln!(out)
}

fn write_input_errors(report: &Report, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    if report.errors.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        paint.apply(
            Style::new().effects(Effects::BOLD),
            &format!("Input errors ({})", report.errors.len())
        )
    )?;
    for error in &report.errors {
        let kind = if error.fatal {
            paint.apply(severity_style(Severity::High), "error:")
        } else {
            paint.apply(severity_style(Severity::Medium), "warning:")
        };
        writeln!(out, "  {}: {kind} {}", error_position(error), error.reason)?;
    }
    Ok(())
}

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Critical => AnsiColor::Magenta,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Blue,
        Severity::Info => AnsiColor::Cyan,
    };
    let style = Style::new().fg_color(Some(color.into()));
    if severity >= Severity::High {
        style.effects(Effects::BOLD)
    } else {
        style
    }
}

fn ok_style() -> Style {
    Style::new()
        .fg_color(Some(AnsiColor::Green.into()))
        .effects(Effects::BOLD)
}

fn dim() -> Style {
    Style::new().effects(Effects::DIMMED)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Applies styles only when colour is on, so that plain output has no escape code.
struct Painter {
    color: bool,
}

impl Painter {
    /// `text` in `style`, written without building a string: a large report
    /// paints millions of labels.
    fn apply<'t>(&self, style: Style, text: &'t str) -> Painted<'t> {
        Painted {
            style: if self.color { style } else { Style::new() },
            text,
        }
    }
}

/// Text with the style it is written in (none when colour is off).
struct Painted<'t> {
    style: Style,
    text: &'t str,
}

impl std::fmt::Display for Painted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.style == Style::new() {
            f.write_str(self.text)
        } else {
            write!(
                f,
                "{}{}{}",
                self.style.render(),
                self.text,
                self.style.render_reset()
            )
        }
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            style: Style::new(),
        }
    }

    fn styled(text: impl Into<String>, style: Style) -> Self {
        Cell {
            text: text.into(),
            style,
        }
    }
}

/// A table with aligned columns. Widths are measured before styling, so colour
/// escape codes never shift a column.
struct Table {
    headers: Vec<(&'static str, Align)>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(headers: &[(&'static str, Align)]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn write(&self, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
        let widths: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(column, (header, _))| {
                self.rows
                    .iter()
                    .map(|row| row[column].text.chars().count())
                    .chain([header.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let bold = Style::new().effects(Effects::BOLD);

        let header_cells: Vec<Cell> = self
            .headers
            .iter()
            .map(|(header, _)| Cell::styled(*header, bold))
            .collect();
        self.write_line(&header_cells, &widths, paint, out)?;
        let rule: Vec<Cell> = widths.iter().map(|&w| Cell::plain("-".repeat(w))).collect();
        self.write_line(&rule, &widths, paint, out)?;
        for row in &self.rows {
            self.write_line(row, &widths, paint, out)?;
        }
        Ok(())
    }

    fn write_line(
        &self,
        cells: &[Cell],
        widths: &[usize],
        paint: &Painter,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut line = String::from(" ");
        for ((cell, width), (_, align)) in cells.iter().zip(widths).zip(&self.headers) {
            let padding = " ".repeat(width - cell.text.chars().count());
            line.push(' ');
            match align {
                Align::Left => {
                    line.push_str(&paint.apply(cell.style, &cell.text).to_string());
                    line.push_str(&padding);
                }
                Align::Right => {
                    line.push_str(&padding);
                    line.push_str(&paint.apply(cell.style, &cell.text).to_string());
                }
            }
            line.push(' ');
        }
        writeln!(out, "{}", line.trim_end())
    }
}
