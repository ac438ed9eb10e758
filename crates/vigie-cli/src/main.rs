//! `vigie`: the command line. It only parses arguments and wires the crates together.

/// `eprintln!` that a closed standard error (`vigie ... 2>&1 | head`) cannot turn
/// into a panic: std's panics when the write fails, and what could not be said
/// there cannot be said anywhere else. Defined before the modules, it replaces
/// std's in all of them.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` likewise (see `eprintln!`).
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// mimalloc rather than the C library's malloc: the admission webhook and the
/// policy engine allocate many small short-lived values on several threads, where
/// glibc's malloc spent a third of the webhook's CPU (and musl's, in the static
/// image, is slower still).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same number in its
/// v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps the allocator's resident memory near what is in use: by default
/// mimalloc returns freed pages to the system after a delay, and under load the
/// webhook's worker threads each held pages (72 MiB RSS); returned at once, 50
/// MiB at the same speed. Arenas committed up front account for the rest; that
/// option must be set before the allocator starts, so it is an environment
/// variable (`MIMALLOC_ARENA_EAGER_COMMIT=0`, set by the manifests: 22 MiB).
#[allow(unsafe_code)]
fn tune_allocator() {
    // SAFETY: mi_option_set is not thread-safe; this runs in main before any
    // other thread exists (parsing the arguments starts none). 0 is in the option's range.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

mod admission;
mod cluster;
mod controls;
mod detect;
mod fix;
mod install;
mod output;
mod policy;
mod rbac;
mod readyz;
mod scan;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Kubernetes security in one binary: scan manifests for posture problems,
/// run admission policies, detect threats.
#[derive(Debug, Parser)]
#[command(
    name = "vigie",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan manifests (files, directories, kustomizations, stdin) or a live cluster (--cluster):
    /// Pod Security Standards and posture frameworks (NSA/CISA, CIS, MITRE), with compliance scores.
    Scan(scan::ScanArgs),
    /// Fix manifest files in place: remove the findings that have a safe mechanical fix
    /// (securityContext hardening, host namespaces off, token automount off, image digests).
    Fix(fix::FixArgs),
    /// Work with a live cluster: `snapshot` saves the objects a scan reads to a file.
    Cluster(cluster::ClusterCommandArgs),
    /// List the controls vigie checks, or explain one.
    Controls(controls::ControlsArgs),
    /// Detect threats in Kubernetes audit events with Falco-format rules.
    Detect(detect::DetectArgs),
    /// Run Kyverno policies: `apply` them to resources, `test` kyverno-test.yaml suites.
    Policy(policy::PolicyArgs),
    /// Answer RBAC questions from manifests: who can do an action, and escalation paths
    /// to cluster-admin power.
    Rbac(rbac::RbacArgs),
    /// The Kyverno-compatible admission webhook: `serve` it over HTTPS, make its
    /// certificates and the manifests that install it.
    Admission(admission::AdmissionArgs),
    /// Print the manifests that install vigie's components (scanner, admission, sensor)
    /// for `kubectl apply -f -`.
    Install(install::InstallArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example: vigie completions bash > /etc/bash_completion.d/vigie")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Not for the continuous scan: it scans its whole copy in bursts, and
    // returning every freed page at once made it fault them back in (a fifth
    // of its CPU at 100,000 objects, docs/cluster.md). One-shot commands keep
    // the lower peak.
    if !matches!(&cli.command, Command::Scan(args) if args.watch) {
        tune_allocator();
    }
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Controls(args) => controls::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Detect(args) => detect::run(args),
        Command::Rbac(args) => rbac::run(args),
        Command::Admission(args) => admission::run(args),
        Command::Install(args) => install::run(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vigie", &mut script);
            output::print_then(&script, ExitCode::SUCCESS)
        }
    }
}
