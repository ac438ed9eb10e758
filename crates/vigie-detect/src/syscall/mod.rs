//! The `syscall` source: system call events in libscap's model (vigie-sensor),
//! evaluated with the state the sensor keeps. Events come from the live sensor or,
//! here, from `.scap` capture files replayed through the same state and fields.

use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use vigie_rules::Engine;
use vigie_sensor::fields::SyscallEvent;
use vigie_sensor::scap::{Capture, ScapIssue};
use vigie_sensor::state::State;

use crate::config::DetectConfig;
use crate::metrics::Metrics;
use crate::pipeline::{spawn_sinks, Detector, RunSummary};

pub use vigie_sensor::fields::{syscall_table, SOURCE};

pub mod drops;
pub mod live;

/// What replaying a capture did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Events evaluated.
    pub events: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Problems in the capture (blocks skipped).
    pub issues: Vec<ScapIssue>,
}

/// Replays a capture's events through a fresh state (the capture's process list,
/// descriptors and users) and the detector, in file order. `on_event` sees each
/// event after the rules did (tests and the differential test read fields there).
pub fn replay_with(
    capture: &Capture,
    detector: &mut Detector,
    mut on_event: impl FnMut(&SyscallEvent<'_>, usize),
) -> ReplaySummary {
    let mut state = State::from_capture(capture);
    let mut summary = ReplaySummary {
        issues: capture.issues.clone(),
        ..ReplaySummary::default()
    };
    for (i, event) in capture.events().enumerate() {
        let raw = event.raw();
        state.before(&raw);
        {
            let view = SyscallEvent::new(raw, &state, i as u64 + 1, event.cpu);
            let alerts = detector.evaluate(&view, raw.ts as i64);
            summary.alerts += alerts.len() as u64;
            on_event(&view, alerts.len());
        }
        state.after(&raw);
        summary.events += 1;
    }
    summary
}

/// [`replay_with`] without a per-event callback.
pub fn replay(capture: &Capture, detector: &mut Detector) -> ReplaySummary {
    replay_with(capture, detector, |_, _| {})
}

/// Replays a capture file with the configuration's sinks: the `--replay` run of
/// `vigie detect syscalls`. A capture that cannot be opened is an error; problems
/// inside it are reported on stderr and counted as input errors.
pub fn run_replay(
    path: &Path,
    config: &DetectConfig,
    engine: Engine,
    metrics: Arc<Metrics>,
) -> io::Result<RunSummary> {
    let capture = Capture::open(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let sinks = spawn_sinks(config, &metrics)?;
    let mut detector = Detector::for_source(engine, SOURCE, sinks, metrics.clone());
    let summary = replay(&capture, &mut detector);
    detector.close();
    for issue in &summary.issues {
        eprintln!("vigie detect: {}: {issue}", path.display());
    }
    if !summary.issues.is_empty() {
        metrics.reject("scap", "corrupt_block", summary.issues.len() as u64);
    }
    metrics
        .events_in
        .fetch_add(summary.events, Ordering::Relaxed);
    Ok(RunSummary {
        events: summary.events,
        rejected: summary.issues.len() as u64,
        input_errors: summary.issues.len() as u64,
        alerts: summary.alerts,
        sink_drops: metrics.sink_drops_total(),
    })
}
