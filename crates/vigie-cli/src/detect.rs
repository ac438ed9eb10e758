//! `vigie detect`: threat detection on Kubernetes audit events and system calls with
//! Falco-format rules.
//!
//! Exit codes: 0 no alert, 1 alerts raised, 2 bad input, which wins over alerts: rules
//! that do not load in strict mode, a rules file that cannot be read, an unreadable
//! configuration, a listener that cannot bind, an input file that cannot be read, or
//! lines that are not audit events.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use vigie_cluster::cri::{self, CacheConfig, ContainerCache};
use vigie_detect::config::{DetectConfig, SinkConfig, SourceConfig};
use vigie_detect::metrics::Metrics;
use vigie_detect::pipeline::{run_pipeline, RunSummary};
use vigie_detect::rules::{build_engine, load, tables};
use vigie_detect::sinks::{ClientTlsConfig, Format, HttpSinkConfig, SyslogTarget};
use vigie_detect::sources::{HttpLimits, HttpSourceConfig, ServerTlsConfig};
use vigie_detect::syscall;
use vigie_rules::{Engine, EngineOptions, Priority, RuleDiagnostic, RuleMatching, Selection};

use crate::output::print_then;

const EXIT_CLEAN: u8 = 0;
const EXIT_ALERTS: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[command(subcommand)]
    command: DetectCommand,
}

#[derive(Debug, Subcommand)]
enum DetectCommand {
    /// Detect threats in Kubernetes audit events (files, directories, stdin, webhook).
    #[command(
        after_help = "Examples:\n  vigie detect audit /var/log/kubernetes/audit.log\n  vigie detect audit --follow /var/log/kubernetes/audit.log -o json\n  vigie detect audit --listen 0.0.0.0:9765 --http-url http://falcosidekick:2801/\n  vigie detect audit --listen 0.0.0.0:9765 --tls-cert tls.crt --tls-key tls.key --tls-client-ca audit-ca.crt\n  kubectl get --raw ... | vigie detect audit -"
    )]
    Audit(Box<AuditArgs>),
    /// Detect threats in system calls with Falco's syscall rules: replay a .scap capture.
    #[command(
        after_help = "Examples:\n  sudo vigie detect syscalls\n  sudo vigie detect syscalls -o json --http-url http://falcosidekick:2801/\n  vigie detect syscalls --replay capture.scap\n  vigie detect syscalls --replay capture.scap -r falco_rules.yaml --no-default-rules -o json"
    )]
    Syscalls(Box<SyscallsArgs>),
    /// Validate and list rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Load and compile rule files; print every error and warning.
    Validate {
        /// Rule files, loaded in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Fail (exit 2) on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// List the rules that would run (vigie's defaults, or the given files).
    List {
        #[arg(long = "rules", short = 'r')]
        rules: Vec<PathBuf>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// Audit log files (JSON lines) or directories to read; `-` for stdin.
    inputs: Vec<PathBuf>,
    /// Keep reading files as they grow, across rotation and truncation.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Receive the API server's audit webhook on this address (host:port).
    #[arg(long)]
    listen: Option<String>,
    /// Path the webhook POSTs to.
    #[arg(long, default_value = "/k8s-audit")]
    listen_path: String,
    /// Largest accepted webhook body, in bytes (413 over it).
    #[arg(long, default_value_t = 16 << 20)]
    max_body_bytes: usize,
    /// Webhook connections open at once, from every client together.
    #[arg(long, value_name = "N", default_value_t = HttpLimits::default().max_connections)]
    max_connections: usize,
    /// Webhook connections open at once from one IP address.
    #[arg(long, value_name = "N", default_value_t = HttpLimits::default().max_connections_per_peer)]
    max_connections_per_peer: usize,
    /// Seconds a webhook client has to send a request's headers, in all (not per byte).
    #[arg(long, value_name = "SECONDS", default_value_t = HttpLimits::default().header_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a webhook client has to send a request's body, in all.
    #[arg(long, value_name = "SECONDS", default_value_t = HttpLimits::default().body_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Seconds a webhook connection may stay idle between requests.
    #[arg(long, value_name = "SECONDS", default_value_t = HttpLimits::default().idle_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Largest audit log line (files, stdin), in bytes; longer lines are skipped and
    /// reported. Default: the configuration's max_event_bytes, else 4 MiB.
    #[arg(long, value_name = "BYTES")]
    max_event_bytes: Option<usize>,
    /// Serve the webhook over HTTPS with this certificate chain (PEM; needs --tls-key).
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require webhook clients to present a certificate signed by these CAs (PEM): mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

/// The options every detection source shares: rules, their selection, and where
/// alerts go.
#[derive(Debug, Args)]
struct CommonArgs {
    /// Rule files, loaded in order after vigie's default rules.
    #[arg(long = "rules", short = 'r')]
    rules: Vec<PathBuf>,
    /// Do not load vigie's default rules.
    #[arg(long)]
    no_default_rules: bool,
    /// A YAML pipeline configuration (sources, sinks, queues); see docs/detect.md.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Alert format on standard output.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// Also append alerts (JSON lines) to this file.
    #[arg(long)]
    output_file: Option<PathBuf>,
    /// Also send alerts to syslog: udp://host:port or unix:///dev/log.
    #[arg(long)]
    syslog: Option<String>,
    /// Also POST alerts to this URL (Falcosidekick's input format); http:// or https://.
    #[arg(long)]
    http_url: Option<String>,
    /// Verify the https:// server of --http-url against these CAs (PEM) instead of the system's.
    #[arg(long, value_name = "FILE", requires = "http_url")]
    http_ca_file: Option<PathBuf>,
    /// Client certificate (PEM) presented to the --http-url server (needs --http-client-key).
    #[arg(long, value_name = "FILE", requires_all = ["http_url", "http_client_key"])]
    http_client_cert: Option<PathBuf>,
    /// The private key of --http-client-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "http_client_cert")]
    http_client_key: Option<PathBuf>,
    /// Accept any certificate from the --http-url server. For tests only.
    #[arg(long, requires = "http_url")]
    http_insecure_skip_verify: bool,
    /// Enable rules by name (wildcards * and ?), even rules disabled in their file.
    #[arg(long = "enable")]
    enable: Vec<String>,
    /// Disable rules by name (wildcards * and ?).
    #[arg(long = "disable", short = 'D')]
    disable: Vec<String>,
    /// Run only rules with this tag (repeatable).
    #[arg(short = 't', long = "tag")]
    tags: Vec<String>,
    /// Disable rules with this tag (repeatable).
    #[arg(short = 'T', long = "skip-tag")]
    skip_tags: Vec<String>,
    /// Least severe priority that raises alerts.
    #[arg(long, default_value = "debug")]
    min_priority: String,
    /// Report every matching rule, not only the first (Falco's rule_matching: all).
    #[arg(long)]
    all_matches: bool,
    /// Refuse to run when any rule has an error.
    #[arg(long)]
    strict: bool,
    /// Print the Prometheus metrics to stderr at the end.
    #[arg(long)]
    print_metrics: bool,
}

#[derive(Debug, Args)]
struct SyscallsArgs {
    /// Replay a libscap capture (.scap, as Falco and sysdig write them, gzip or
    /// not) through the sensor's state and the syscall rules. Without it, the live
    /// eBPF sensor watches this machine (root, or CAP_BPF, CAP_PERFMON and
    /// CAP_SYS_RESOURCE) until Ctrl-C or SIGTERM.
    #[arg(long, value_name = "FILE.scap")]
    replay: Option<PathBuf>,
    /// Size of the live sensor's ring buffer in MiB (a power of two; 64 by default):
    /// raise it when the sensor reports drops (docs/sensor.md).
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    ring_mib: u32,
    /// Serve `/metrics` (Prometheus: events, alerts, drops), `/healthz` and `/readyz`
    /// on this address while the sensor runs (the DaemonSet of `vigie install` uses it).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// The container runtime's CRI socket, asked by the live sensor for container
    /// names, images and pods (repeatable: containerd and CRI-O; --replay reads
    /// them from the capture instead). Default: those of
    /// /run/containerd/containerd.sock, /run/crio/crio.sock and
    /// /run/k3s/containerd/containerd.sock that exist.
    #[arg(long, value_name = "SOCKET", conflicts_with = "no_cri")]
    cri: Vec<PathBuf>,
    /// Do not ask the container runtime: container names, images and pods stay
    /// missing (container ids still come from the cgroups).
    #[arg(long)]
    no_cri: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub fn run(args: DetectArgs) -> ExitCode {
    match args.command {
        DetectCommand::Audit(a) => audit(*a),
        DetectCommand::Syscalls(a) => syscalls(*a),
        DetectCommand::Rules(RulesCommand::Validate { files, strict }) => validate(&files, strict),
        DetectCommand::Rules(RulesCommand::List { rules, output }) => list(&rules, output),
    }
}

fn print_diagnostics(diagnostics: &[RuleDiagnostic], warnings: bool) {
    for d in diagnostics.iter().filter(|d| warnings || d.is_error()) {
        eprintln!("{d}");
    }
}

fn validate(files: &[PathBuf], strict: bool) -> ExitCode {
    let set = load(files, false);
    let engine = Engine::build(&set, &tables(), &EngineOptions::default()).expect("not strict");
    print_diagnostics(engine.diagnostics(), true);
    let errors = engine.diagnostics().iter().filter(|d| d.is_error()).count();
    let warnings = engine.diagnostics().len() - errors;
    let summary = format!(
        "{} rules compiled, {} failed; {} macros, {} lists; {errors} errors, {warnings} warnings\n",
        engine.rules().len(),
        engine.failures().len(),
        set.macros.len(),
        set.lists.len()
    );
    let code = if errors > 0 || (strict && warnings > 0) {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else {
        ExitCode::from(EXIT_CLEAN)
    };
    print_then(summary.as_bytes(), code)
}

fn list(files: &[PathBuf], output: OutputFormat) -> ExitCode {
    let engine = match build_engine(files, false, &EngineOptions::default()) {
        Ok(e) => e,
        Err(d) => {
            print_diagnostics(&d, false);
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    print_diagnostics(engine.diagnostics(), false);
    let mut text = String::new();
    for r in engine.rules() {
        let _ = match output {
            OutputFormat::Text => writeln!(
                text,
                "{:<13} {:<8} {:<10} {}  [{}]",
                r.priority.as_str(),
                if r.enabled { "enabled" } else { "disabled" },
                r.source,
                r.name,
                r.tags.join(", ")
            ),
            OutputFormat::Json => writeln!(
                text,
                "{}",
                serde_json::json!({
                    "rule": r.name, "desc": r.desc.trim(), "priority": r.priority.as_str(),
                    "source": r.source, "tags": r.tags, "enabled": r.enabled,
                })
            ),
        };
    }
    // Rules that did not compile are not listed; their errors make the exit code 2.
    let code = if engine.diagnostics().iter().any(|d| d.is_error()) {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else {
        ExitCode::from(EXIT_CLEAN)
    };
    print_then(text.as_bytes(), code)
}

/// The configuration file and the rules of a run, as the common options say;
/// `Err` is the exit code of a run that cannot start.
fn configure(c: &CommonArgs) -> Result<DetectConfig, ExitCode> {
    let mut config = match &c.config {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| vec![format!("{}: {e}", path.display())])
            .and_then(|text| {
                DetectConfig::from_yaml(&path.display().to_string(), &text)
                    .map_err(|errors| errors.iter().map(ToString::to_string).collect())
            }) {
            Ok(c) => c,
            Err(errors) => {
                for e in errors {
                    eprintln!("vigie detect: {e}");
                }
                return Err(ExitCode::from(EXIT_INPUT_ERROR));
            }
        },
        None => DetectConfig::default(),
    };
    config.rules.extend(c.rules.iter().cloned());
    // A rules file that cannot be read is input that was not read, not a broken
    // rule to skip: running the other rules without it would hide that.
    let unreadable: Vec<String> = config
        .rules
        .iter()
        .filter_map(
            |path| match std::fs::File::open(path).and_then(|f| f.metadata()) {
                Ok(meta) if meta.is_file() => None,
                Ok(_) => Some(format!("{}: not a file", path.display())),
                Err(e) => Some(format!("{}: {e}", path.display())),
            },
        )
        .collect();
    if !unreadable.is_empty() {
        for e in unreadable {
            eprintln!("vigie detect: cannot read rules file {e}");
        }
        return Err(ExitCode::from(EXIT_INPUT_ERROR));
    }
    Ok(config)
}

/// Adds the sinks the common options ask for to the configuration's.
fn add_sinks(c: &CommonArgs, config: &mut DetectConfig) -> Result<(), ExitCode> {
    if c.config.is_none() || config.sinks.is_empty() {
        let format = match c.output {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
        };
        config.sinks.push(SinkConfig::Stdout { format });
    }
    if let Some(path) = &c.output_file {
        config.sinks.push(SinkConfig::File {
            path: path.clone(),
            format: Format::Json,
        });
    }
    if let Some(address) = &c.syslog {
        let Some(target) = SyslogTarget::parse(address) else {
            eprintln!("vigie detect: --syslog {address}: expected udp://host:port or unix:///path");
            return Err(ExitCode::from(EXIT_INPUT_ERROR));
        };
        config.sinks.push(SinkConfig::Syslog { target });
    }
    if let Some(url) = &c.http_url {
        let mut sink = HttpSinkConfig::new(url);
        sink.tls = ClientTlsConfig {
            ca_file: c.http_ca_file.clone(),
            cert_file: c.http_client_cert.clone(),
            key_file: c.http_client_key.clone(),
            insecure_skip_verify: c.http_insecure_skip_verify,
        };
        config.sinks.push(SinkConfig::Http(sink));
    }
    Ok(())
}

/// Compiles the rules of `config` with the common options' selection; reports how
/// many rules of `source` run. Also returns how many rules had errors.
fn compile(
    c: &CommonArgs,
    config: &DetectConfig,
    source: &str,
) -> Result<(Engine, usize), ExitCode> {
    let Some(min_priority) = Priority::parse(&c.min_priority) else {
        eprintln!("vigie detect: unknown priority '{}'", c.min_priority);
        return Err(ExitCode::from(EXIT_INPUT_ERROR));
    };
    let options = EngineOptions {
        strict: c.strict,
        matching: if c.all_matches {
            RuleMatching::All
        } else {
            RuleMatching::First
        },
        min_priority,
        selection: Selection {
            only_tags: c.tags.clone(),
            disable_tags: c.skip_tags.clone(),
            disable_names: c.disable.clone(),
            enable_names: c.enable.clone(),
        },
    };
    let engine = match build_engine(&config.rules, !c.no_default_rules, &options) {
        Ok(e) => e,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, false);
            eprintln!("vigie detect: rules have errors (strict mode)");
            return Err(ExitCode::from(EXIT_INPUT_ERROR));
        }
    };
    print_diagnostics(engine.diagnostics(), false);
    // Rules that did not compile are left out and the others run, but the run
    // cannot be called clean: it ends with exit code 2, as unreadable input does.
    let rule_errors = engine.diagnostics().iter().filter(|d| d.is_error()).count();
    eprintln!(
        "vigie detect: {} {source} rules enabled",
        engine.enabled_count(source)
    );
    Ok((engine, rule_errors))
}

/// Prints a run's counters and gives its exit code.
fn finish(
    summary: &RunSummary,
    metrics: &Metrics,
    rule_errors: usize,
    print_metrics: bool,
) -> ExitCode {
    eprintln!(
        "vigie detect: {} events, {} rejected, {} alerts, {} alerts not delivered",
        summary.events, summary.rejected, summary.alerts, summary.sink_drops
    );
    if print_metrics {
        eprint!("{}", metrics.render());
    }
    if rule_errors > 0 {
        eprintln!(
            "vigie detect: {rule_errors} errors in the rules (see above): the rules that had them did not run"
        );
    }
    if summary.input_errors > 0 {
        eprintln!(
            "vigie detect: {} inputs or lines could not be read (see above)",
            summary.input_errors
        );
    }
    if summary.input_errors > 0 || rule_errors > 0 {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else if summary.alerts > 0 {
        ExitCode::from(EXIT_ALERTS)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

fn audit(a: AuditArgs) -> ExitCode {
    let c = &a.common;
    let mut config = match configure(c) {
        Ok(config) => config,
        Err(code) => return code,
    };
    if let Some(limit) = a.max_event_bytes {
        config.max_event_bytes = limit;
    }
    for input in &a.inputs {
        config.sources.push(if input.as_os_str() == "-" {
            SourceConfig::Stdin
        } else if input.is_dir() {
            SourceConfig::Dir {
                path: input.clone(),
            }
        } else {
            SourceConfig::File {
                path: input.clone(),
                follow: a.follow,
            }
        });
    }
    if let Some(listen) = &a.listen {
        config
            .sources
            .push(SourceConfig::Http(Box::new(HttpSourceConfig {
                listen: listen.clone(),
                path: a.listen_path.clone(),
                limits: HttpLimits {
                    max_body_bytes: a.max_body_bytes,
                    max_connections: a.max_connections,
                    max_connections_per_peer: a.max_connections_per_peer,
                    header_timeout: Duration::from_secs(a.header_timeout),
                    body_timeout: Duration::from_secs(a.body_timeout),
                    idle_timeout: Duration::from_secs(a.idle_timeout),
                    max_body_memory_bytes: HttpLimits::default()
                        .max_body_memory_bytes
                        .max(a.max_body_bytes),
                    ..HttpLimits::default()
                },
                tls: a
                    .tls_cert
                    .as_ref()
                    .zip(a.tls_key.as_ref())
                    .map(|(cert, key)| ServerTlsConfig {
                        cert_file: cert.clone(),
                        key_file: key.clone(),
                        client_ca_file: a.tls_client_ca.clone(),
                    }),
            })));
    }
    if config.sources.is_empty() {
        eprintln!("vigie detect: nothing to read: give audit log files, a directory, `-` for stdin, or --listen");
        return ExitCode::from(EXIT_INPUT_ERROR);
    }
    if let Err(code) = add_sinks(c, &mut config) {
        return code;
    }
    let (engine, rule_errors) = match compile(c, &config, "k8s_audit") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let metrics = Arc::new(Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = stop_on_signals(&stop) {
        eprintln!("vigie detect: cannot handle SIGINT and SIGTERM: {e}");
        return ExitCode::from(EXIT_INPUT_ERROR);
    }
    let summary = match run_pipeline(&config, engine, metrics.clone(), stop) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigie detect: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    finish(&summary, &metrics, rule_errors, c.print_metrics)
}

fn syscalls(a: SyscallsArgs) -> ExitCode {
    let c = &a.common;
    let mut config = match configure(c) {
        Ok(config) => config,
        Err(code) => return code,
    };
    if let Err(code) = add_sinks(c, &mut config) {
        return code;
    }
    let (engine, rule_errors) = match compile(c, &config, syscall::SOURCE) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let metrics = Arc::new(Metrics::default());
    let shutdown = vigie_server::Shutdown::new();
    let server = match &a.metrics_listen {
        None => None,
        Some(address) => match serve_metrics(address, metrics.clone(), shutdown.clone()) {
            Ok(handle) => Some(handle),
            Err(e) => {
                eprintln!("vigie detect: --metrics-listen {address}: {e}");
                return ExitCode::from(EXIT_INPUT_ERROR);
            }
        },
    };
    let result = match &a.replay {
        Some(path) => syscall::run_replay(path, &config, engine, metrics.clone()),
        None => {
            let stop = Arc::new(AtomicBool::new(false));
            if let Err(e) = stop_on_signals(&stop) {
                eprintln!("vigie detect: cannot handle signals: {e}");
                return ExitCode::from(EXIT_INPUT_ERROR);
            }
            let (containers, resolver) = match container_runtime(&a) {
                Ok(x) => x.unzip(),
                Err(code) => return code,
            };
            let options = syscall::live::LiveOptions {
                ring_bytes: a.ring_mib.saturating_mul(1 << 20),
                containers,
                ..Default::default()
            };
            let result = syscall::live::run_live(&config, engine, metrics.clone(), &stop, &options);
            if let (Some(r), Some(cache)) = (resolver, &options.containers) {
                let s = r.stats();
                let c = cache.stats();
                eprintln!(
                    "vigie detect: container runtime: {} lookups ({} found, {} unknown, {} failed), mean {:?}, max {} µs; events' container lookups: {} hits, {} misses",
                    s.lookups, s.found, s.not_found, s.failed, s.mean(), s.max_us, c.hits, c.misses
                );
                if let Some(e) = r.last_error() {
                    eprintln!("vigie detect: container runtime: last error: {e}");
                }
            }
            result
        }
    };
    shutdown.trigger();
    if let Some(handle) = server {
        let _ = handle.join();
    }
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigie detect: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    finish(&summary, &metrics, rule_errors, c.print_metrics)
}

/// The container runtime the live sensor asks (`--cri`, or the usual sockets
/// that exist): its metadata cache and the resolver filling it, or none. Sockets
/// named with `--cri` must answer; the default ones only warn when they do not.
#[allow(clippy::type_complexity)]
fn container_runtime(
    a: &SyscallsArgs,
) -> Result<Option<(Arc<ContainerCache>, cri::Resolver)>, ExitCode> {
    if a.no_cri {
        return Ok(None);
    }
    let sockets = cri::sockets_or_default(&a.cri);
    if sockets.is_empty() {
        eprintln!(
            "vigie detect: no container runtime socket found ({}); container names, images and pods will be missing (--cri SOCKET names one)",
            cri::DEFAULT_SOCKETS.join(", ")
        );
        return Ok(None);
    }
    let (cache, requests) = ContainerCache::new(CacheConfig::default());
    match cri::Resolver::start(&sockets, &cache, requests, cri::ResolverOptions::default()) {
        Ok((resolver, warnings)) => {
            for w in warnings {
                eprintln!("vigie detect: {w}");
            }
            for (socket, version) in resolver.runtimes() {
                eprintln!(
                    "vigie detect: container runtime {version} on {}",
                    socket.display()
                );
            }
            Ok(Some((cache, resolver)))
        }
        Err(e) if a.cri.is_empty() => {
            eprintln!("vigie detect: {e}; container names, images and pods will be missing");
            Ok(None)
        }
        Err(e) => {
            eprintln!("vigie detect: --cri: {e}");
            Err(ExitCode::from(EXIT_INPUT_ERROR))
        }
    }
}

/// Serves the detection metrics (and the server's own) with vigie-server's health
/// and readiness routes, on a thread of its own until `shutdown` is triggered.
fn serve_metrics(
    address: &str,
    metrics: Arc<Metrics>,
    shutdown: vigie_server::Shutdown,
) -> Result<std::thread::JoinHandle<()>, vigie_server::ServerError> {
    let server = vigie_server::Server::bind(vigie_server::ServerConfig::new(address.to_string()))?;
    eprintln!(
        "vigie detect: metrics on http://{}/metrics",
        server.local_addr()
    );
    let server_metrics = server.metrics();
    let routes = vigie_server::Routes::new().metrics(move |out: &mut String| {
        server_metrics.render(out);
        out.push_str(&metrics.render());
    });
    Ok(std::thread::spawn(move || {
        let _ = server.serve(routes, shutdown);
    }))
}

/// SIGINT (Ctrl-C) and SIGTERM (Kubernetes stopping the Pod) ask the run to stop:
/// sources close, the webhook finishes the requests in flight, queued alerts reach
/// their sinks and the counters are printed. A second signal ends the process at
/// once, for a stop that takes too long.
fn stop_on_signals(stop: &Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so that it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(stop))?;
        signal_hook::flag::register(signal, Arc::clone(stop))?;
    }
    Ok(())
}
