//! `vigie admission certs`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vigie_deploy::certs::CertsRequest;

/// Exit code when the certificates could not be made or written (nothing was).
const EXIT_ERROR: u8 = 2;

#[derive(Debug, Args)]
#[command(after_help = "\
The serving certificate names NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local,
plus --dns and --ip. The CA's key is not kept: to rotate, run the command again with
--force and apply the manifests again (the webhooks' caBundle changes with the CA).

Exit codes:
  0  the three files were written
  2  an invalid name, an existing file without --force, or a write error (nothing written)

Example:
  vigie admission certs --service vigie-admission --namespace vigie --out certs/")]
pub struct CertsArgs {
    /// The webhook's Service name.
    #[arg(long, value_name = "NAME", default_value = vigie_deploy::manifests::NAME)]
    service: String,
    /// The Service's namespace.
    #[arg(long, value_name = "NS")]
    namespace: String,
    /// Directory for ca.crt, tls.crt and tls.key (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// An IP address the certificate is also valid for (repeatable), e.g. 127.0.0.1.
    #[arg(long = "ip", value_name = "IP")]
    ips: Vec<IpAddr>,
    /// A DNS name the certificate is also valid for (repeatable).
    #[arg(long = "dns", value_name = "NAME")]
    dns: Vec<String>,
    /// Days the certificates are valid.
    #[arg(long, value_name = "N", default_value_t = 365)]
    days: u32,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

pub fn run(args: CertsArgs) -> ExitCode {
    let request = CertsRequest {
        service: args.service,
        namespace: args.namespace,
        extra_dns: args.dns,
        ips: args.ips,
        days: args.days,
    };
    let written = request
        .generate()
        .and_then(|bundle| bundle.write(&args.out, args.force));
    match written {
        Ok(paths) => {
            for path in paths {
                eprintln!("vigie: wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vigie: admission certs: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
