//! Counters and gauges of the pipeline, exposed in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use vigie_report::prometheus::{write_header, write_sample, write_single};

use vigie_rules::Priority;
use vigie_sensor::state::containers::ContainerCache;

/// The pipeline's counters, shared by every stage (sources, rules, sinks) and
/// read by the metrics endpoint and the run summary.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events the sources queued for the rules.
    pub events_in: AtomicU64,
    /// Events the rules were evaluated on.
    pub events_evaluated: AtomicU64,
    /// Events refused by a source, by source and reason (invalid_json, too_large,
    /// not_audit_event, queue_full).
    rejected: Mutex<BTreeMap<(String, String), u64>>,
    alerts: Mutex<BTreeMap<(String, Priority), u64>>,
    /// Alerts a sink could not deliver (queue full, or retries exhausted).
    sink_drops: Mutex<BTreeMap<String, u64>>,
    queue_depth: Mutex<BTreeMap<String, u64>>,
    /// The live sensor's cache of container metadata, whose counters are shown.
    containers: OnceLock<Arc<ContainerCache>>,
}

/// Locks one of the maps. A thread that panicked while holding it left whole
/// counts (each update is one insert or addition), so they are still worth
/// reading and exposing rather than turning one panic into many.
fn lock<T>(map: &Mutex<T>) -> MutexGuard<'_, T> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    /// Counts `count` inputs that `source` refused for `reason`.
    pub fn reject(&self, source: &str, reason: &str, count: u64) {
        *lock(&self.rejected)
            .entry((source.to_string(), reason.to_string()))
            .or_default() += count;
    }

    /// Counts one alert of `rule`.
    pub fn alert(&self, rule: &str, priority: Priority) {
        *lock(&self.alerts)
            .entry((rule.to_string(), priority))
            .or_default() += 1;
    }

    /// Counts one alert that `sink` could not deliver.
    pub fn sink_drop(&self, sink: &str) {
        *lock(&self.sink_drops).entry(sink.to_string()).or_default() += 1;
    }

    /// Records how many items wait in `queue` now.
    pub fn set_queue_depth(&self, queue: &str, depth: usize) {
        lock(&self.queue_depth).insert(queue.to_string(), depth as u64);
    }

    /// Shows the counters of the sensor's container metadata cache (the first
    /// cache given is kept).
    pub fn watch_container_cache(&self, cache: Arc<ContainerCache>) {
        let _ = self.containers.set(cache);
    }

    /// Inputs refused, every source and reason together.
    pub fn rejected_total(&self) -> u64 {
        lock(&self.rejected).values().sum()
    }

    /// Inputs refused for `reason`, every source together.
    pub fn rejected(&self, reason: &str) -> u64 {
        lock(&self.rejected)
            .iter()
            .filter(|((_, r), _)| r == reason)
            .map(|(_, n)| n)
            .sum()
    }

    /// Inputs and lines refused by the sources that read what the command line or
    /// the configuration named (files, directories, stdin): bad input, for the
    /// exit code. The webhook's refusals were answered to its clients instead.
    pub fn input_errors(&self) -> u64 {
        lock(&self.rejected)
            .iter()
            .filter(|((source, _), _)| source != "http")
            .map(|(_, n)| n)
            .sum()
    }

    /// Alerts raised, every rule together.
    pub fn alerts_total(&self) -> u64 {
        lock(&self.alerts).values().sum()
    }

    /// Alerts lost, every sink together.
    pub fn sink_drops_total(&self) -> u64 {
        lock(&self.sink_drops).values().sum()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let out = &mut text;
        write_single(
            out,
            "vigie_detect_events_total",
            "counter",
            "Events accepted by sources.",
            self.events_in.load(Ordering::Relaxed),
        );
        write_single(
            out,
            "vigie_detect_events_evaluated_total",
            "counter",
            "Events evaluated by the rules.",
            self.events_evaluated.load(Ordering::Relaxed),
        );
        write_header(
            out,
            "vigie_detect_events_rejected_total",
            "counter",
            "Events refused, by source and reason.",
        );
        for ((source, reason), n) in lock(&self.rejected).iter() {
            let labels = [("source", source.as_str()), ("reason", reason)];
            write_sample(out, "vigie_detect_events_rejected_total", &labels, n);
        }
        write_header(
            out,
            "vigie_detect_alerts_total",
            "counter",
            "Alerts raised, by rule and priority.",
        );
        for ((rule, priority), n) in lock(&self.alerts).iter() {
            let priority = priority.as_str().to_lowercase();
            let labels = [("rule", rule.as_str()), ("priority", &priority)];
            write_sample(out, "vigie_detect_alerts_total", &labels, n);
        }
        per_label(
            out,
            "vigie_detect_sink_dropped_total",
            "counter",
            "Alerts a sink could not deliver.",
            "sink",
            &lock(&self.sink_drops),
        );
        per_label(
            out,
            "vigie_detect_queue_depth",
            "gauge",
            "Items waiting in a queue.",
            "queue",
            &lock(&self.queue_depth),
        );
        if let Some(cache) = self.containers.get() {
            let c = cache.stats();
            write_header(
                out,
                "vigie_detect_container_lookups_total",
                "counter",
                "Container metadata lookups of syscall events, by result (a miss: not known yet, the fields are missing).",
            );
            let lookups = "vigie_detect_container_lookups_total";
            write_sample(out, lookups, &[("result", "hit")], c.hits);
            write_sample(out, lookups, &[("result", "miss")], c.misses);
            write_single(
                out,
                "vigie_detect_container_runtime_failures_total",
                "counter",
                "Container runtime (CRI) requests that failed or found no container.",
                c.failures,
            );
            write_single(
                out,
                "vigie_detect_container_requests_dropped_total",
                "counter",
                "Container runtime requests not queued (queue full; asked again later).",
                c.dropped_requests,
            );
        }
        text
    }
}

/// A metric with one label: its header, then a sample per value
/// of the label.
fn per_label(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    label: &str,
    samples: &BTreeMap<String, u64>,
) {
    write_header(out, name, kind, help);
    for (value, n) in samples {
        write_sample(out, name, &[(label, value)], n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.events_in.fetch_add(3, Ordering::Relaxed);
        m.reject("http", "too_large", 2);
        m.alert("Exec \"x\"", Priority::Warning);
        m.sink_drop("http");
        m.set_queue_depth("events", 7);
        let text = m.render();
        assert!(text.contains("vigie_detect_events_total 3\n"));
        assert!(text.contains(
            "vigie_detect_events_rejected_total{source=\"http\",reason=\"too_large\"} 2\n"
        ));
        assert!(text.contains(
            "vigie_detect_alerts_total{rule=\"Exec \\\"x\\\"\",priority=\"warning\"} 1\n"
        ));
        assert!(text.contains("vigie_detect_sink_dropped_total{sink=\"http\"} 1\n"));
        assert!(text.contains("vigie_detect_queue_depth{queue=\"events\"} 7\n"));
        assert_eq!(m.rejected("too_large"), 2);
        assert!(!text.contains("container_lookups"));
        let (cache, _requests) = ContainerCache::new(Default::default());
        assert!(cache.get("0123").is_none());
        m.watch_container_cache(cache);
        assert!(m
            .render()
            .contains("vigie_detect_container_lookups_total{result=\"miss\"} 1\n"));
    }
}
