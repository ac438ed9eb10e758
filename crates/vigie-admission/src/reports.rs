//! Audit results on their way to policy reports: the webhook queues them (never
//! blocking a request: when the queue is full they are dropped and counted), and
//! a writer thread aggregates them into reports and hands them to its sinks (a
//! directory, the cluster) periodically, off the request path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use vigie_policy::Status;
use vigie_report::policy_report::{ObjectRef, ReportApi, ReportEntry, ReportResult, ReportSet};

use crate::metrics::AdmissionMetrics;
use crate::verdict::RuleOutcome;

/// Audit records waiting for the writer, at most.
pub const QUEUE_CAPACITY: usize = 10_000;

/// How long the writer sleeps between two takes of the queue: at 12,000
/// requests a second (the bench's saturation) a fifth of the queue's
/// capacity, and the longest a stop waits for the writer to notice it.
const DRAIN_PERIOD: Duration = Duration::from_millis(20);

/// The shortest sleep, for a zero interval: never a busy loop.
const MIN_SLEEP: Duration = Duration::from_millis(1);

/// The object a record is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.uid` (empty on CREATE: the API server sets it after admission).
    pub uid: String,
}

/// The results of the policies evaluated on one object.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    /// The object.
    pub object: ObjectId,
    /// Every rule result (they replace the object's earlier results per policy).
    pub results: Vec<RuleOutcome>,
    /// When it was evaluated.
    pub time: SystemTime,
}

/// The sending end, held by the webhook.
#[derive(Clone)]
pub struct ReportQueue {
    sender: Sender<AuditRecord>,
    metrics: Arc<AdmissionMetrics>,
}

impl ReportQueue {
    /// A queue of [`QUEUE_CAPACITY`] records and its receiving end.
    pub fn new(metrics: Arc<AdmissionMetrics>) -> (ReportQueue, Receiver<AuditRecord>) {
        let (sender, receiver) = crossbeam_channel::bounded(QUEUE_CAPACITY);
        (ReportQueue { sender, metrics }, receiver)
    }

    /// Queues a record without waiting; a full queue drops it and counts its results.
    pub fn push(&self, record: AuditRecord) {
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(r)) | Err(TrySendError::Disconnected(r)) => {
                self.metrics.reports_dropped(r.results.len() as u64);
            }
        }
    }
}

/// A destination of the reports: the writer thread gives it the whole set at
/// every write; a failure is logged and counted, and the next write tries again.
pub trait ReportSink: Send {
    /// The sink's name in log lines and metrics (`dir`, `cluster`).
    fn name(&self) -> &'static str;
    /// Writes the whole set, replacing what this sink wrote before.
    fn write(&mut self, set: &ReportSet) -> Result<(), ReportSinkError>;
}

/// Why a sink did not write the reports (logged, counted, tried again at the
/// next write).
#[derive(Debug, thiserror::Error)]
pub enum ReportSinkError {
    /// The report directory could not be written.
    #[error("{}: {source}", path.display())]
    Directory {
        /// The directory.
        path: std::path::PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Another sink's failure (the cluster's: which API server, which
    /// reports), with that sink's own error.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// Writes the reports to a directory, one file per namespace, replaced atomically.
#[derive(Clone, Debug)]
pub struct DirSink(pub PathBuf);

impl ReportSink for DirSink {
    fn name(&self) -> &'static str {
        "dir"
    }

    fn write(&mut self, set: &ReportSet) -> Result<(), ReportSinkError> {
        set.write_dir(&self.0)
            .map(|_| ())
            .map_err(|source| ReportSinkError::Directory {
                path: self.0.clone(),
                source,
            })
    }
}

/// How the writer aggregates and how often it writes.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// openreports.io or wgpolicyk8s.io.
    pub api: ReportApi,
    /// How often the reports are written when results came in.
    pub interval: Duration,
    /// The most results one report holds.
    pub max_results_per_report: usize,
}

impl ReportConfig {
    /// The default number of results per report: well under the API server's
    /// object size limit with messages of up to 1 KiB.
    pub const DEFAULT_MAX_RESULTS: usize = 1000;
}

fn result_of(status: Status) -> Option<ReportResult> {
    Some(match status {
        Status::Pass => ReportResult::Pass,
        Status::Fail => ReportResult::Fail,
        Status::Warn => ReportResult::Warn,
        Status::Error => ReportResult::Error,
        // Rules that did not apply would fill the reports with noise.
        Status::Skip => return None,
    })
}

fn entries(record: AuditRecord) -> Vec<ReportEntry> {
    let object = record.object;
    let resource = ObjectRef {
        api_version: object.api_version,
        kind: object.kind,
        namespace: object.namespace,
        name: object.name,
        uid: object.uid,
    };
    record
        .results
        .into_iter()
        .filter_map(|r| {
            Some(ReportEntry {
                result: result_of(r.status)?,
                policy: r.policy.name.clone(),
                rule: r.rule,
                message: r.message,
                severity: r.policy.severity.clone(),
                category: r.policy.category.clone(),
                resource: resource.clone(),
                timestamp: record.time,
            })
        })
        .collect()
}

/// Starts the thread that aggregates queued records into reports and writes them
/// to every sink every `config.interval` when results came in (and once more when
/// the queue closes or `stop` is set). Write failures are logged and counted
/// (`vigie_admission_report_writes_total`), and retried at the next interval;
/// results evicted from full reports are counted in the metrics.
pub fn spawn_writer(
    receiver: Receiver<AuditRecord>,
    config: ReportConfig,
    mut sinks: Vec<Box<dyn ReportSink>>,
    metrics: Arc<AdmissionMetrics>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("vigie-reports".into())
        .spawn(move || {
            let mut set = ReportSet::new(config.api, config.max_results_per_report);
            let mut dirty = false;
            let mut dropped = 0;
            let mut last_write = Instant::now();
            loop {
                // Sleep, then take everything queued meanwhile: a writer blocked
                // in `recv` is woken by every send (a futex wake and a context
                // switch per request, and the spinning before it parks: measured
                // with strace under load, about one `sched_yield` per request);
                // one that sleeps is never woken, and the queue holds
                // DRAIN_PERIOD's worth of records many times over.
                std::thread::sleep(DRAIN_PERIOD.min(config.interval).max(MIN_SLEEP));
                let mut closed = false;
                loop {
                    match receiver.try_recv() {
                        Ok(record) => {
                            set.record(entries(record));
                            dirty = true;
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            closed = true;
                            break;
                        }
                    }
                }
                let finishing = closed || stop.load(Ordering::Relaxed);
                if dirty && (finishing || last_write.elapsed() >= config.interval) {
                    // A failed sink keeps the set dirty: the next interval retries.
                    dirty = !write_all(&mut sinks, &set, &metrics);
                    last_write = Instant::now();
                    metrics.reports_dropped(set.dropped() - dropped);
                    dropped = set.dropped();
                }
                if finishing {
                    // Records still queued are written before the end.
                    let rest: Vec<AuditRecord> = receiver.try_iter().collect();
                    if !rest.is_empty() {
                        for record in rest {
                            set.record(entries(record));
                        }
                        write_all(&mut sinks, &set, &metrics);
                        metrics.reports_dropped(set.dropped() - dropped);
                    }
                    return;
                }
            }
        })
}

/// Writes the set to every sink; true when all succeeded.
fn write_all(
    sinks: &mut [Box<dyn ReportSink>],
    set: &ReportSet,
    metrics: &AdmissionMetrics,
) -> bool {
    let mut all = true;
    for sink in sinks.iter_mut() {
        let result = sink.write(set);
        metrics.report_write(sink.name(), result.is_ok());
        if let Err(e) = result {
            all = false;
            eprintln_report(format_args!(
                "cannot write the policy reports ({}): {e}",
                sink.name()
            ));
        }
    }
    all
}

fn eprintln_report(message: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "vigie admission: {message}");
}
