//! `vigie install`: prints the manifests of vigie's components for `kubectl apply -f -`.

use std::process::ExitCode;

use clap::Args;
use vigie_deploy::install::{install_manifests, AdmissionInputs, Component, InstallOptions};
use vigie_deploy::manifests::policy_files;
use vigie_resource::Limits;

use crate::scan::EXIT_INPUT_ERROR;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vigie install | kubectl apply -f -
  vigie install --components scanner,admission,sensor --policies policies/ \\
      --image registry.example/vigie@sha256:... --service-monitors | kubectl apply -f -
  vigie install --scanner-kubelet-config | kubectl apply -f -   # + kubelet controls
  vigie install --components scanner,sensor | kubectl delete -f -    # uninstall")]
pub struct InstallArgs {
    /// Components to install: scanner, admission, sensor (repeat or separate with commas).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "scanner,sensor"
    )]
    components: Vec<Component>,
    /// The namespace vigie runs in (created by the manifests).
    #[arg(long, value_name = "NS", default_value = "vigie")]
    namespace: String,
    /// Kyverno policy files or directories, served by the admission component.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    policies: Vec<String>,
    /// vigie's container image, best pinned by digest (`REPO@sha256:...`, see scripts/image).
    #[arg(long, value_name = "REF@DIGEST", default_value_t = vigie_deploy::manifests::AdmissionOptions::default_image())]
    image: String,
    /// The sensor's image (the glibc build that can load eBPF programs; scripts/image
    /// builds it next to vigie's), best pinned by digest.
    #[arg(long, value_name = "REF@DIGEST", default_value_t = vigie_deploy::install::default_sensor_image())]
    sensor_image: String,
    /// Also print ServiceMonitor objects (Prometheus Operator) for the metrics.
    #[arg(long)]
    service_monitors: bool,
    /// Also grant the scanner `get` on `nodes/proxy` (a ClusterRole and binding of
    /// their own, vigie-scanner-kubelet-config), so that it reads the nodes' kubelet
    /// configurations for the kubelet controls (VG-K001..VG-K012). Powerful: RBAC
    /// cannot narrow it to /configz, and it reaches every node's whole kubelet API
    /// (exec into containers included). Without it those controls warn that they lost
    /// coverage. See docs/cluster.md, "RBAC".
    #[arg(long)]
    scanner_kubelet_config: bool,
}

pub fn run(args: InstallArgs) -> ExitCode {
    let mut components = args.components.clone();
    components.sort();
    components.dedup();
    let options = InstallOptions {
        components,
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        sensor_image: args.sensor_image.clone(),
        service_monitors: args.service_monitors,
        scanner_kubelet_config: args.scanner_kubelet_config,
    };
    let loaded = (!args.policies.is_empty())
        .then(|| vigie_policy::load_policies(&args.policies, Limits::DEFAULT_MAX_FILE_BYTES));
    if let Some(loaded) = &loaded {
        let mut failed = false;
        for e in loaded
            .unreadable
            .iter()
            .map(ToString::to_string)
            .chain(loaded.errors.iter().map(ToString::to_string))
        {
            eprintln!("vigie: install: {e}");
            failed = true;
        }
        if failed {
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    }
    let files = match loaded
        .as_ref()
        .map(|l| policy_files(&l.policies))
        .transpose()
    {
        Ok(files) => files,
        Err(e) => {
            eprintln!("vigie: install: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    let admission = match (&loaded, &files) {
        (Some(loaded), Some(files)) => Some(AdmissionInputs {
            policies: &loaded.policies,
            files,
            certs: None,
        }),
        _ => None,
    };
    match install_manifests(&options, admission) {
        Ok(manifests) => {
            for note in &manifests.notes {
                eprintln!("vigie: note: {note}");
            }
            print!("{}", vigie_deploy::yaml::to_yaml(&manifests.objects));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vigie: install: {e}");
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}
