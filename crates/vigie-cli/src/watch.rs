//! `vigie scan --cluster --watch`: the continuous scan. Wiring only: the copy of
//! the cluster is vigie-cluster's [`Inventory`], the scan vigie-controls', the
//! metrics vigie-report's and vigie-cluster's, served by vigie-server; the
//! reports are written by vigie-cluster's [`ReportWriter`].
//!
//! What is scanned when: the whole copy again, from memory, once a change has
//! settled (cross-object controls, RBAC and NetworkPolicies, make one object's
//! change alter other objects' findings, so re-evaluating only the changed
//! object would be wrong; a full evaluation of 100,000 objects from the copy
//! took 4.7 s, 8.2 s with the policy reports, on a loaded 2-core machine:
//! docs/cluster.md, `bench/watch.sh`); and every `--interval`, a new copy
//! listed from scratch, in case a watch missed something.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use vigie_cluster::reports::ReportWriter;
use vigie_cluster::{Cluster, Inventory};
use vigie_controls::{Scan, ScanConfig};
use vigie_finding::InputError;
use vigie_report::policy_report::{ReportApi, ReportEntry, ReportSet};
use vigie_report::posture::{FindingTally, PostureMetrics};
use vigie_server::{Routes, Server, ServerConfig, Shutdown};

use crate::readyz::with_readyz;
use crate::scan::EXIT_INPUT_ERROR;

/// A change is scanned once the copy has been quiet this long...
const SETTLE: Duration = Duration::from_secs(1);
/// ... or this long after the first change, whichever comes first, so that a
/// cluster that never stops changing is still scanned.
const SETTLE_AT_MOST: Duration = Duration::from_secs(10);
/// How often the loop looks at the copy.
const TICK: Duration = Duration::from_millis(100);
/// The name of the scanner's reports (the admission webhook's have their own).
pub const REPORT_NAME: &str = "vigie-scan";

/// What the continuous scan is asked for.
pub struct WatchOptions {
    /// A full list from scratch this often.
    pub interval: Duration,
    /// Where to serve `/metrics`, `/healthz`, `/readyz`.
    pub metrics_listen: Option<String>,
    /// The report API, or `None` to write no report.
    pub reports: Option<ReportApi>,
    /// Results a report holds at most.
    pub report_max_results: usize,
}

/// Why a scan ran.
#[derive(Clone, Copy)]
enum Cause {
    Start,
    Changes,
    Interval,
}

impl Cause {
    fn as_str(self) -> &'static str {
        match self {
            Cause::Start => "first scan",
            Cause::Changes => "objects changed",
            Cause::Interval => "--interval: listed again",
        }
    }
}

/// Runs until SIGINT or SIGTERM.
pub fn run(cluster: Cluster, settings: ScanConfig, options: WatchOptions) -> ExitCode {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("vigie: cannot handle signals: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    }
    let posture = Arc::new(Mutex::new(PostureMetrics::default()));
    let inventory: Arc<Mutex<Arc<Inventory>>> = Arc::new(Mutex::new(Arc::new(cluster.inventory())));
    let scanned = Arc::new(AtomicBool::new(false));
    let shutdown = Shutdown::new();
    let server = match &options.metrics_listen {
        None => None,
        Some(address) => match Server::bind(ServerConfig::new(address.clone())) {
            Ok(server) => {
                eprintln!(
                    "vigie scan: metrics on http://{}/metrics",
                    server.local_addr()
                );
                let server_metrics = server.metrics();
                let ready = {
                    let scanned = scanned.clone();
                    move || scanned.load(Ordering::Relaxed)
                };
                let posture = posture.clone();
                let inventory = inventory.clone();
                let render = move |out: &mut String| {
                    server_metrics.render(out);
                    posture
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .render(out);
                    let current = inventory.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    current.stats().render(out);
                };
                let routes =
                    with_readyz(Routes::new(), ready, "first scan not done").metrics(render);
                let stop = shutdown.clone();
                Some(std::thread::spawn(move || server.serve(routes, stop)))
            }
            Err(e) => {
                eprintln!("vigie: --metrics-listen {address}: {e}");
                return ExitCode::from(EXIT_INPUT_ERROR);
            }
        },
    };
    let scan = Scan::new(&settings);
    let writer = options
        .reports
        .map(|api| ReportWriter::new(api, REPORT_NAME));
    let mut cause = Cause::Start;
    let mut scanned_generation = None;
    let mut first_change: Option<Instant> = None;
    let mut last_change = Instant::now();
    let mut seen_generation = 0;
    let mut listed_at = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let current = inventory.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if !current.ready() {
            continue;
        }
        if listed_at.elapsed() >= options.interval {
            // A new copy from fresh lists; the old one stops following.
            *inventory.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(cluster.inventory());
            listed_at = Instant::now();
            cause = Cause::Interval;
            scanned_generation = None;
            continue;
        }
        let generation = current.generation();
        if generation != seen_generation {
            seen_generation = generation;
            last_change = Instant::now();
            first_change.get_or_insert(last_change);
        }
        let due = match scanned_generation {
            None => true,
            Some(done) if done != generation => {
                last_change.elapsed() >= SETTLE
                    || first_change.is_some_and(|f| f.elapsed() >= SETTLE_AT_MOST)
            }
            Some(_) => false,
        };
        if !due {
            continue;
        }
        scanned_generation = Some(generation);
        first_change = None;
        scan_once(
            &scan,
            &cluster,
            &current,
            writer.as_ref(),
            &options,
            &posture,
            cause,
        );
        scanned.store(true, Ordering::Relaxed);
        cause = Cause::Changes;
    }
    eprintln!("vigie scan: stopping");
    shutdown.trigger();
    if let Some(thread) = server {
        let _ = thread.join();
    }
    ExitCode::SUCCESS
}

/// One evaluation of the copy: metrics, reports, a line on stderr.
fn scan_once(
    scan: &Scan,
    cluster: &Cluster,
    inventory: &Inventory,
    writer: Option<&ReportWriter>,
    options: &WatchOptions,
    posture: &Mutex<PostureMetrics>,
    cause: Cause,
) {
    let started = Instant::now();
    let now = SystemTime::now();
    let mut resources = inventory.resources();
    let mut tally = FindingTally::default();
    // Results go into the bounded set batch by batch: no list of every finding.
    let mut set = options
        .reports
        .map(|api| ReportSet::new(api, options.report_max_results));
    let mut report = scan.run_resources(
        resources.by_ref(),
        |_, findings| findings,
        |findings| {
            for finding in &findings {
                tally.add(finding);
            }
            if let (Some(set), true) = (set.as_mut(), writer.is_some()) {
                set.record(
                    findings
                        .iter()
                        .map(|f| ReportEntry::from_finding(f, now))
                        .collect(),
                );
            }
        },
    );
    let problems = resources.problems().to_vec();
    drop(resources);
    let objects = report.resources.len();
    let source = vigie_cluster::source_name(cluster.context());
    let stats = inventory.stats();
    report
        .errors
        .extend(problems.into_iter().map(|reason| InputError {
            file: source.clone(),
            line: None,
            column: None,
            reason,
            fatal: true,
        }));
    report
        .errors
        .extend(stats.forbidden.iter().map(|(resource, reason)| InputError {
            file: source.clone(),
            line: None,
            column: None,
            reason: format!("cannot list {resource} ({reason}): scanned without them"),
            fatal: false,
        }));
    let mut reports = String::new();
    let mut failed_reports = false;
    if let (Some(writer), Some(set)) = (writer, &set) {
        match writer.write(cluster, set) {
            Ok(written) => {
                reports = format!(
                    "; reports: {} applied, {} deleted",
                    written.applied, written.deleted
                );
                for error in &written.errors {
                    eprintln!("warning: {source}: policy report: {error}");
                }
                failed_reports = !written.errors.is_empty();
            }
            Err(e) => {
                eprintln!("warning: {source}: policy reports not written: {e}");
                failed_reports = true;
            }
        }
    }
    let duration = started.elapsed();
    let scores: Vec<String> = report
        .frameworks
        .iter()
        .map(|f| format!("{} {:.1}%", f.id, f.score))
        .collect();
    let counts = report.severity_counts();
    eprintln!(
        "vigie scan: {} ({}): {objects} objects, {} findings ({} critical, {} high), {} in {:.2} s{reports}",
        source,
        cause.as_str(),
        counts.critical + counts.high + counts.medium + counts.low + counts.info,
        counts.critical,
        counts.high,
        scores.join(", "),
        duration.as_secs_f64()
    );
    let mut metrics = posture.lock().unwrap_or_else(|e| e.into_inner());
    metrics.record(&report, tally, duration);
    if failed_reports {
        metrics.failed("reports");
    }
}
