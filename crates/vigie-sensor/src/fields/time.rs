//! Event times as the `evt.time*` and `evt.datetime*` fields print them (UTC).

use vigie_resource::Date;

/// The parts of a nanosecond timestamp.
struct Parts {
    date: Date,
    secs_of_day: u64,
    nanos: u64,
}

fn parts(ns: u64) -> Parts {
    let secs = ns / 1_000_000_000;
    Parts {
        date: Date::from_days_since_epoch((secs / 86_400) as i64),
        secs_of_day: secs % 86_400,
        nanos: ns % 1_000_000_000,
    }
}

/// `YYYY-MM-DD`.
fn day(p: &Parts) -> String {
    let Date { year, month, day } = p.date;
    format!("{year:04}-{month:02}-{day:02}")
}

/// `HH:MM:SS`.
fn clock(p: &Parts) -> String {
    let s = p.secs_of_day;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `evt.time`: `HH:MM:SS.nnnnnnnnn`.
pub fn time(ns: u64) -> String {
    let p = parts(ns);
    format!("{}.{:09}", clock(&p), p.nanos)
}

/// `evt.time.s`: `HH:MM:SS`.
pub fn time_s(ns: u64) -> String {
    clock(&parts(ns))
}

/// `evt.datetime`: `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
pub fn datetime(ns: u64) -> String {
    let p = parts(ns);
    format!("{} {}.{:09}", day(&p), clock(&p), p.nanos)
}

/// `evt.datetime.s`: `YYYY-MM-DD HH:MM:SS`.
pub fn datetime_s(ns: u64) -> String {
    let p = parts(ns);
    format!("{} {}", day(&p), clock(&p))
}

/// `evt.time.iso8601`: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub fn iso8601(ns: u64) -> String {
    let p = parts(ns);
    format!("{}T{}.{:09}Z", day(&p), clock(&p), p.nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_a_known_instant() {
        // 2016-08-04 16:17:57.881730713 UTC.
        let ns = 1_470_327_477_881_730_713;
        assert_eq!(time(ns), "16:17:57.881730713");
        assert_eq!(datetime(ns), "2016-08-04 16:17:57.881730713");
        assert_eq!(iso8601(ns), "2016-08-04T16:17:57.881730713Z");
        assert_eq!(datetime_s(0), "1970-01-01 00:00:00");
    }
}
