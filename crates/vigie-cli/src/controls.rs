//! `vigie controls`: what vigie checks, from the checks themselves.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use vigie_controls::pss::{self, Level, Version};
use vigie_controls::{controls, Framework};

use crate::output::print_then;

#[derive(Debug, Args)]
pub struct ControlsArgs {
    #[command(subcommand)]
    command: ControlsCommand,
}

#[derive(Debug, Subcommand)]
enum ControlsCommand {
    /// List the controls: Pod Security checks and posture controls.
    List {
        /// Only the controls of this framework (nsa, cis, mitre, pss-baseline, pss-restricted,
        /// or all).
        #[arg(short = 'f', long, default_value = "all", value_parser = parse_framework_filter)]
        framework: FrameworkFilter,
        /// The Kubernetes version for the Pod Security checks (default: latest).
        #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = Version::parse_known)]
        pss_version: Version,
    },
    /// Explain one control: what it checks, why it matters, an example, the fix
    /// and its cross-references.
    Explain {
        /// A control ID (VG-W001, PSS-B02) or a Kubernetes Pod Security check ID (privileged).
        id: String,
    },
}

/// One row of the list.
struct Row {
    id: &'static str,
    title: &'static str,
    severity: String,
    references: String,
}

pub fn run(args: ControlsArgs) -> ExitCode {
    match args.command {
        ControlsCommand::List {
            framework,
            pss_version,
        } => {
            let rows = rows(framework.0, pss_version);
            let title_width = rows.iter().map(|r| r.title.len()).max().unwrap_or(5);
            let mut text = format!(
                "{:<8}  {:<title_width$}  {:<8}  REFERENCES\n",
                "ID", "TITLE", "SEVERITY"
            );
            for r in rows {
                let _ = writeln!(
                    text,
                    "{:<8}  {:<title_width$}  {:<8}  {}",
                    r.id, r.title, r.severity, r.references
                );
            }
            print_then(text.as_bytes(), ExitCode::SUCCESS)
        }
        ControlsCommand::Explain { id } => match explain(&id) {
            Some(text) => print_then(text.as_bytes(), ExitCode::SUCCESS),
            None => {
                eprintln!("vigie: unknown control `{id}`; `vigie controls list` shows them all");
                ExitCode::from(2)
            }
        },
    }
}

/// What `vigie controls explain ID` prints, or `None` for an unknown ID.
fn explain(id: &str) -> Option<String> {
    if let Some(c) = controls::find(id) {
        return Some(format!(
            "{}  {}\n\nSeverity: {}   {}\n\n{}\nFix: {}\n{}\n",
            c.id,
            c.title,
            c.severity,
            references(&c.refs),
            c.explanation(),
            c.remediation,
            automatic_fix(c.fix())
        ));
    }
    let c = pss::find_check(id)?;
    Some(format!(
        "{}  {}\n\nLevel: {} (since {})   Severity: {}   Kubernetes check: {}   Pod Security control: {}\n\n{}\nFix: {}\n{}\n",
        c.id,
        c.title,
        c.level,
        c.since,
        c.severity,
        c.k8s_id,
        c.control_name,
        c.explanation(),
        c.remediation,
        automatic_fix(c.fix())
    ))
}

/// The line of `explain` that says what `vigie fix` does for the check.
fn automatic_fix(fix: Option<&vigie_controls::fix::Fix>) -> String {
    match fix {
        Some(fix) => format!("Automatic fix (vigie fix): {}.", fix.summary),
        None => "Automatic fix: none; fix it by hand.".into(),
    }
}

/// `--framework` of `controls list`: one framework, or `all` (every check, as
/// without the flag).
#[derive(Clone, Copy, Debug)]
struct FrameworkFilter(Option<Framework>);

fn parse_framework_filter(s: &str) -> Result<FrameworkFilter, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(FrameworkFilter(None));
    }
    s.parse()
        .map(|f| FrameworkFilter(Some(f)))
        .map_err(|e: vigie_finding::UnknownName| e.to_string())
}

fn rows(framework: Option<Framework>, version: Version) -> Vec<Row> {
    let pss_level = match framework {
        None => Some(Level::Restricted),
        Some(Framework::PssBaseline) => Some(Level::Baseline),
        Some(Framework::PssRestricted) => Some(Level::Restricted),
        Some(_) => None,
    };
    let mut rows = Vec::new();
    if let Some(level) = pss_level {
        let checks: Vec<&pss::Check> = match framework {
            None => pss::all_checks().iter().collect(),
            Some(_) => pss::checks_for(level, version),
        };
        rows.extend(checks.into_iter().map(|c| Row {
            id: c.id,
            title: c.title,
            severity: c.severity.to_string(),
            references: format!("PSS {} since {} ({})", c.level, c.since, c.k8s_id),
        }));
    }
    rows.extend(
        controls::all()
            .iter()
            .filter(|c| framework.is_none_or(|f| f.includes(c)))
            .map(|c| Row {
                id: c.id,
                title: c.title,
                severity: c.severity.to_string(),
                references: references(&c.refs),
            }),
    );
    rows
}

fn references(refs: &vigie_controls::Refs) -> String {
    let mut parts = Vec::new();
    for (label, ids) in [
        ("Kubescape", refs.kubescape),
        ("CIS", refs.cis),
        ("NSA/CISA", refs.nsa),
        ("MITRE", refs.mitre),
    ] {
        if !ids.is_empty() {
            parts.push(format!("{label} {}", ids.join(", ")));
        }
    }
    parts.join("; ")
}
