//! The detection stage and the wiring of a whole pipeline: sources feed a bounded
//! queue, one thread evaluates the rules on each event, and alerts fan out to sinks.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver};
use vigie_rules::{Engine, Event, SourceId};

use crate::alert::Alert;
use crate::config::{DetectConfig, SinkConfig, SourceConfig};
use crate::k8s_audit::{AuditEvent, AuditView, SOURCE};
use crate::metrics::Metrics;
use crate::sinks::{FileSink, HttpSink, Sink, SinkHandle, StdoutSink, SyslogSink};
use crate::sources::{
    read_dir, read_file, read_lines, Batch, FollowOptions, HttpSource, SourceContext,
};

/// Evaluates the events of one source (`k8s_audit`, `syscall`) and hands alerts to
/// sinks.
pub struct Detector {
    engine: Engine,
    source: Option<SourceId>,
    sinks: Vec<SinkHandle>,
    metrics: Arc<Metrics>,
    hostname: String,
    next_number: u64,
}

impl Detector {
    /// A detector of audit events.
    pub fn new(engine: Engine, sinks: Vec<SinkHandle>, metrics: Arc<Metrics>) -> Self {
        Self::for_source(engine, SOURCE, sinks, metrics)
    }

    /// A detector of the events of `source`, evaluated with that source's rules.
    pub fn for_source(
        engine: Engine,
        source: &str,
        sinks: Vec<SinkHandle>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let source = engine.source(source);
        let hostname = crate::host::hostname().to_string();
        Self {
            engine,
            source,
            sinks,
            metrics,
            hostname,
            next_number: 1,
        }
    }

    /// Evaluates one audit event; returns the alerts it raised.
    pub fn process(&mut self, event: &mut AuditEvent) -> Vec<Arc<Alert>> {
        event.number = self.next_number;
        self.next_number += 1;
        let time_ns = event.time_ns;
        self.evaluate(&AuditView::new(event), time_ns)
    }

    /// Evaluates one event of the detector's source, happened at `time_ns`; returns
    /// the alerts it raised.
    pub fn evaluate(&mut self, event: &dyn Event, time_ns: i64) -> Vec<Arc<Alert>> {
        self.metrics
            .events_evaluated
            .fetch_add(1, Ordering::Relaxed);
        let Some(source) = self.source else {
            return Vec::new();
        };
        let mut alerts = Vec::new();
        let host = &self.hostname;
        self.engine.evaluate(source, event, |rule| {
            alerts.push(Arc::new(Alert::new(rule, event, time_ns, host)));
        });
        for alert in &alerts {
            self.metrics.alert(&alert.rule, alert.priority);
            for sink in &self.sinks {
                sink.offer(alert.clone());
            }
        }
        alerts
    }

    /// Hands an alert that no rule raised (the sensor's own, such as lost
    /// events) to the sinks and the metrics, like a rule's.
    pub fn raise(&mut self, alert: Alert) -> Arc<Alert> {
        let alert = Arc::new(alert);
        self.metrics.alert(&alert.rule, alert.priority);
        for sink in &self.sinks {
            sink.offer(alert.clone());
        }
        alert
    }

    /// Drains a queue until every sender is gone.
    pub fn run(&mut self, queue: Receiver<Batch>) -> u64 {
        let mut alerts = 0;
        while let Ok(batch) = queue.recv() {
            self.metrics.set_queue_depth("events", queue.len());
            for mut event in batch {
                alerts += self.process(&mut event).len() as u64;
            }
        }
        alerts
    }

    /// Waits until every sink delivered what it was given.
    pub fn close(self) {
        for sink in self.sinks {
            sink.close();
        }
    }
}

/// Opens every sink of `config`, each behind its own queue and thread; the
/// first that does not open fails the run before any event is read.
pub fn spawn_sinks(config: &DetectConfig, metrics: &Arc<Metrics>) -> io::Result<Vec<SinkHandle>> {
    config
        .sinks
        .iter()
        .map(|s| {
            Ok(SinkHandle::spawn(
                open_sink(s)?,
                config.sink_queue_capacity,
                metrics.clone(),
            ))
        })
        .collect()
}

/// Opens the sink `config` describes: a file, socket or URL that does not work
/// fails here, before any event is read.
pub fn open_sink(config: &SinkConfig) -> io::Result<Box<dyn Sink>> {
    Ok(match config {
        SinkConfig::Stdout { format } => Box::new(StdoutSink::new(*format)),
        SinkConfig::File { path, format } => Box::new(FileSink::open(path, *format)?),
        SinkConfig::Syslog { target } => Box::new(SyslogSink::connect(target)?),
        SinkConfig::Http(c) => Box::new(HttpSink::new(c.clone())?),
    })
}

/// What a pipeline run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// Events the sources queued for the rules.
    pub events: u64,
    /// Inputs refused, every source and reason together.
    pub rejected: u64,
    /// Inputs that could not be read and lines that are not audit events, from
    /// files, directories and stdin (see [`Metrics::input_errors`]).
    pub input_errors: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts a sink could not deliver.
    pub sink_drops: u64,
}

/// Runs sources, rules and sinks until every source has finished (sources that
/// follow or listen run until `stop` is set).
pub fn run_pipeline(
    config: &DetectConfig,
    engine: Engine,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> io::Result<RunSummary> {
    let sinks = spawn_sinks(config, &metrics)?;
    let (tx, rx) = bounded::<Batch>(config.queue_capacity.max(1));
    let ctx = SourceContext {
        queue: tx,
        metrics: metrics.clone(),
        max_event_bytes: config.max_event_bytes,
        stop: stop.clone(),
    };
    // Bind listeners first, so a bad address fails the run before anything starts.
    let mut http_sources = Vec::new();
    for s in &config.sources {
        if let SourceConfig::Http(h) = s {
            let source = HttpSource::bind(h.as_ref().clone())?;
            eprintln!(
                "vigie detect: listening for audit events on {}://{}{}",
                if source.is_tls() { "https" } else { "http" },
                source
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                h.path
            );
            http_sources.push(source);
        }
    }
    let mut threads = Vec::new();
    for source in http_sources {
        let ctx = ctx.clone();
        threads.push(std::thread::spawn(move || source.run(&ctx)));
    }
    for s in config.sources.iter().cloned() {
        let ctx = ctx.clone();
        let handle = match s {
            SourceConfig::File { path, follow } => std::thread::spawn(move || {
                let follow = follow.then(FollowOptions::default);
                if let Err(e) = read_file(&path, follow, &ctx) {
                    eprintln!("vigie detect: {}: {e}", path.display());
                    ctx.metrics.reject("file", "unreadable", 1);
                }
            }),
            SourceConfig::Dir { path } => std::thread::spawn(move || {
                if let Err(e) = read_dir(&path, &ctx) {
                    eprintln!("vigie detect: {}: {e}", path.display());
                    ctx.metrics.reject("dir", "unreadable", 1);
                }
            }),
            SourceConfig::Stdin => std::thread::spawn(move || {
                read_lines(io::stdin().lock(), "<stdin>", 0, false, &ctx);
            }),
            SourceConfig::Http(_) => continue,
        };
        threads.push(handle);
    }
    drop(ctx);
    let mut detector = Detector::new(engine, sinks, metrics.clone());
    let alerts = detector.run(rx);
    for t in threads {
        let _ = t.join();
    }
    detector.close();
    Ok(RunSummary {
        events: metrics.events_in.load(Ordering::Relaxed),
        rejected: metrics.rejected_total(),
        input_errors: metrics.input_errors(),
        alerts,
        sink_drops: metrics.sink_drops_total(),
    })
}
