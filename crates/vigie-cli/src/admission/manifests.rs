//! `vigie admission manifests`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vigie_deploy::certs::CertBundle;
use vigie_deploy::manifests::{admission_manifests, policy_files, AdmissionOptions, FailurePolicy};
use vigie_resource::Limits;

use crate::output::print_then;

/// Exit codes: 2 when a policy could not be loaded (the manifests of the others
/// are still printed) or the options are wrong (nothing is printed).
const EXIT_INPUT_ERROR: u8 = 2;

#[derive(Debug, Args)]
#[command(after_help = "\
The webhook configurations' rules are computed from the policies: the API server calls
vigie only for the kinds and operations a rule matches (autogen pod controllers included).
Without --certs, the Secret vigie-admission-tls must exist and the caBundle be injected
(cert-manager's CA injector reads the annotation the configurations carry).

Exit codes:
  0  the manifests were printed
  2  a policy could not be read or loaded (the others' manifests are printed), or an
     option is invalid (nothing printed)

Example:
  vigie admission certs --namespace vigie --out certs/
  vigie admission manifests --policies policies/ --namespace vigie --certs certs/ | kubectl apply -f -")]
pub struct ManifestsArgs {
    /// Kyverno policy files or directories.
    #[arg(long, value_name = "DIR", required = true, num_args = 1..)]
    policies: Vec<String>,
    /// The namespace vigie runs in.
    #[arg(long, value_name = "NS")]
    namespace: String,
    /// Replicas of the Deployment (at least 2).
    #[arg(long, value_name = "N", default_value_t = 3)]
    replicas: i32,
    /// What the API server does when vigie does not answer: Fail (refuse) or Ignore (admit).
    #[arg(long, value_name = "POLICY", default_value = "Fail")]
    failure_policy: FailurePolicy,
    /// How long the API server waits for vigie (1 to 30).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    timeout_seconds: i32,
    /// vigie's container image.
    #[arg(long, value_name = "REF", default_value_t = AdmissionOptions::default_image())]
    image: String,
    /// A directory made by `vigie admission certs`: its files go in a Secret, the CA in caBundle.
    #[arg(long, value_name = "DIR")]
    certs: Option<PathBuf>,
    /// Refuse any policy file larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
}

pub fn run(args: ManifestsArgs) -> ExitCode {
    let certs = match &args.certs {
        Some(dir) => match CertBundle::read(dir) {
            Ok(bundle) => Some(bundle),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let loaded = vigie_policy::load_policies(&args.policies, args.max_file_bytes);
    let mut errors: Vec<String> = Vec::new();
    errors.extend(loaded.unreadable.iter().map(ToString::to_string));
    errors.extend(loaded.errors.iter().map(ToString::to_string));
    for (file, kind, name) in &loaded.unsupported {
        errors.push(format!(
            "{file}: {kind} {name}: this policy kind is not supported yet; left out"
        ));
    }
    if loaded.policies.is_empty() && errors.is_empty() {
        errors.push(format!(
            "no Kyverno policy (ClusterPolicy or Policy) found in {}",
            args.policies.join(", ")
        ));
    }
    let files = match policy_files(&loaded.policies) {
        Ok(files) => files,
        Err(e) => return fail(e),
    };
    let options = AdmissionOptions {
        namespace: args.namespace,
        replicas: args.replicas,
        failure_policy: args.failure_policy,
        timeout_seconds: args.timeout_seconds,
        image: args.image,
        certs,
    };
    let manifests = match admission_manifests(&options, &loaded.policies, &files) {
        Ok(manifests) => manifests,
        Err(e) => return fail(e),
    };
    for note in &manifests.notes {
        eprintln!("vigie: note: {note}");
    }
    // Rules of a kind vigie does not run yet: the server says so at start too.
    for rule in &loaded.unsupported_rules {
        eprintln!("vigie: note: {rule}");
    }
    for error in &errors {
        eprintln!("vigie: {error}");
    }
    let code = if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT_ERROR)
    };
    print_then(
        vigie_deploy::yaml::to_yaml(&manifests.objects).as_bytes(),
        code,
    )
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("vigie: admission manifests: {e}");
    ExitCode::from(EXIT_INPUT_ERROR)
}
