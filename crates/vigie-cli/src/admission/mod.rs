//! `vigie admission`: the Kyverno-compatible admission webhook.

use std::process::ExitCode;

use clap::{Args, Subcommand};

mod certs;
mod manifests;
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
    // Boxed: its many options make it far larger than the other commands' arguments.
    Serve(Box<serve::ServeArgs>),
    /// Make a CA and a serving certificate for the webhook's Service (ca.crt, tls.crt, tls.key).
    Certs(certs::CertsArgs),
    /// Print the Kubernetes objects that install the webhook, for `kubectl apply -f -`.
    Manifests(manifests::ManifestsArgs),
}

pub fn run(args: AdmissionArgs) -> ExitCode {
    match args.command {
        AdmissionCommand::Serve(args) => serve::run(*args),
        AdmissionCommand::Certs(args) => certs::run(args),
        AdmissionCommand::Manifests(args) => manifests::run(args),
    }
}
