//! `api-standin [--listen ADDR] [--forbid RESOURCE]... [--expire-continue N]
//! [--kubeconfig FILE] [--report-types] PATH...`: serves the objects of PATH (files and
//! directories, read as `vigie scan` reads them) over the Kubernetes API until
//! killed, and prints its URL. `--kubeconfig FILE` writes a kubeconfig that
//! reaches it (context `standin`); `--report-types` serves the policy report
//! types too (openreports.io, wgpolicyk8s.io), for writers to write.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut paths = Vec::new();
    let mut kubeconfig = None;
    let mut config = api_standin::StandinConfig::new(Vec::new());
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("api-standin: {name} needs a value"))
        };
        let parsed = match arg.as_str() {
            "--listen" => value("--listen").and_then(|v| {
                v.parse()
                    .map(|a| config.listen = a)
                    .map_err(|e| format!("api-standin: --listen {v}: {e}"))
            }),
            "--forbid" => value("--forbid").map(|v| config.forbidden.push(v)),
            "--expire-continue" => value("--expire-continue").and_then(|v| {
                v.parse()
                    .map(|n| config.expire_continue_tokens = n)
                    .map_err(|e| format!("api-standin: --expire-continue {v}: {e}"))
            }),
            "--kubeconfig" => value("--kubeconfig").map(|v| kubeconfig = Some(v)),
            "--report-types" => {
                config.extra_types = api_standin::StandinConfig::report_types();
                Ok(())
            }
            _ if arg.starts_with("--") => Err(format!("api-standin: unknown option {arg}")),
            _ => {
                paths.push(arg);
                Ok(())
            }
        };
        if let Err(e) = parsed {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    match api_standin::load_objects(&paths) {
        Ok(objects) => config.objects = objects,
        Err(e) => {
            eprintln!("api-standin: {e}");
            return ExitCode::from(2);
        }
    }
    let standin = match api_standin::Standin::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("api-standin: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = kubeconfig {
        if let Err(e) = std::fs::write(&path, standin.kubeconfig()) {
            eprintln!("api-standin: {path}: {e}");
            return ExitCode::from(2);
        }
    }
    println!("{}", standin.url());
    standin.wait();
    ExitCode::SUCCESS
}
