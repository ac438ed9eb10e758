//! `vigie controls`: what vigie checks, from the checks themselves.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use vigie_controls::pss::{self, Level, Version};

#[derive(Debug, Args)]
pub struct ControlsArgs {
    #[command(subcommand)]
    command: ControlsCommand,
}

#[derive(Debug, Subcommand)]
enum ControlsCommand {
    /// List the controls, optionally only those of a level at a version.
    List {
        /// Only the checks of this Pod Security level (baseline or restricted).
        #[arg(long)]
        level: Option<Level>,
        /// With --level: the Kubernetes version (default: latest).
        #[arg(long, value_name = "VERSION", default_value = "latest")]
        pss_version: Version,
    },
    /// Explain one control: what it checks, why it matters, an example and the fix.
    Explain {
        /// A vigie ID (PSS-B02) or a Kubernetes check ID (privileged).
        id: String,
    },
}

pub fn run(args: ControlsArgs) -> ExitCode {
    match args.command {
        ControlsCommand::List { level, pss_version } => {
            let checks: Vec<&pss::Check> = match level {
                Some(level) => pss::checks_for(level, pss_version),
                None => pss::all_checks().iter().collect(),
            };
            let title_width = checks.iter().map(|c| c.title.len()).max().unwrap_or(0);
            println!(
                "{:<8}  {:<title_width$}  {:<10}  {:<6}  SEVERITY",
                "ID", "TITLE", "LEVEL", "SINCE"
            );
            for c in checks {
                println!(
                    "{:<8}  {:<title_width$}  {:<10}  {:<6}  {}",
                    c.id,
                    c.title,
                    c.level.as_str(),
                    c.since.to_string(),
                    c.severity
                );
            }
            ExitCode::SUCCESS
        }
        ControlsCommand::Explain { id } => match pss::find_check(&id) {
            Some(c) => {
                println!("{}  {}\n", c.id, c.title);
                println!(
                    "Level: {} (since {})   Severity: {}   Kubernetes check: {}   Pod Security control: {}\n",
                    c.level, c.since, c.severity, c.k8s_id, c.control_name
                );
                print!("{}", c.explanation());
                println!("\nFix: {}", c.remediation);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("vigie: unknown control `{id}`; `vigie controls list` shows them all");
                ExitCode::from(2)
            }
        },
    }
}
