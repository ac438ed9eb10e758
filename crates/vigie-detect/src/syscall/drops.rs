//! The alert raised when the live sensor loses events: while the ring buffer is
//! full the kernel drops what it cannot write, and every rule is blind to those
//! events, so users hear about it through the same sinks as any alert (Falco has
//! an internal rule of its own for the same reason).
//!
//! Drops come in bursts (a stalled consumer, a burst of activity), so alerts are
//! rate-limited: at most one per interval, each counting every drop since the
//! previous one; drops still unreported when the sensor stops get a last alert.

use std::time::Duration;

use vigie_rules::{OutputValue, Priority};
use vigie_sensor::live::Counters;

use crate::alert::Alert;

/// The name the drop alert carries as its rule.
pub const DROP_RULE: &str = "Sensor dropped syscall events";

/// The default shortest time between two drop alerts.
pub const DEFAULT_DROP_ALERT_INTERVAL: Duration = Duration::from_secs(60);

/// Turns the kernel's cumulative drop counters into rate-limited alerts.
#[derive(Debug)]
pub struct DropAlerts {
    interval_ns: i64,
    ring_bytes: u32,
    /// Drops already seen in the counters.
    seen: u64,
    /// Drops seen but not yet alerted on.
    pending: u64,
    /// When the last alert was raised (ns since the epoch), if any.
    last_alert_ns: Option<i64>,
}

impl DropAlerts {
    /// Alerts at most once per `interval` about a ring of `ring_bytes`.
    pub fn new(interval: Duration, ring_bytes: u32) -> Self {
        DropAlerts {
            interval_ns: i64::try_from(interval.as_nanos()).unwrap_or(i64::MAX),
            ring_bytes,
            seen: 0,
            pending: 0,
            last_alert_ns: None,
        }
    }

    /// Reads the counters at `now_ns`; returns the drops new since the last
    /// reading, and the alert to raise now, if one is due.
    pub fn observe(&mut self, counters: &Counters, now_ns: i64) -> (u64, Option<Alert>) {
        let new = counters.dropped.saturating_sub(self.seen);
        self.seen = self.seen.max(counters.dropped);
        self.pending += new;
        let due = self
            .last_alert_ns
            .is_none_or(|last| now_ns.saturating_sub(last) >= self.interval_ns);
        if self.pending == 0 || !due {
            return (new, None);
        }
        (new, Some(self.alert(counters, now_ns)))
    }

    /// The alert for drops not reported yet, whatever the interval: called when
    /// the sensor stops, so no drop goes unreported.
    pub fn flush(&mut self, counters: &Counters, now_ns: i64) -> (u64, Option<Alert>) {
        let (new, due) = self.observe(counters, now_ns);
        if due.is_some() || self.pending == 0 {
            return (new, due);
        }
        (new, Some(self.alert(counters, now_ns)))
    }

    fn alert(&mut self, counters: &Counters, now_ns: i64) -> Alert {
        let drops = std::mem::take(&mut self.pending);
        self.last_alert_ns = Some(now_ns);
        let per_cpu: Vec<String> = counters
            .dropped_per_cpu
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(cpu, n)| format!("cpu{cpu}={n}"))
            .collect();
        let per_cpu = per_cpu.join(",");
        let ring_mib = f64::from(self.ring_bytes) / f64::from(1u32 << 20);
        Alert {
            time_ns: now_ns,
            rule: DROP_RULE.into(),
            priority: Priority::Critical,
            source: super::SOURCE.into(),
            tags: vec!["vigie_internal".into(), "sensor".into()],
            hostname: crate::host::hostname().to_string(),
            output: format!(
                "The sensor lost {drops} syscall events because its ring buffer was full; rules did not see them (drops={drops} drops_total={} per_cpu={per_cpu} ring_mib={ring_mib})",
                counters.dropped
            ),
            output_fields: vec![
                ("sensor.drops".into(), OutputValue::Num(num(drops))),
                (
                    "sensor.drops_total".into(),
                    OutputValue::Num(num(counters.dropped)),
                ),
                ("sensor.drops_per_cpu".into(), OutputValue::Str(per_cpu)),
                (
                    "sensor.ring_bytes".into(),
                    OutputValue::Num(i64::from(self.ring_bytes)),
                ),
            ],
        }
    }
}

/// A counter as an output number (counters never reach i64::MAX in practice).
fn num(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(dropped_per_cpu: &[u64]) -> Counters {
        Counters {
            dropped: dropped_per_cpu.iter().sum(),
            dropped_per_cpu: dropped_per_cpu.to_vec(),
            ..Counters::default()
        }
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn drops_alert_at_once_then_at_most_once_per_interval_with_every_drop_counted() {
        let mut d = DropAlerts::new(Duration::from_secs(60), 1 << 20);
        assert_eq!(
            d.observe(&counters(&[0, 0]), S).1,
            None,
            "no drop, no alert"
        );
        let (new, first) = d.observe(&counters(&[5, 0]), 2 * S);
        let first = first.expect("the first drops alert at once");
        assert_eq!(new, 5);
        assert_eq!(first.rule, DROP_RULE);
        assert_eq!(first.priority, Priority::Critical);
        assert_eq!(first.source, "syscall");
        assert_eq!(
            first.output,
            "The sensor lost 5 syscall events because its ring buffer was full; rules did not see them (drops=5 drops_total=5 per_cpu=cpu0=5 ring_mib=1)"
        );
        // Within the interval: counted, not alerted.
        assert_eq!(d.observe(&counters(&[5, 3]), 30 * S), (3, None));
        assert_eq!(d.observe(&counters(&[9, 3]), 61 * S), (4, None));
        // The interval passed: one alert for the 7 drops since the first.
        let (_, second) = d.observe(&counters(&[9, 4]), 62 * S);
        let second = second.expect("due again");
        assert_eq!(
            second.output_fields[0],
            ("sensor.drops".into(), OutputValue::Num(8))
        );
        assert_eq!(
            second.output_fields[2],
            (
                "sensor.drops_per_cpu".into(),
                OutputValue::Str("cpu0=9,cpu1=4".into())
            )
        );
    }

    #[test]
    fn drops_unreported_at_stop_get_a_last_alert_and_none_without_drops() {
        let mut d = DropAlerts::new(Duration::from_secs(60), 1 << 20);
        assert!(d.observe(&counters(&[2]), S).1.is_some());
        assert_eq!(d.observe(&counters(&[6]), 2 * S), (4, None));
        let (_, last) = d.flush(&counters(&[6]), 3 * S);
        assert_eq!(
            last.expect("pending drops flushed").output_fields[0].1,
            OutputValue::Num(4)
        );
        assert_eq!(
            d.flush(&counters(&[6]), 4 * S),
            (0, None),
            "nothing pending"
        );
    }
}
