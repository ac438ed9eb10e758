//! `vigie admission`: the Kyverno-compatible admission webhook.

use std::process::ExitCode;

use clap::{Args, Subcommand};

mod serve;

#[derive(Debug, Args)]
pub struct AdmissionArgs {
    #[command(subcommand)]
    command: AdmissionCommand,
}

#[derive(Debug, Subcommand)]
enum AdmissionCommand {
    /// Serve the validating and mutating webhook over HTTPS (`/validate`, `/mutate`,
    /// `/healthz`, `/readyz`, `/metrics`).
    Serve(serve::ServeArgs),
}

pub fn run(args: AdmissionArgs) -> ExitCode {
    match args.command {
        AdmissionCommand::Serve(args) => serve::run(args),
    }
}
