//! RFC 3339 timestamps and Go duration strings for Kyverno's `time_*` functions.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (with fraction) and the UTC offset in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timestamp {
    pub seconds: f64,
    pub offset: i64,
}

pub fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Timestamp { seconds, offset: 0 }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `2006-01-02T15:04:05Z07:00`, with optional fractional seconds.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut fraction = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        fraction = format!("0.{}", &r[..end]).parse().ok()?;
        rest = &r[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let seconds = (days * 86400 + h * 3600 + mi * 60 + se - offset) as f64 + fraction;
    Some(Timestamp { seconds, offset })
}

pub fn format_rfc3339(t: Timestamp) -> String {
    let local = t.seconds.floor() as i64 + t.offset;
    let (y, m, d) = civil_from_days(local.div_euclid(86400));
    let secs = local.rem_euclid(86400);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    let zone = if t.offset == 0 {
        "Z".to_string()
    } else {
        let sign = if t.offset < 0 { '-' } else { '+' };
        let o = t.offset.abs();
        format!("{sign}{:02}:{:02}", o / 3600, o % 3600 / 60)
    };
    format!("{base}{zone}")
}

/// Formats seconds as Go's `time.Duration.String()` does (`1h2m3s`, `1.5s`, `0s`).
pub fn format_duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0s".to_string();
    }
    let negative = seconds < 0.0;
    let mut s = seconds.abs();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if s < 1.0 {
        let (value, unit) = if s >= 1e-3 {
            (s * 1e3, "ms")
        } else if s >= 1e-6 {
            (s * 1e6, "µs")
        } else {
            (s * 1e9, "ns")
        };
        out.push_str(&trim_float(value));
        out.push_str(unit);
        return out;
    }
    let hours = (s / 3600.0).floor();
    s -= hours * 3600.0;
    let minutes = (s / 60.0).floor();
    s -= minutes * 60.0;
    if hours > 0.0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0.0 || minutes > 0.0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&trim_float(s));
    out.push('s');
    out
}

fn trim_float(v: f64) -> String {
    let rounded = (v * 1e9).round() / 1e9;
    let text = format!("{rounded:.9}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = parse_rfc3339("2023-03-04T05:06:07Z").unwrap();
        assert_eq!(format_rfc3339(t), "2023-03-04T05:06:07Z");
        let t2 = parse_rfc3339("2023-03-04T07:06:07+02:00").unwrap();
        assert_eq!(t.seconds, t2.seconds);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(format_duration(3723.0), "1h2m3s");
        assert_eq!(format_duration(1.5), "1.5s");
        assert_eq!(format_duration(0.0), "0s");
        assert_eq!(format_duration(0.3), "300ms");
        assert_eq!(format_duration(60.0), "1m0s");
    }
}
