//! `vigie scan`: load, check, report, and turn the result into an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use vigie_controls::exceptions::{Date, Exceptions};
use vigie_controls::pss::Version;
use vigie_controls::{known_control_ids, Config, Framework, Scan, ScanConfig};
use vigie_finding::Severity;
use vigie_report::policy_report::ReportApi;
use vigie_report::{Encoder, Format, RenderOptions, ReportWriter};

use vigie_cluster::ReadProgress;
use vigie_resource::{Limits, LoadOptions, Progress};

use crate::cluster::{self, with_read_progress, ClusterArgs};
use crate::output::with_progress_line;

/// Exit codes, documented in README.md.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INPUT_ERROR: u8 = 2;

/// Write buffer for reports (they reach hundreds of megabytes on large inputs).
const OUTPUT_BUFFER: usize = 1 << 20;

#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes:
  0  no finding at or above the severity threshold, and all input was read
  1  findings at or above the severity threshold, or a framework score below
     --compliance-threshold
  2  some input could not be read or parsed (this wins over 1: the findings are
     still reported, but the run is not trustworthy), or the command line is wrong

Examples:
  vigie scan examples/insecure
  vigie scan deploy/ --level baseline --pss-version v1.29
  vigie scan deploy/ --framework nsa,cis --compliance-threshold 80
  vigie scan deploy/ -f all --exceptions exceptions.yaml
  kubectl get deploy -A -o yaml | vigie scan -
  vigie scan k8s/ -o sarif --output vigie.sarif
  vigie scan --cluster --context prod --exclude-namespaces kube-system -f all")]
pub struct ScanArgs {
    /// Files, directories (searched recursively for .yaml, .yml and .json) or `-` for stdin.
    /// A directory holding a kustomization.yaml is rendered with `kubectl kustomize`.
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<String>,

    /// Scan the objects of a live cluster instead of files (see docs/cluster.md): the
    /// current kubeconfig context unless --kubeconfig/--context say otherwise. Secrets
    /// are read as metadata only.
    #[arg(long)]
    cluster: bool,

    #[command(flatten)]
    cluster_args: ClusterArgs,

    /// With --cluster: keep scanning (see docs/cluster.md, "Running continuously"):
    /// follow the cluster's objects with watches, scan again when they change, export
    /// metrics (--metrics-listen) and write policy reports to the cluster, until SIGTERM.
    /// No report is printed.
    #[arg(long, requires = "cluster")]
    pub(crate) watch: bool,

    /// With --watch: list everything again from scratch this often (`30m`, `1h`), in
    /// case a watch missed a change.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_interval, requires = "watch")]
    interval: Duration,

    /// With --watch: serve Prometheus metrics (/metrics), /healthz and /readyz here
    /// (`:9090`, `127.0.0.1:9090`).
    #[arg(long, value_name = "ADDR", requires = "watch")]
    metrics_listen: Option<String>,

    /// With --watch: the policy report API written to: openreports (openreports.io/v1alpha1
    /// Report, ClusterReport) or wgpolicy (wgpolicyk8s.io/v1alpha2 PolicyReport,
    /// ClusterPolicyReport).
    #[arg(long, value_name = "API", default_value = "openreports", value_parser = parse_report_api, requires = "watch")]
    report_api: ReportApi,

    /// With --watch: write no policy report to the cluster.
    #[arg(long, requires = "watch")]
    no_reports: bool,

    /// With --watch: results one policy report holds at most.
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "watch")]
    report_max_results: usize,

    /// Frameworks to check: nsa, cis, mitre, pss-baseline, pss-restricted, or all.
    /// Repeat or separate with commas. Default: the Pod Security level of --level.
    #[arg(
        short = 'f',
        long = "framework",
        value_name = "FRAMEWORK",
        value_delimiter = ','
    )]
    frameworks: Vec<String>,

    /// Pod Security Standards level to check against when no --framework is given.
    #[arg(long, value_enum, default_value_t = LevelArg::Restricted)]
    level: LevelArg,

    /// Kubernetes version whose Pod Security Standards apply (v1.0 to v1.37, or `latest`).
    /// Default: `latest` for files; the server's version for --cluster.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pss_version: Option<Version>,

    /// Report format.
    #[arg(short = 'o', long, value_enum, default_value_t = FormatArg::Pretty)]
    format: FormatArg,

    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Findings at or above this severity make the run fail (exit code 1).
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = SeverityArg::Low)]
    severity_threshold: SeverityArg,

    /// Fail (exit code 1) when a framework's compliance score is below PERCENT
    /// (score: the mean over its controls of 100 × passed / evaluated resources).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    compliance_threshold: Option<f64>,

    /// Settings for the controls (allowed registries, sensitive key names, ...): see docs/config.md.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Exceptions file: accepted findings, with reason and expiry (see docs/exceptions.md).
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,

    /// When to use colours in the pretty report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Scan the files of kustomization directories one by one instead of rendering them.
    #[arg(long)]
    no_kustomize: bool,

    /// Largest file (or stdin, or kustomize rendering) to read, in bytes; its text is
    /// held in memory while its objects are read. Larger inputs are refused with an error.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,

    /// Most documents to read from one file, and most items from one List; the rest
    /// is refused with an error.
    #[arg(long, value_name = "N", default_value_t = Limits::DEFAULT_MAX_DOCUMENTS)]
    max_documents: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LevelArg {
    Baseline,
    Restricted,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Pretty,
    Json,
    Sarif,
    Junit,
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

/// A version the standards are known for: unlike a namespace label (where
/// Kubernetes reads a newer version as the latest standards), a version on the
/// command line beyond the newest vigie knows is most likely a typo.
pub(crate) fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse_known(s).map_err(|e| e.to_string())
}

/// A `--interval`: a Go duration of at least one second.
fn parse_interval(s: &str) -> Result<Duration, String> {
    match vigie_resource::duration_seconds(s) {
        Some(seconds) if seconds >= 1.0 => Ok(Duration::from_secs_f64(seconds)),
        Some(_) => Err(format!("`{s}` is shorter than a second")),
        None => Err(format!("`{s}` is not a duration (`30m`, `1h`)")),
    }
}

fn parse_report_api(s: &str) -> Result<ReportApi, String> {
    s.parse()
        .map_err(|e: vigie_finding::UnknownName| e.to_string())
}

/// A compliance score threshold: a percentage from 0 to 100.
fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        Ok(_) => Err(format!("`{s}` is not a percentage from 0 to 100")),
        Err(_) => Err(format!(
            "`{s}` is not a number (expected a percentage from 0 to 100)"
        )),
    }
}

/// Reads a settings file, or says why not.
fn read_text(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The scan settings from the command line and the files it names.
fn settings(args: &ScanArgs) -> Result<ScanConfig, Vec<String>> {
    scan_config(
        &args.frameworks,
        args.level,
        args.pss_version.unwrap_or(Version::LATEST),
        args.config.as_ref(),
        args.exceptions.as_ref(),
    )
}

/// The checks a command runs, from its `--framework`, `--level`, `--pss-version`,
/// `--config` and `--exceptions` (`vigie scan` and `vigie fix` share them).
pub(crate) fn scan_config(
    framework_names: &[String],
    level: LevelArg,
    pss_version: Version,
    config: Option<&PathBuf>,
    exceptions: Option<&PathBuf>,
) -> Result<ScanConfig, Vec<String>> {
    let frameworks = if framework_names.is_empty() {
        vec![match level {
            LevelArg::Baseline => Framework::PssBaseline,
            LevelArg::Restricted => Framework::PssRestricted,
        }]
    } else if framework_names.iter().any(|f| f == "all") {
        Framework::ALL.to_vec()
    } else {
        let mut selected = Vec::new();
        for name in framework_names {
            let framework: Framework = name
                .parse()
                .map_err(|e: vigie_finding::UnknownName| vec![e.to_string()])?;
            if !selected.contains(&framework) {
                selected.push(framework);
            }
        }
        selected
    };
    let config = match config {
        Some(path) => {
            let text = read_text(path).map_err(|e| vec![e])?;
            Config::from_yaml(&text).map_err(|e| vec![format!("{}:{e}", path.display())])?
        }
        None => Config::default(),
    };
    let exceptions = match exceptions {
        Some(path) => {
            let text = read_text(path).map_err(|e| vec![e])?;
            Exceptions::from_yaml(&path.display().to_string(), &text, &known_control_ids())
                .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?
        }
        None => Exceptions::default(),
    };
    Ok(ScanConfig {
        frameworks,
        pss_version,
        config,
        exceptions,
        today: Date::today(),
    })
}

pub fn run(args: ScanArgs) -> ExitCode {
    let cluster = if args.cluster {
        match args.cluster_args.connect() {
            Ok(cluster) => Some(cluster),
            Err(code) => return code,
        }
    } else {
        None
    };
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    let settings = match (&cluster, args.pss_version) {
        // The standards the cluster's own admission enforces; those vigie
        // knows last when the server is newer.
        (Some(cluster), None) => ScanConfig {
            pss_version: Version::parse_known(&format!("v1.{}", cluster.version().minor))
                .unwrap_or(Version::LATEST),
            ..settings
        },
        _ => settings,
    };
    if args.watch {
        let Some(cluster) = cluster else {
            unreachable!("clap: --watch requires --cluster")
        };
        let options = crate::watch::WatchOptions {
            interval: args.interval,
            metrics_listen: args.metrics_listen.clone(),
            reports: (!args.no_reports).then_some(args.report_api),
            report_max_results: args.report_max_results,
        };
        return crate::watch::run(cluster, settings, options);
    }
    let format = match args.format {
        FormatArg::Pretty => Format::Pretty,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Junit => Format::Junit,
        FormatArg::Html => Format::Html,
    };
    let threshold = match args.severity_threshold {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    };

    let progress = Arc::new(Progress::default());
    let load_options = LoadOptions {
        no_kustomize: args.no_kustomize,
        progress: Some(progress.clone()),
        limits: Limits {
            max_file_bytes: args.max_file_bytes,
            max_documents: args.max_documents,
        },
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("vigie: cannot write the report: {}: {e}", path.display());
                return ExitCode::from(EXIT_INPUT_ERROR);
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let options = RenderOptions {
        color: args.output.is_none() && wants_color(args.color),
    };
    // Stdout is line-buffered; a large report wants one big buffer.
    let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, out);

    // Findings are written while the scan runs, never held all at once.
    let scan = Scan::new(&settings);
    let head = scan.head();
    let encoder = Encoder::new(format, &options, &head);
    let mut writer = ReportWriter::begin(format, &options, &head, &mut out);
    let report = match &cluster {
        None => with_files_progress(&progress, || {
            scan.run(
                &args.paths,
                &load_options,
                |location, findings| encoder.encode(location, findings),
                |batch| writer.write(batch),
            )
        }),
        Some(cluster) => {
            let progress = Arc::new(ReadProgress::default());
            let mut objects = cluster.read(progress.clone());
            let mut report = with_read_progress(&progress, || {
                scan.run_resources(
                    objects.by_ref(),
                    |location, findings| encoder.encode(location, findings),
                    |batch| writer.write(batch),
                )
            });
            let summary = objects.finish();
            let source = vigie_cluster::source_name(cluster.context());
            report
                .errors
                .extend(cluster::input_errors(&source, &summary, |a, k| {
                    scan.controls_reading(a, k)
                }));
            report
        }
    };
    // Input problems always reach stderr, whatever the report format, so that a
    // person running `-o json > file` still sees them.
    for error in &report.errors {
        eprintln!("{}", describe_input_error(error));
    }
    if let Err(e) = writer.finish(&report) {
        // A closed pipe (`vigie scan . | head`) is not an error worth a message.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("vigie: cannot write the report: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    }

    let code = exit_code(&report, threshold, args.compliance_threshold);
    // The process ends here: freeing a report of 100,000 resources one by one
    // takes longer than the OS takes to reclaim the memory at once.
    std::mem::forget(report);
    code
}

fn exit_code(
    report: &vigie_finding::Report,
    threshold: Severity,
    compliance_threshold: Option<f64>,
) -> ExitCode {
    if report.fatal_error_count() > 0 {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else if report.has_findings_at_or_above(threshold) {
        ExitCode::from(EXIT_FINDINGS)
    } else if let Some(minimum) =
        compliance_threshold.filter(|&minimum| report.frameworks.iter().any(|f| f.score < minimum))
    {
        for f in report.frameworks.iter().filter(|f| f.score < minimum) {
            eprintln!(
                "vigie: {} scores {:.1}%, below the compliance threshold of {minimum}%",
                f.title, f.score
            );
        }
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

/// Runs `work` while a line on stderr counts the files done, when stderr is a
/// terminal and the work lasts long enough to be worth watching.
fn with_files_progress<T>(progress: &Progress, work: impl FnOnce() -> T) -> T {
    let line = || {
        let done = progress.done.load(Ordering::Relaxed);
        let total = progress.total.load(Ordering::Relaxed);
        format!("vigie: scanned {done}/{total} files")
    };
    with_progress_line(
        Duration::from_millis(300),
        Duration::from_millis(50),
        line,
        work,
    )
}

/// `error: file:line:column: reason`, as compilers print it.
fn describe_input_error(error: &vigie_finding::InputError) -> String {
    let level = if error.fatal { "error" } else { "warning" };
    match (error.line, error.column) {
        (Some(line), Some(column)) => {
            format!("{level}: {}:{line}:{column}: {}", error.file, error.reason)
        }
        _ => format!("{level}: {}: {}", error.file, error.reason),
    }
}

/// Whether the pretty report on stdout gets colours.
pub(crate) fn wants_color(choice: ColorArg) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}
