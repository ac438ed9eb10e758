//! `vigie controls`: what vigie checks, from the checks themselves.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use vigie_controls::pss::{self, Level, Version};
use vigie_controls::{controls, Framework};

#[derive(Debug, Args)]
pub struct ControlsArgs {
    #[command(subcommand)]
    command: ControlsCommand,
}

#[derive(Debug, Subcommand)]
enum ControlsCommand {
    /// List the controls: Pod Security checks and posture controls.
    List {
        /// Only the controls of this framework (nsa, cis, mitre, pss-baseline, pss-restricted).
        #[arg(short = 'f', long)]
        framework: Option<Framework>,
        /// The Kubernetes version for the Pod Security checks (default: latest).
        #[arg(long, value_name = "VERSION", default_value = "latest")]
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
            let rows = rows(framework, pss_version);
            let title_width = rows.iter().map(|r| r.title.len()).max().unwrap_or(5);
            println!(
                "{:<8}  {:<title_width$}  {:<8}  REFERENCES",
                "ID", "TITLE", "SEVERITY"
            );
            for r in rows {
                println!(
                    "{:<8}  {:<title_width$}  {:<8}  {}",
                    r.id, r.title, r.severity, r.references
                );
            }
            ExitCode::SUCCESS
        }
        ControlsCommand::Explain { id } => {
            if let Some(c) = controls::find(&id) {
                println!("{}  {}\n", c.id, c.title);
                println!("Severity: {}   {}\n", c.severity, references(&c.refs));
                print!("{}", c.explanation());
                println!("\nFix: {}", c.remediation);
                return ExitCode::SUCCESS;
            }
            if let Some(c) = pss::find_check(&id) {
                println!("{}  {}\n", c.id, c.title);
                println!(
                    "Level: {} (since {})   Severity: {}   Kubernetes check: {}   Pod Security control: {}\n",
                    c.level, c.since, c.severity, c.k8s_id, c.control_name
                );
                print!("{}", c.explanation());
                println!("\nFix: {}", c.remediation);
                return ExitCode::SUCCESS;
            }
            eprintln!("vigie: unknown control `{id}`; `vigie controls list` shows them all");
            ExitCode::from(2)
        }
    }
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
