//! A histogram of durations in the text format.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{write_header, write_sample};

/// Durations counted by upper bound, without locks: an observation is two atomic
/// additions (its bucket and the sum), whatever the number of buckets; the
/// cumulative counts Prometheus wants are added up when rendered.
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds in seconds, increasing.
    bounds: &'static [f64],
    /// Observations per bucket: `counts[i]` for those in `(bounds[i-1], bounds[i]]`,
    /// the last for those above every bound.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    /// An empty histogram of request latencies ([`Histogram::LATENCY_BOUNDS`]).
    fn default() -> Self {
        Self::new(Self::LATENCY_BOUNDS)
    }
}

impl Histogram {
    /// Upper bounds for request latencies, in seconds: fine below a
    /// millisecond, where the admission webhook's answers are, up to the
    /// longest webhook timeout.
    pub const LATENCY_BOUNDS: &'static [f64] = &[
        0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0,
    ];

    /// An empty histogram with these upper bounds, in seconds, increasing.
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds increase");
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Counts one duration.
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = self.bounds.partition_point(|&bound| bound < seconds);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Appends the histogram's `# HELP`/`# TYPE` lines and samples: one
    /// `NAME_bucket{le="..."}` a bound and `+Inf`, `NAME_sum` (seconds), `NAME_count`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        write_header(out, name, "histogram", help);
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(self.counts.iter()) {
            cumulative += count.load(Ordering::Relaxed);
            write_sample(out, &bucket, &[("le", &bound.to_string())], cumulative);
        }
        if let Some(above) = self.counts.last() {
            cumulative += above.load(Ordering::Relaxed);
        }
        write_sample(out, &bucket, &[("le", "+Inf")], cumulative);
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        write_sample(out, &format!("{name}_sum"), &[], sum);
        write_sample(out, &format!("{name}_count"), &[], cumulative);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: &[f64] = &[0.001, 0.01, 0.1];

    #[test]
    fn a_duration_counts_in_the_first_bucket_that_holds_it() {
        let histogram = Histogram::new(BOUNDS);
        for micros in [500, 1_000, 1_001, 50_000, 2_000_000] {
            histogram.observe(Duration::from_micros(micros));
        }
        assert_eq!(histogram.count(), 5);
        let mut out = String::new();
        histogram.render(&mut out, "t", "Test.");
        // A bound holds the durations equal to it (Prometheus' `le`).
        for line in [
            "t_bucket{le=\"0.001\"} 2\n",
            "t_bucket{le=\"0.01\"} 3\n",
            "t_bucket{le=\"0.1\"} 4\n",
            "t_bucket{le=\"+Inf\"} 5\n",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }

    #[test]
    fn renders_cumulative_buckets_sum_and_count() {
        let histogram = Histogram::new(BOUNDS);
        histogram.observe(Duration::from_micros(250));
        histogram.observe(Duration::from_millis(20));
        histogram.observe(Duration::from_secs(3));
        let mut out = String::new();
        histogram.render(&mut out, "t_seconds", "Test.");
        assert_eq!(
            out,
            "# HELP t_seconds Test.\n# TYPE t_seconds histogram\n\
             t_seconds_bucket{le=\"0.001\"} 1\n\
             t_seconds_bucket{le=\"0.01\"} 1\n\
             t_seconds_bucket{le=\"0.1\"} 2\n\
             t_seconds_bucket{le=\"+Inf\"} 3\n\
             t_seconds_sum 3.02025\n\
             t_seconds_count 3\n"
        );
    }
}
