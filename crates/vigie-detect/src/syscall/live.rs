//! The live source of `vigie detect syscalls`: the eBPF sensor attached to this
//! machine, its events (libscap's encoding) kept in the state bootstrapped from
//! `/proc` and evaluated by the detector as they are drained from the ring.

use std::cell::RefCell;
use std::io;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_rules::Engine;
use vigie_sensor::event::RawEvent;
use vigie_sensor::fields::SyscallEvent;
use vigie_sensor::live::{self, Config, Sensor, Storage, SyscallSet};
use vigie_sensor::state::bootstrap_from_proc;
use vigie_sensor::state::containers::ContainerCache;

use super::drops::{DropAlerts, DEFAULT_DROP_ALERT_INTERVAL};
use super::SOURCE;
use crate::config::DetectConfig;
use crate::metrics::Metrics;
use crate::pipeline::{spawn_sinks, Detector, RunSummary};

/// How often the kernel's drop counters are read while running.
const DROP_CHECK: Duration = Duration::from_secs(1);

/// Options of the live sensor.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Ring buffer size in bytes (a power of two, at least 64 MiB).
    pub ring_bytes: u32,
    /// Where the process table is read from at start (normally `/proc`).
    pub proc_root: std::path::PathBuf,
    /// The shortest time between two alerts about lost events.
    pub drop_alert_interval: Duration,
    /// Container metadata from the container runtime, filled by whoever asks it
    /// (vigie-cluster's CRI resolver); without it container names and pods are
    /// missing.
    pub containers: Option<Arc<ContainerCache>>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            ring_bytes: live::DEFAULT_RING_BYTES,
            proc_root: "/proc".into(),
            drop_alert_interval: DEFAULT_DROP_ALERT_INTERVAL,
            containers: None,
        }
    }
}

/// The syscalls the kernel copies out for these rules (their `evt.type` sets and
/// what the state needs); names the kernel program does not encode are warned
/// about on stderr, since rules on them cannot fire live.
pub fn syscalls_for(engine: &Engine) -> SyscallSet {
    let (set, unknown) = SyscallSet::for_rules(engine.rules());
    if !unknown.is_empty() {
        eprintln!(
            "vigie detect: the live sensor does not capture {}: rules on them only fire in --replay",
            unknown.join(", ")
        );
    }
    set
}

/// Nanoseconds since the epoch: the time of alerts no event carries.
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Attaches the sensor and evaluates its events until `stop` is set (SIGINT,
/// SIGTERM); then drains the ring, detaches and waits for the sinks. Kernel drops
/// (a full ring) raise the drop alert ([`super::drops`], rate-limited, through
/// the sinks), are counted in the metrics as `ring_full` rejections of the
/// `syscall` source and are reported on stderr as they happen.
pub fn run_live(
    config: &DetectConfig,
    engine: Engine,
    metrics: Arc<Metrics>,
    stop: &AtomicBool,
    options: &LiveOptions,
) -> io::Result<RunSummary> {
    let syscalls = syscalls_for(&engine);
    let sinks = spawn_sinks(config, &metrics)?;
    let mut state = bootstrap_from_proc(&options.proc_root, Path::new("/"));
    if let Some(cache) = &options.containers {
        state.containers.set_cache(cache.clone());
        metrics.watch_container_cache(cache.clone());
    }
    let state = Rc::new(RefCell::new(state));
    let detector = Rc::new(RefCell::new(Detector::for_source(
        engine,
        SOURCE,
        sinks,
        metrics.clone(),
    )));
    let counts = Rc::new(RefCell::new((0u64, 0u64, 0u64))); // events, alerts, undecodable
    let (st, det, cnt) = (state.clone(), detector.clone(), counts.clone());
    let mut number = 0u64;
    let mut storage = Storage::default();
    let sensor_config = Config {
        ring_bytes: options.ring_bytes,
        syscalls: syscalls.clone(),
        ..Config::default()
    };
    let sensor = Sensor::start(&sensor_config, &mut storage, move |bytes| {
        let mut cnt = cnt.borrow_mut();
        let Ok(raw) = RawEvent::parse(bytes) else {
            // Our own kernel program wrote it: a bug, counted rather than fatal.
            cnt.2 += 1;
            return;
        };
        number += 1;
        let mut state = st.borrow_mut();
        state.before(&raw);
        {
            let view = SyscallEvent::new(raw, &state, number, 0);
            cnt.1 += det.borrow_mut().evaluate(&view, raw.ts as i64).len() as u64;
        }
        state.after(&raw);
        cnt.0 += 1;
    })
    .map_err(|e| io::Error::other(e.to_string()))?;
    eprintln!(
        "vigie detect: live sensor attached (hook {}), watching {}",
        live::SYSCALL_HOOK,
        syscalls.names().join(" ")
    );

    let mut drops = DropAlerts::new(options.drop_alert_interval, options.ring_bytes);
    let mut dropped = 0u64;
    let mut check = |sensor: &Sensor<'_>, last: bool| -> io::Result<()> {
        let c = sensor
            .counters()
            .map_err(|e| io::Error::other(e.to_string()))?;
        let now = now_ns();
        let (new, alert) = if last {
            drops.flush(&c, now)
        } else {
            drops.observe(&c, now)
        };
        if new > 0 {
            eprintln!(
                "vigie detect: the sensor dropped {new} events (ring full); see docs/sensor.md on sizing --ring-mib"
            );
            metrics.reject(SOURCE, "ring_full", new);
            dropped += new;
        }
        if let Some(alert) = alert {
            detector.borrow_mut().raise(alert);
            counts.borrow_mut().1 += 1;
        }
        Ok(())
    };
    let mut last_check = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let n = sensor
            .consume()
            .map_err(|e| io::Error::other(e.to_string()))?;
        if n == 0 {
            std::thread::sleep(live::DEFAULT_POLL_INTERVAL);
        }
        if last_check.elapsed() >= DROP_CHECK {
            check(&sensor, false)?;
            last_check = Instant::now();
        }
    }
    sensor
        .consume()
        .map_err(|e| io::Error::other(e.to_string()))?;
    check(&sensor, true)?;
    drop(sensor);

    let (events, alerts, undecodable) = *counts.borrow();
    if undecodable > 0 {
        metrics.reject(SOURCE, "undecodable", undecodable);
    }
    metrics.events_in.fetch_add(events, Ordering::Relaxed);
    if let Ok(detector) = Rc::try_unwrap(detector) {
        detector.into_inner().close();
    }
    Ok(RunSummary {
        events,
        rejected: dropped + undecodable,
        input_errors: undecodable,
        alerts,
        sink_drops: metrics.sink_drops_total(),
    })
}
