//! Kyverno's time library: `time.now()`, `time.truncate(timestamp,
//! duration)` and `time.toCron(timestamp)`.
//!
//! `time.now()` reads the system clock, in `kyverno test` too (Kyverno's
//! CLI does not fix it), so a policy that calls it is only as repeatable
//! as it is there.

use std::time::{SystemTime, UNIX_EPOCH};

use cel::common::types::{CelDuration, CelString, CelTimestamp, DURATION_TYPE, TIMESTAMP_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError};
use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike};

use crate::library::{err, one, owned, two, R};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload("time.now", "kyverno_time_now", vec![], now)?;
    env.add_overload(
        "time.truncate",
        "kyverno_time_truncate_timestamp_duration",
        vec![TIMESTAMP_TYPE, DURATION_TYPE],
        truncate,
    )?;
    env.add_overload(
        "time.toCron",
        "kyverno_time_to_cron_timestamp",
        vec![TIMESTAMP_TYPE],
        to_cron,
    )
}

fn timestamp_arg<'a>(
    v: &'a CowVal<'_, '_>,
    function: &str,
) -> Result<&'a DateTime<FixedOffset>, ExecutionError> {
    v.downcast_ref::<CelTimestamp>()
        .map(CelTimestamp::inner)
        .ok_or_else(|| err(function, "expected a timestamp"))
}

fn now<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    if !args.is_empty() {
        return Err(ExecutionError::invalid_argument_count(0, args.len()));
    }
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| err("time.now", e))?;
    let now = DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos())
        .ok_or_else(|| err("time.now", "the system clock is out of range"))?;
    owned(CelTimestamp::from(now.fixed_offset()))
}

/// Seconds from Go's zero time (1 January of year 1, UTC) to the Unix
/// epoch: Go truncates a time counting from its zero time, which for
/// durations that do not divide a day (a week) gives another result than
/// counting from the epoch.
const GO_ZERO_TO_UNIX: i128 = 62_135_596_800;

/// `t` rounded down to a multiple of `d` since Go's zero time; `t` itself
/// when `d` is not positive.
fn truncated(t: &DateTime<FixedOffset>, d: &TimeDelta) -> Option<DateTime<FixedOffset>> {
    let step = i128::from(d.num_nanoseconds()?);
    if step <= 0 {
        return Some(*t);
    }
    let since_zero = (i128::from(t.timestamp()) + GO_ZERO_TO_UNIX) * 1_000_000_000
        + i128::from(t.timestamp_subsec_nanos());
    let excess = i64::try_from(since_zero.rem_euclid(step)).ok()?;
    t.checked_sub_signed(TimeDelta::nanoseconds(excess))
}

fn truncate<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (t, d) = two(&args)?;
    let t = timestamp_arg(t, "time.truncate")?;
    let d = d
        .downcast_ref::<CelDuration>()
        .ok_or_else(|| err("time.truncate", "expected a duration"))?;
    let out = truncated(t, d.inner()).ok_or_else(|| err("time.truncate", "out of range"))?;
    owned(CelTimestamp::from(out))
}

/// `minute hour day-of-month month day-of-week` of the timestamp, in its
/// own offset, Sunday being 0.
fn to_cron<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let t = timestamp_arg(one(&args)?, "time.toCron")?;
    owned(CelString::from(format!(
        "{} {} {} {} {}",
        t.minute(),
        t.hour(),
        t.day(),
        t.month(),
        t.weekday().num_days_from_sunday()
    )))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn now_is_a_recent_timestamp() {
        assert_eq!(
            json("time.now() > timestamp('2024-01-01T00:00:00Z')"),
            json!(true)
        );
        assert_eq!(
            json("type(time.now()) == google.protobuf.Timestamp"),
            json!(true)
        );
    }

    #[test]
    fn truncate_rounds_down_as_go_does() {
        assert_eq!(
            json("time.truncate(timestamp('2025-03-14T15:09:26.5Z'), duration('1h'))"),
            json!("2025-03-14T15:00:00+00:00")
        );
        assert_eq!(
            json("time.truncate(timestamp('2025-03-14T15:09:26Z'), duration('15m'))"),
            json!("2025-03-14T15:00:00+00:00")
        );
        // Weeks count from Go's zero time, a Monday: 2025-03-14 is a
        // Friday, its week began on Monday the 10th.
        assert_eq!(
            json("time.truncate(timestamp('2025-03-14T15:09:26Z'), duration('168h'))"),
            json!("2025-03-10T00:00:00+00:00")
        );
        assert_eq!(
            json("time.truncate(timestamp('2025-03-14T15:09:26Z'), duration('0s'))"),
            json!("2025-03-14T15:09:26+00:00")
        );
        assert!(eval("time.truncate(timestamp('2025-03-14T15:09:26Z'), 60)").is_err());
    }

    #[test]
    fn to_cron_gives_the_five_fields() {
        assert_eq!(
            json("time.toCron(timestamp('2025-03-16T07:05:00Z'))"),
            json!("5 7 16 3 0")
        );
        assert_eq!(
            json("time.toCron(timestamp('2024-12-31T23:59:59Z'))"),
            json!("59 23 31 12 2")
        );
        assert!(eval("time.toCron('2024-12-31T23:59:59Z')").is_err());
    }
}
