//! One self-contained HTML page: inline CSS, inline SVG charts drawn here, no
//! script and no external asset, so it can be attached to a CI run or mailed.
//!
//! Excepted findings are listed greyed out with their exception, and left out
//! of the counts and charts.

use std::fmt::Write as _;
use std::io::{self, Write};

use vigie_finding::{Report, Severity};

use crate::group::{error_position, exception_note, findings_by_resource, position, rendered_note};
use crate::markup::escape_markup;
use crate::percent;

const STYLE: &str = r#"
:root { --fg: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --card: #fff;
  --critical: #7b1fa2; --high: #c62828; --medium: #ef6c00; --low: #1565c0; --info: #546e7a;
  --good: #2e7d32; --fair: #f9a825; --poor: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header { display: flex; align-items: center; gap: 24px; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; padding: 20px 24px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: var(--muted); }
.score { min-width: 120px; text-align: center; border-radius: 8px; padding: 10px 16px; color: #fff; }
.score strong { display: block; font-size: 30px; line-height: 1.1; }
.score.good { background: var(--good); } .score.fair { background: var(--fair); color: #1f2933; }
.score.poor { background: var(--poor); }
.stats { display: flex; gap: 20px; margin-left: auto; }
.stats div { text-align: center; } .stats strong { display: block; font-size: 20px; }
.stats span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 24px; margin-top: 20px; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
h3 small { font-weight: normal; color: var(--muted); margin-left: 8px; }
.charts { display: grid; grid-template-columns: 1fr 1.4fr; gap: 20px; margin-top: 20px; }
.charts section { margin-top: 0; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table.findings { table-layout: fixed; }
table.findings th:nth-child(1) { width: 100px; } table.findings th:nth-child(2) { width: 190px; }
table.findings th:nth-child(3) { width: 70px; } table.findings th:nth-child(4) { width: 32%; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg);
  padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 10px;
  padding: 0 8px; color: #fff; font-size: 12px; font-weight: 600; text-transform: uppercase; }
.badge.critical { background: var(--critical); } .badge.high { background: var(--high); }
.badge.medium { background: var(--medium); } .badge.low { background: var(--low); }
.badge.info { background: var(--info); }
.fix { color: var(--muted); }
tr.excepted td { color: var(--muted); background: var(--bg); }
tr.excepted .badge { background: #9aa5b1; }
.tag { display: inline-block; margin-top: 4px; border: 1px solid #9aa5b1; border-radius: 10px;
  padding: 0 8px; font-size: 11px; font-weight: 600; text-transform: uppercase; color: var(--muted); }
.exception { font-style: italic; }
.note { color: var(--muted); font-style: italic; }
.clean { color: var(--good); font-weight: 600; }
footer { color: var(--muted); text-align: center; margin: 20px 0; font-size: 12px; }
@media (max-width: 800px) { .charts { grid-template-columns: 1fr; } header { flex-wrap: wrap; } }
"#;

pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::new();
    let title = format!("{} report: {}", report.tool_name, report.profile);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    write_header(&mut page, report);
    page.push_str("<div class=\"charts\">\n");
    let _ = write!(
        page,
        "<section>\n<h2>Findings by severity</h2>\n{}</section>\n",
        severity_chart(report)
    );
    let _ = write!(
        page,
        "<section>\n<h2>Score per control</h2>\n{}</section>\n",
        control_chart(report)
    );
    page.push_str("</div>\n");
    write_frameworks(&mut page, report);
    write_findings(&mut page, report);
    write_controls(&mut page, report);
    write_errors(&mut page, report);
    let _ = write!(
        page,
        "<footer>{} {}</footer>\n</main>\n</body>\n</html>\n",
        esc(&report.tool_name),
        esc(&report.tool_version)
    );
    out.write_all(page.as_bytes())
}

fn write_header(page: &mut String, report: &Report) {
    let score = report.compliance_score();
    let _ = write!(
        page,
        "<header>\n<div class=\"score {}\"><strong>{}</strong>compliance</div>\n\
         <div><h1>{}</h1><p>{} {}</p></div>\n<div class=\"stats\">",
        score_class(score),
        percent(score),
        esc(&report.profile),
        esc(&report.tool_name),
        esc(&report.tool_version)
    );
    let mut stats = vec![
        (report.resources.len(), "resources"),
        (report.controls.len(), "controls"),
        (report.totals.active.total(), "findings"),
    ];
    let excepted = report.totals.excepted;
    if excepted > 0 {
        stats.push((excepted, "excepted"));
    }
    stats.push((report.errors.len(), "input errors"));
    for (count, label) in stats {
        let _ = write!(
            page,
            "<div><strong>{count}</strong><span>{label}</span></div>"
        );
    }
    page.push_str("</div>\n</header>\n");
}

fn score_class(score: f64) -> &'static str {
    if score >= 90.0 {
        "good"
    } else if score >= 70.0 {
        "fair"
    } else {
        "poor"
    }
}

/// Colours for SVG fills, the same as the CSS variables of the badges.
fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#7b1fa2",
        Severity::High => "#c62828",
        Severity::Medium => "#ef6c00",
        Severity::Low => "#1565c0",
        Severity::Info => "#546e7a",
    }
}

fn score_color(score: f64) -> &'static str {
    match score_class(score) {
        "good" => "#2e7d32",
        "fair" => "#f9a825",
        _ => "#c62828",
    }
}

/// Vertical bars, one per severity, scaled to the largest count.
fn severity_chart(report: &Report) -> String {
    const BAR_WIDTH: u32 = 48;
    const GAP: u32 = 24;
    const TOP: u32 = 24;
    const PLOT_HEIGHT: u32 = 140;
    let counts = report.severity_counts();
    let largest = Severity::ALL
        .iter()
        .map(|&s| counts.get(s))
        .max()
        .unwrap_or(0)
        .max(1);
    let width = GAP + Severity::ALL.len() as u32 * (BAR_WIDTH + GAP);
    let baseline = TOP + PLOT_HEIGHT;

    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {}\" width=\"100%\" role=\"img\" \
         aria-label=\"Findings by severity\">\n",
        baseline + 24
    );
    let _ = writeln!(
        svg,
        "<line x1=\"0\" y1=\"{baseline}\" x2=\"{width}\" y2=\"{baseline}\" stroke=\"#cbd2d9\"/>"
    );
    for (index, severity) in Severity::ALL.into_iter().enumerate() {
        let count = counts.get(severity);
        let height = (count as f64 / largest as f64 * f64::from(PLOT_HEIGHT)).round() as u32;
        let x = GAP + index as u32 * (BAR_WIDTH + GAP);
        let center = x + BAR_WIDTH / 2;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"{BAR_WIDTH}\" height=\"{height}\" rx=\"3\" \
             fill=\"{}\"><title>{severity}: {count}</title></rect>\n\
             <text x=\"{center}\" y=\"{}\" text-anchor=\"middle\">{count}</text>\n\
             <text x=\"{center}\" y=\"{}\" text-anchor=\"middle\">{severity}</text>",
            baseline - height,
            severity_color(severity),
            baseline - height - 6,
            baseline + 16
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Horizontal bars, one per control, as long as its score; controls that applied
/// to nothing have no bar and say so.
fn control_chart(report: &Report) -> String {
    if report.controls.is_empty() {
        return "<p class=\"note\">No control ran.</p>\n".into();
    }
    let bars: Vec<ScoreBar<'_>> = report
        .controls
        .iter()
        .map(|c| ScoreBar::new(&c.id, &c.title, c.score()))
        .collect();
    score_chart("Score per control", &bars)
}

/// One bar of a score chart: what it is about and its score, if any.
struct ScoreBar<'a> {
    id: &'a str,
    title: &'a str,
    score: Option<f64>,
}

impl<'a> ScoreBar<'a> {
    fn new(id: &'a str, title: &'a str, score: Option<f64>) -> Self {
        ScoreBar { id, title, score }
    }
}

/// Horizontal bars labelled with their ID, as long as their score; a bar without
/// a score is left empty and says `n/a`.
fn score_chart(label: &str, bars: &[ScoreBar<'_>]) -> String {
    const ROW: u32 = 24;
    const LABEL_WIDTH: u32 = 120;
    const BAR_SPACE: u32 = 260;
    let width = LABEL_WIDTH + BAR_SPACE + 60;
    let height = bars.len() as u32 * ROW + 8;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" \
         aria-label=\"{label}\">\n"
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = 4 + index as u32 * ROW;
        let text_y = y + ROW / 2 + 4;
        let _ = write!(
            svg,
            "<g><title>{}: {}</title>\n<text x=\"0\" y=\"{text_y}\">{}</text>\n\
             <rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{BAR_SPACE}\" height=\"{}\" rx=\"3\" \
             fill=\"#eef1f4\"/>\n",
            esc(bar.id),
            esc(bar.title),
            esc(&truncate(bar.id, 16)),
            y + 4,
            ROW - 8
        );
        match bar.score {
            Some(score) => {
                let bar = (score / 100.0 * f64::from(BAR_SPACE)).round() as u32;
                let _ = write!(
                    svg,
                    "<rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{bar}\" height=\"{}\" rx=\"3\" \
                     fill=\"{}\"/>\n<text x=\"{}\" y=\"{text_y}\">{}</text>\n",
                    y + 4,
                    ROW - 8,
                    score_color(score),
                    LABEL_WIDTH + BAR_SPACE + 8,
                    percent(score)
                );
            }
            None => {
                let _ = writeln!(
                    svg,
                    "<text x=\"{}\" y=\"{text_y}\">n/a</text>",
                    LABEL_WIDTH + BAR_SPACE + 8
                );
            }
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

/// The frameworks the scan was asked for: a chart of their scores and a table.
fn write_frameworks(page: &mut String, report: &Report) {
    if report.frameworks.is_empty() {
        return;
    }
    let bars: Vec<ScoreBar<'_>> = report
        .frameworks
        .iter()
        .map(|f| ScoreBar::new(&f.id, &f.title, Some(f.score)))
        .collect();
    let _ = write!(
        page,
        "<section>\n<h2>Frameworks</h2>\n{}<table>\n<tr><th>Framework</th><th>Title</th>\
         <th class=\"num\">Controls</th><th class=\"num\">Score</th></tr>\n",
        score_chart("Score per framework", &bars)
    );
    for framework in &report.frameworks {
        let _ = writeln!(
            page,
            "<tr><td><strong>{}</strong></td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            esc(&framework.id),
            esc(&framework.title),
            framework.controls.len(),
            percent(framework.score)
        );
    }
    page.push_str("</table>\n</section>\n");
}

fn write_findings(page: &mut String, report: &Report) {
    page.push_str("<section>\n<h2>Findings</h2>\n");
    let groups = findings_by_resource(report);
    if groups.is_empty() {
        page.push_str("<p class=\"clean\">No findings: every resource passed every control.</p>\n");
    }
    for group in groups {
        let _ = write!(
            page,
            "<h3>{}<small><code>{}</code></small>",
            esc(&group.resource.display()),
            esc(&position(group.location, false))
        );
        if let Some(note) = rendered_note(group.location) {
            let _ = write!(page, " <small class=\"note\">{}</small>", esc(&note));
        }
        page.push_str(
            "</h3>\n<table class=\"findings\">\n<tr><th>Severity</th><th>Control</th><th class=\"num\">Line</th>\
             <th>Field</th><th>Problem</th></tr>\n",
        );
        for finding in group.findings {
            let (row_class, tag) = if finding.exception.is_some() {
                (
                    " class=\"excepted\"",
                    "<br><span class=\"tag\">excepted</span>",
                )
            } else {
                ("", "")
            };
            let _ = write!(
                page,
                "<tr{row_class}><td><span class=\"badge {severity}\">{severity}</span>{tag}</td>\
                 <td><strong>{}</strong><br>{}</td><td class=\"num\">{}</td>\
                 <td><code>{}</code></td><td>{}",
                esc(&finding.control_id),
                esc(&finding.title),
                finding.location.field_position().unwrap_or_default(),
                esc(&finding.field_path),
                esc(&finding.message),
                severity = finding.severity,
            );
            if let Some(subject) = &finding.subject {
                let _ = write!(
                    page,
                    "<br>Subject: <strong>{}</strong>",
                    esc(&subject.display())
                );
            }
            match &finding.exception {
                Some(exception) => {
                    let _ = write!(
                        page,
                        "<br><span class=\"exception\">Excepted: {}</span>",
                        esc(&exception_note(exception))
                    );
                }
                None if !finding.remediation.is_empty() => {
                    let _ = write!(
                        page,
                        "<br><span class=\"fix\">Fix: {}</span>",
                        esc(&finding.remediation)
                    );
                }
                None => {}
            }
            page.push_str("</td></tr>\n");
        }
        page.push_str("</table>\n");
    }
    page.push_str("</section>\n");
}

fn write_controls(page: &mut String, report: &Report) {
    page.push_str(
        "<section>\n<h2>Controls</h2>\n<table>\n<tr><th>Control</th><th>Title</th>\
         <th>Severity</th><th class=\"num\">Evaluated</th><th class=\"num\">Failed</th>\
         <th class=\"num\">Score</th></tr>\n",
    );
    for control in &report.controls {
        let _ = writeln!(
            page,
            "<tr><td><strong>{}</strong></td><td>{}</td>\
             <td><span class=\"badge {severity}\">{severity}</span></td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&control.id),
            esc(&control.title),
            control.evaluated,
            control.failed,
            control.score().map_or_else(|| "n/a".to_string(), percent),
            severity = control.severity,
        );
    }
    page.push_str("</table>\n</section>\n");
}

fn write_errors(page: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<section>\n<h2>Input errors ({})</h2>\n<table>\n<tr><th>Where</th><th>Kind</th>\
         <th>Reason</th></tr>\n",
        report.errors.len()
    );
    for error in &report.errors {
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&error_position(error)),
            if error.fatal { "error" } else { "warning" },
            esc(&error.reason)
        );
    }
    page.push_str("</table>\n</section>\n");
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let kept: String = text.chars().take(max_chars - 1).collect();
        format!("{kept}…")
    }
}

/// Escapes text taken from the input for HTML content and quoted attributes.
fn esc(text: &str) -> String {
    escape_markup(text, |c, escaped| match c {
        '\'' => escaped.push_str("&#39;"),
        other => escaped.push(other),
    })
}
