//! The cluster side of the command line: which cluster and what of it
//! (`vigie scan --cluster`, `vigie cluster snapshot`), the progress line while
//! it is read, and the snapshot command.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use vigie_cluster::{Cluster, ClusterOptions, ReadProgress, ReadSummary};
use vigie_finding::InputError;

use crate::output::with_progress_line;
use crate::scan::{EXIT_CLEAN, EXIT_INPUT_ERROR};

/// Which cluster to read, and what of it.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then the Pod's
    /// service account when run in a cluster).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,

    /// Read only these namespaces (repeat or separate with commas); cluster-scoped
    /// objects are read whatever this says. Default: all.
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        value_delimiter = ','
    )]
    namespaces: Vec<String>,

    /// Leave out the objects of these namespaces.
    #[arg(long, value_name = "NS,...", value_delimiter = ',')]
    exclude_namespaces: Vec<String>,

    /// Objects asked for per list request (`limit`).
    #[arg(long, value_name = "N", default_value_t = ClusterOptions::DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    page_size: u32,

    /// The most objects to read; past it reading stops with an error (exit code 2).
    #[arg(long, value_name = "N", default_value_t = ClusterOptions::DEFAULT_MAX_OBJECTS)]
    max_objects: usize,

    /// Seconds one request to the API server may take.
    #[arg(long, value_name = "SECONDS", default_value_t = ClusterOptions::DEFAULT_REQUEST_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,

    /// Lists read at once.
    #[arg(long, value_name = "N", default_value_t = ClusterOptions::DEFAULT_CONCURRENT_LISTS as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrent_lists: u16,
}

impl ClusterArgs {
    fn options(&self) -> ClusterOptions {
        ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespaces: self.namespaces.clone(),
            exclude_namespaces: self.exclude_namespaces.clone(),
            page_size: self.page_size,
            max_objects: self.max_objects,
            request_timeout: Duration::from_secs(self.request_timeout),
            concurrent_lists: usize::from(self.concurrent_lists),
            ..ClusterOptions::default()
        }
    }

    /// Reaches the cluster, or says why not on stderr.
    pub fn connect(&self) -> Result<Cluster, ExitCode> {
        Cluster::connect(&self.options()).map_err(|e| {
            eprintln!("vigie: cannot read the cluster: {e}");
            ExitCode::from(EXIT_INPUT_ERROR)
        })
    }
}

/// `vigie cluster ...`.
#[derive(Debug, Args)]
pub struct ClusterCommandArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Save the objects `vigie scan --cluster` reads (Secrets as metadata only) to one
    /// YAML file that `vigie scan FILE` reads offline with the same result.
    #[command(after_help = "\
Exit codes:
  0  the snapshot holds every object that could be read (types the user may not
     list are warnings)
  2  the cluster could not be reached, part of it could not be read, or the file
     could not be written

Example:
  vigie cluster snapshot -o prod.yaml --context prod --exclude-namespaces kube-system
  vigie scan prod.yaml --pss-version v1.31")]
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
struct SnapshotArgs {
    /// The file to write.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,

    #[command(flatten)]
    cluster: ClusterArgs,
}

pub fn run(args: ClusterCommandArgs) -> ExitCode {
    match args.command {
        ClusterCommand::Snapshot(args) => snapshot(args),
    }
}

fn snapshot(args: SnapshotArgs) -> ExitCode {
    let cluster = match args.cluster.connect() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let file = match std::fs::File::create(&args.output) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vigie: cannot write {}: {e}", args.output.display());
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let version = cluster.version();
    let header = format!(
        "vigie cluster snapshot of context {}, server {} (Secrets as metadata only).\n\
         `vigie scan --cluster` checks the Pod Security Standards of the server's version:\n\
         scan this file with --pss-version v{}.{} for the same result.",
        cluster.context(),
        version.git_version,
        version.major,
        version.minor
    );
    let progress = Arc::new(ReadProgress::default());
    let mut stream = cluster.read(progress.clone());
    let written = with_read_progress(&progress, || {
        vigie_cluster::write_snapshot(stream.by_ref(), &header, &mut out).and_then(|n| {
            out.flush()?;
            Ok(n)
        })
    });
    let summary = stream.finish();
    let written = match written {
        Ok(n) => n,
        Err(e) => {
            eprintln!("vigie: cannot write {}: {e}", args.output.display());
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    let source = vigie_cluster::source_name(cluster.context());
    print_read_problems(&source, &summary, "the snapshot lacks them");
    eprintln!(
        "vigie: wrote {written} objects of {source} to {} ({} pages)",
        args.output.display(),
        summary.pages
    );
    if summary.errors.is_empty() {
        ExitCode::from(EXIT_CLEAN)
    } else {
        ExitCode::from(EXIT_INPUT_ERROR)
    }
}

/// Prints on stderr the problems of reading a cluster: a type that could not
/// be listed is a warning saying what `lacking` them means for the answer,
/// anything else an error.
pub fn print_read_problems(source: &str, summary: &ReadSummary, lacking: &str) {
    for warning in &summary.warnings {
        eprintln!(
            "warning: {source}: cannot list {} ({}): {lacking}",
            warning.resource, warning.reason
        );
    }
    for error in &summary.errors {
        eprintln!("error: {source}: {error}");
    }
}

/// The problems of reading a cluster as report entries: a type that could not
/// be listed is a warning naming the controls that lose coverage, anything
/// else an error.
pub fn input_errors(
    source: &str,
    summary: &ReadSummary,
    controls_reading: impl Fn(&str, &str) -> Vec<&'static str>,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    for warning in &summary.warnings {
        let controls = controls_reading(&warning.api_version, &warning.kind);
        let coverage = if controls.is_empty() {
            "no selected control reads them".to_string()
        } else {
            format!("controls that lose coverage: {}", controls.join(", "))
        };
        errors.push(InputError {
            file: source.to_string(),
            line: None,
            column: None,
            reason: format!(
                "cannot list {} ({}): scanned without them; {coverage}",
                warning.resource, warning.reason
            ),
            fatal: false,
        });
    }
    errors.extend(summary.errors.iter().map(|e| InputError {
        file: source.to_string(),
        line: None,
        column: None,
        reason: e.clone(),
        fatal: true,
    }));
    errors
}

/// Runs `work` while a line on stderr counts the lists read and the objects
/// scanned, when stderr is a terminal; nothing on a pipe.
pub fn with_read_progress<T>(progress: &ReadProgress, work: impl FnOnce() -> T) -> T {
    let every = Duration::from_millis(100);
    let line = || {
        let (done, total, objects) = progress.snapshot();
        format!("vigie: listed {done}/{total} kinds, {objects} objects")
    };
    with_progress_line(every, every, line, work)
}
