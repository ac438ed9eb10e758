//! The webhook's counters, rendered in the Prometheus text format after the
//! server's own on `/metrics`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use vigie_report::prometheus::{escape_label_value, write_header, write_single, Histogram};

use crate::review::DecodeError;

/// The most label sets one counter keeps: labels come from policies and requests
/// (kinds), and a stream of made-up kinds must not grow memory without end. Past
/// the bound, new label sets are counted under `other`.
pub const MAX_SERIES: usize = 10_000;

/// A counter by label values.
#[derive(Debug, Default)]
struct Family {
    /// Hashed rather than ordered: a request counts ~20 rule results, and
    /// hashing three labels costs less than the dozen comparisons of a search
    /// among hundreds of series. Sorted when rendered.
    series: Mutex<HashMap<Key, u64, foldhash::fast::RandomState>>,
}

/// The label values of a series.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key(Vec<String>);

/// Label values as the map is searched with: the stored keys ([`Key`]) and
/// the values a caller has at hand (`&[&str]`) hash and compare alike, so that
/// counting an existing series allocates nothing.
trait Labels {
    fn count(&self) -> usize;
    fn at(&self, i: usize) -> &str;
}

impl Labels for Key {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn at(&self, i: usize) -> &str {
        &self.0[i]
    }
}

impl Labels for &[&str] {
    fn count(&self) -> usize {
        self.len()
    }
    fn at(&self, i: usize) -> &str {
        self[i]
    }
}

impl PartialEq for dyn Labels + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.count() == other.count() && (0..self.count()).all(|i| self.at(i) == other.at(i))
    }
}

impl Eq for dyn Labels + '_ {}

impl Hash for dyn Labels + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.count());
        for i in 0..self.count() {
            self.at(i).hash(state);
        }
    }
}

/// The same hash as the [`Labels`] it is looked up by.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Labels).hash(state);
    }
}

impl<'a> std::borrow::Borrow<dyn Labels + 'a> for Key {
    fn borrow(&self) -> &(dyn Labels + 'a) {
        self
    }
}

impl Family {
    /// Adds one to the series and returns its new value.
    fn add(&self, labels: &[&str]) -> u64 {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        Self::add_locked(&mut series, labels)
    }

    /// Adds one to each series, taking the lock once.
    fn add_each<'a>(&self, each: impl IntoIterator<Item = [&'a str; 3]>) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        for labels in each {
            Self::add_locked(&mut series, &labels);
        }
    }

    fn add_locked(
        series: &mut HashMap<Key, u64, foldhash::fast::RandomState>,
        labels: &[&str],
    ) -> u64 {
        if let Some(n) = series.get_mut(&labels as &dyn Labels) {
            *n += 1;
            return *n;
        }
        let key = if series.len() >= MAX_SERIES {
            vec!["other".to_string(); labels.len()]
        } else {
            labels.iter().map(|s| s.to_string()).collect()
        };
        let n = series.entry(Key(key)).or_default();
        *n += 1;
        *n
    }

    fn get(&self, labels: &[&str]) -> u64 {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series.get(&labels as &dyn Labels).copied().unwrap_or(0)
    }

    fn render(&self, out: &mut String, name: &str, names: &[&str]) {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<(&Key, &u64)> = series.iter().collect();
        sorted.sort_unstable();
        for (Key(values), n) in sorted {
            let labels: Vec<String> = names
                .iter()
                .zip(values)
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label_value(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {n}", labels.join(","));
        }
    }
}

/// Counters of the admission webhook.
#[derive(Debug, Default)]
pub struct AdmissionMetrics {
    /// path, operation, kind, verdict
    requests: Family,
    /// policy, rule, result
    results: Family,
    /// reason
    decode_errors: Family,
    /// path, failure policy answer (allowed / denied)
    deadline_answers: Family,
    /// `vigie_admission_request_duration_seconds` ([`Histogram::LATENCY_BOUNDS`]).
    latency: Histogram,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    generation: AtomicU64,
    policies: AtomicU64,
    reports_dropped: AtomicU64,
    /// sink (dir, cluster), result (ok, error)
    report_writes: Family,
    /// Namespaces and ConfigMaps followed from the cluster: 1 once a copy is in
    /// use and the follower has not failed since, else 0.
    cluster_data_synced: AtomicU64,
    /// Unix time (seconds) of the last copy of the cluster's data put in use.
    cluster_data_updated: AtomicU64,
    cluster_data_failures: AtomicU64,
    /// Whether the cluster's data is followed at all (metrics only then).
    cluster_data_followed: AtomicU64,
}

impl AdmissionMetrics {
    /// Counts a request answered with an AdmissionReview.
    pub fn request(&self, path: &str, operation: &str, kind: &str, verdict: &str, took: Duration) {
        let _ = self.requests.add(&[path, operation, kind, verdict]);
        self.latency.observe(took);
    }

    /// Requests answered for these labels so far.
    pub fn requests(&self, path: &str, operation: &str, kind: &str, verdict: &str) -> u64 {
        self.requests.get(&[path, operation, kind, verdict])
    }

    /// Counts one rule result.
    pub fn result(&self, policy: &str, rule: &str, result: &str) {
        let _ = self.results.add(&[policy, rule, result]);
    }

    /// Counts rule results, `[policy, rule, result]` each: one request's, taking
    /// the counter's lock once rather than once per result.
    pub fn results_each<'a>(&self, each: impl IntoIterator<Item = [&'a str; 3]>) {
        self.results.add_each(each);
    }

    /// Rule results for these labels so far.
    pub fn results(&self, policy: &str, rule: &str, result: &str) -> u64 {
        self.results.get(&[policy, rule, result])
    }

    /// Counts a body that could not be decoded, by reason; returns the count so far.
    pub fn decode_error(&self, reason: &str) -> u64 {
        self.decode_errors.add(&[reason])
    }

    /// Decode errors of this reason so far.
    pub fn decode_errors(&self, reason: &str) -> u64 {
        self.decode_errors.get(&[reason])
    }

    /// Counts a request answered by failure policy because the time budget ran out.
    pub fn deadline_answer(&self, path: &str, allowed: bool) {
        let answer = if allowed { "allowed" } else { "denied" };
        let _ = self.deadline_answers.add(&[path, answer]);
    }

    /// Requests answered by failure policy so far.
    pub fn deadline_answers(&self, path: &str, allowed: bool) -> u64 {
        let answer = if allowed { "allowed" } else { "denied" };
        self.deadline_answers.get(&[path, answer])
    }

    /// Counts a reload, loaded or refused.
    pub fn reload(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reloads refused so far.
    pub fn reloads_failed(&self) -> u64 {
        self.reloads_failed.load(Ordering::Relaxed)
    }

    /// Reloads that loaded so far.
    pub fn reloads_ok(&self) -> u64 {
        self.reloads_ok.load(Ordering::Relaxed)
    }

    /// Records the generation and size of the set now served.
    pub fn set_loaded(&self, generation: u64, policies: usize) {
        self.generation.store(generation, Ordering::Relaxed);
        self.policies.store(policies as u64, Ordering::Relaxed);
    }

    /// Counts report results dropped (the report queue or a report was full).
    pub fn reports_dropped(&self, n: u64) {
        self.reports_dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one write of the policy reports to `sink` (`dir`, `cluster`).
    pub fn report_write(&self, sink: &str, ok: bool) {
        let _ = self
            .report_writes
            .add(&[sink, if ok { "ok" } else { "error" }]);
    }

    /// Writes of the policy reports to `sink` so far, that succeeded (`ok`) or failed.
    pub fn report_writes(&self, sink: &str, ok: bool) -> u64 {
        self.report_writes
            .get(&[sink, if ok { "ok" } else { "error" }])
    }

    /// Records a new copy of the cluster's Namespaces and ConfigMaps put in use.
    pub fn cluster_data_updated(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.cluster_data_followed.store(1, Ordering::Relaxed);
        self.cluster_data_updated.store(now, Ordering::Relaxed);
        self.cluster_data_synced.store(1, Ordering::Relaxed);
    }

    /// Records a failure to list or watch the cluster's data (the last copy stays).
    pub fn cluster_data_failed(&self) {
        self.cluster_data_followed.store(1, Ordering::Relaxed);
        self.cluster_data_synced.store(0, Ordering::Relaxed);
        self.cluster_data_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Failures to list or watch the cluster's data so far.
    pub fn cluster_data_failures(&self) -> u64 {
        self.cluster_data_failures.load(Ordering::Relaxed)
    }

    /// Appends the Prometheus text exposition.
    pub fn render(&self, out: &mut String) {
        if self.cluster_data_followed.load(Ordering::Relaxed) == 1 {
            write_single(out, "vigie_admission_cluster_data_synced", "gauge",
                "1 when the Namespaces and ConfigMaps followed from the cluster are current (listed and watched), 0 after a failure until the next list.",
                self.cluster_data_synced.load(Ordering::Relaxed));
            write_single(
                out,
                "vigie_admission_cluster_data_updated_timestamp_seconds",
                "gauge",
                "Unix time of the last copy of the cluster's Namespaces and ConfigMaps put in use.",
                self.cluster_data_updated.load(Ordering::Relaxed),
            );
            write_single(out, "vigie_admission_cluster_data_failures_total", "counter",
                "Failures to list or watch the cluster's Namespaces and ConfigMaps (the last copy stays in use).",
                self.cluster_data_failures.load(Ordering::Relaxed));
        }
        write_header(out, "vigie_admission_requests_total", "counter",
            "AdmissionReviews answered, by path, operation, kind and verdict (allowed, denied, error).");
        self.requests.render(
            out,
            "vigie_admission_requests_total",
            &["path", "operation", "kind", "verdict"],
        );
        self.latency.render(
            out,
            "vigie_admission_request_duration_seconds",
            "Time from a decoded body to its answer (evaluation included).",
        );
        write_header(out, "vigie_admission_policy_results_total", "counter",
            "Rule results at admission, by policy, rule and result (pass, fail, warn, error, skip).");
        self.results.render(
            out,
            "vigie_admission_policy_results_total",
            &["policy", "rule", "result"],
        );
        write_header(
            out,
            "vigie_admission_decode_errors_total",
            "counter",
            "Bodies that were not an admission request vigie can answer, by reason (decoding, or refused by the HTTP layer: too_large, body_timeout...).",
        );
        // Bodies the server refused before the webhook saw them count here too.
        let refusals = [
            "too_large",
            "length_required",
            "read_error",
            "body_timeout",
            "overloaded",
            "handler_timeout",
        ];
        for reason in DecodeError::REASONS.into_iter().chain(refusals) {
            let _ = writeln!(
                out,
                "vigie_admission_decode_errors_total{{reason=\"{reason}\"}} {}",
                self.decode_errors(reason)
            );
        }
        write_header(
            out,
            "vigie_admission_deadline_answers_total",
            "counter",
            "Requests answered by the failure policy because the time budget (--timeout) ran out.",
        );
        self.deadline_answers.render(
            out,
            "vigie_admission_deadline_answers_total",
            &["path", "answer"],
        );
        write_header(
            out,
            "vigie_admission_report_writes_total",
            "counter",
            "Writes of the audit policy reports, by sink (dir, cluster) and result (ok, error).",
        );
        self.report_writes.render(
            out,
            "vigie_admission_report_writes_total",
            &["sink", "result"],
        );
        write_header(
            out,
            "vigie_admission_policy_reloads_total",
            "counter",
            "Policy reloads, by result (ok, failed: the old set kept serving).",
        );
        let _ = writeln!(
            out,
            "vigie_admission_policy_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok()
        );
        let _ = writeln!(
            out,
            "vigie_admission_policy_reloads_total{{result=\"failed\"}} {}",
            self.reloads_failed()
        );
        write_single(
            out,
            "vigie_admission_policy_generation",
            "gauge",
            "Generation of the policy set served (1 at start).",
            self.generation.load(Ordering::Relaxed),
        );
        write_single(
            out,
            "vigie_admission_policies_loaded",
            "gauge",
            "Policies served at admission.",
            self.policies.load(Ordering::Relaxed),
        );
        write_single(
            out,
            "vigie_admission_report_results_dropped_total",
            "counter",
            "Audit results not written to a report (queue full or report at its size bound).",
            self.reports_dropped.load(Ordering::Relaxed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_count_apart_and_render_sorted() {
        let family = Family::default();
        family.add_each([
            ["p-b", "r", "fail"],
            ["p-a", "r", "pass"],
            ["p-b", "r", "fail"],
            ["p-a", "r2", "pass"],
        ]);
        assert_eq!(family.add(&["p-a", "r", "pass"]), 2);
        assert_eq!(family.get(&["p-b", "r", "fail"]), 2);
        assert_eq!(family.get(&["p-b", "r"]), 0);
        let mut out = String::new();
        family.render(&mut out, "m", &["policy", "rule", "result"]);
        assert_eq!(
            out,
            "m{policy=\"p-a\",rule=\"r\",result=\"pass\"} 2\n\
             m{policy=\"p-a\",rule=\"r2\",result=\"pass\"} 1\n\
             m{policy=\"p-b\",rule=\"r\",result=\"fail\"} 2\n"
        );
    }
}
