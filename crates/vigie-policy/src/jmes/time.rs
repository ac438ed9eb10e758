//! RFC 3339 timestamps and Go duration strings for Kyverno's `time_*` functions.

use std::time::{SystemTime, UNIX_EPOCH};

use vigie_resource::{is_leap_year, Date, Rfc3339};

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

/// Parses `2006-01-02T15:04:05Z07:00`, with optional fractional seconds.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let t = Rfc3339::parse(text.trim())?;
    Some(Timestamp {
        seconds: t.seconds as f64 + f64::from(t.nanos) / 1e9,
        offset: t.offset,
    })
}

pub fn format_rfc3339(t: Timestamp) -> String {
    let local = t.seconds.floor() as i64 + t.offset;
    let Date {
        year: y,
        month: m,
        day: d,
    } = Date::from_days_since_epoch(local.div_euclid(86400));
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

/// One element of a Go reference-time layout (`2006-01-02T15:04:05Z07:00`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Chunk {
    Year4,
    Year2,
    MonthName,
    MonthAbbrev,
    Month2,
    Month,
    WeekdayName,
    WeekdayAbbrev,
    Day2,
    DaySpace,
    Day,
    YearDay,
    Hour24,
    Hour12Two,
    Hour12,
    Minute2,
    Minute,
    Second2,
    Second,
    PmUpper,
    PmLower,
    ZoneName,
    /// `Z07:00` style offsets: (accepts `Z` for UTC, has colons, has seconds, hours only).
    Offset {
        z: bool,
        colon: bool,
        seconds: bool,
        hours_only: bool,
    },
    /// `.000` (fixed digits) or `.999` (optional digits) after the seconds.
    Fraction {
        digits: usize,
        optional: bool,
    },
}

/// Splits a Go layout into literal text and chunks, as Go's `nextStdChunk` does.
fn layout_chunks(layout: &str) -> Vec<Result<Chunk, char>> {
    const TABLE: &[(&str, Chunk)] = &[
        ("January", Chunk::MonthName),
        ("Jan", Chunk::MonthAbbrev),
        ("Monday", Chunk::WeekdayName),
        ("Mon", Chunk::WeekdayAbbrev),
        ("MST", Chunk::ZoneName),
        ("2006", Chunk::Year4),
        ("002", Chunk::YearDay),
        ("01", Chunk::Month2),
        ("02", Chunk::Day2),
        ("03", Chunk::Hour12Two),
        ("04", Chunk::Minute2),
        ("05", Chunk::Second2),
        ("06", Chunk::Year2),
        ("15", Chunk::Hour24),
        ("_2", Chunk::DaySpace),
        ("PM", Chunk::PmUpper),
        ("pm", Chunk::PmLower),
    ];
    const OFFSETS: &[(&str, bool, bool, bool, bool)] = &[
        ("Z07:00:00", true, true, true, false),
        ("-07:00:00", false, true, true, false),
        ("Z070000", true, false, true, false),
        ("-070000", false, false, true, false),
        ("Z07:00", true, true, false, false),
        ("-07:00", false, true, false, false),
        ("Z0700", true, false, false, false),
        ("-0700", false, false, false, false),
        ("Z07", true, false, false, true),
        ("-07", false, false, false, true),
    ];
    let b = layout.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    'outer: while i < b.len() {
        let rest = &layout[i..];
        for &(text, z, colon, seconds, hours_only) in OFFSETS {
            if rest.starts_with(text) {
                out.push(Ok(Chunk::Offset {
                    z,
                    colon,
                    seconds,
                    hours_only,
                }));
                i += text.len();
                continue 'outer;
            }
        }
        // `.000`/`.999` (or with a comma) directly after a seconds field.
        if (b[i] == b'.' || b[i] == b',') && i + 1 < b.len() && matches!(b[i + 1], b'0' | b'9') {
            let digit = b[i + 1];
            let n = b[i + 1..].iter().take_while(|&&c| c == digit).count();
            let after = b.get(i + 1 + n);
            if !after.is_some_and(|c| c.is_ascii_digit()) {
                out.push(Ok(Chunk::Fraction {
                    digits: n,
                    optional: digit == b'9',
                }));
                i += 1 + n;
                continue;
            }
        }
        for &(text, chunk) in TABLE {
            if let Some(after) = rest.strip_prefix(text) {
                // `Jan`/`Mon` only when not followed by a lower-case letter,
                // as in Go (`Janet` is literal text).
                let next = after.chars().next();
                if matches!(chunk, Chunk::MonthAbbrev | Chunk::WeekdayAbbrev)
                    && next.is_some_and(|c| c.is_ascii_lowercase())
                {
                    continue;
                }
                out.push(Ok(chunk));
                i += text.len();
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        let single = match c {
            '1' => Some(Chunk::Month),
            '2' => Some(Chunk::Day),
            '3' => Some(Chunk::Hour12),
            '4' => Some(Chunk::Minute),
            '5' => Some(Chunk::Second),
            _ => None,
        };
        out.push(single.ok_or(c));
        i += c.len_utf8();
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Parses `value` with a Go reference-time layout, as Go's `time.Parse` does
/// (no location: zone abbreviations other than the offset give UTC offset 0).
pub(crate) fn parse_go_layout(layout: &str, value: &str) -> Result<Timestamp, String> {
    let bad = || format!("parsing time {value:?} as {layout:?}: cannot parse");
    let mut v = value;
    let (mut year, mut month, mut day, mut yday) = (1i64, 1i64, 1i64, -1i64);
    let (mut hour, mut minute, mut second) = (0i64, 0i64, 0i64);
    let mut fraction = 0.0f64;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i64> = None;
    let chunks = layout_chunks(layout);
    for (idx, chunk) in chunks.iter().enumerate() {
        let chunk = match chunk {
            Err(c) => {
                v = v.strip_prefix(*c).ok_or_else(bad)?;
                continue;
            }
            Ok(c) => *c,
        };
        match chunk {
            Chunk::Year4 => {
                year = take_digits(&mut v, 4, 4).ok_or_else(bad)?;
            }
            Chunk::Year2 => {
                let n = take_digits(&mut v, 2, 2).ok_or_else(bad)?;
                year = if n >= 69 { 1900 + n } else { 2000 + n };
            }
            Chunk::MonthName | Chunk::MonthAbbrev => {
                let (i, rest) =
                    lookup_name(v, &MONTHS, chunk == Chunk::MonthAbbrev).ok_or_else(bad)?;
                month = i as i64 + 1;
                v = rest;
            }
            Chunk::WeekdayName | Chunk::WeekdayAbbrev => {
                let (_, rest) =
                    lookup_name(v, &WEEKDAYS, chunk == Chunk::WeekdayAbbrev).ok_or_else(bad)?;
                v = rest;
            }
            Chunk::Month2 | Chunk::Month => {
                let min = if chunk == Chunk::Month2 { 2 } else { 1 };
                let n = take_digits(&mut v, min, 2).ok_or_else(bad)?;
                if !(1..=12).contains(&n) {
                    return Err(format!("parsing time {value:?}: month out of range"));
                }
                month = n;
            }
            Chunk::Day2 | Chunk::Day | Chunk::DaySpace => {
                if chunk == Chunk::DaySpace {
                    v = v.strip_prefix(' ').unwrap_or(v);
                }
                let min = if chunk == Chunk::Day2 { 2 } else { 1 };
                day = take_digits(&mut v, min, 2).ok_or_else(bad)?;
            }
            Chunk::YearDay => {
                yday = take_digits(&mut v, 3, 3).ok_or_else(bad)?;
            }
            Chunk::Hour24 => {
                let n = take_digits(&mut v, 2, 2).ok_or_else(bad)?;
                if n > 23 {
                    return Err(format!("parsing time {value:?}: hour out of range"));
                }
                hour = n;
            }
            Chunk::Hour12Two | Chunk::Hour12 => {
                let min = if chunk == Chunk::Hour12Two { 2 } else { 1 };
                let n = take_digits(&mut v, min, 2).ok_or_else(bad)?;
                if n > 12 {
                    return Err(format!("parsing time {value:?}: hour out of range"));
                }
                hour = n;
            }
            Chunk::Minute2 | Chunk::Minute | Chunk::Second2 | Chunk::Second => {
                let min = if matches!(chunk, Chunk::Minute2 | Chunk::Second2) {
                    2
                } else {
                    1
                };
                let n = take_digits(&mut v, min, 2).ok_or_else(bad)?;
                if n > 59 {
                    return Err(format!(
                        "parsing time {value:?}: minute or second out of range"
                    ));
                }
                if matches!(chunk, Chunk::Minute2 | Chunk::Minute) {
                    minute = n;
                } else {
                    second = n;
                    // Go accepts a fraction after the seconds even when the
                    // layout has none, unless the layout gives one next.
                    let next_is_fraction =
                        matches!(chunks.get(idx + 1), Some(Ok(Chunk::Fraction { .. })));
                    if !next_is_fraction && (v.starts_with('.') || v.starts_with(',')) {
                        let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        if n > 0 {
                            fraction = format!("0.{}", &v[1..1 + n]).parse().map_err(|_| bad())?;
                            v = &v[1 + n..];
                        }
                    }
                }
            }
            Chunk::Fraction {
                digits: n,
                optional,
            } => {
                if optional {
                    if v.starts_with('.') || v.starts_with(',') {
                        let count = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        if count > 0 {
                            fraction = format!("0.{}", &v[1..1 + count])
                                .parse()
                                .map_err(|_| bad())?;
                        }
                        v = &v[1 + count..];
                    }
                } else {
                    if !(v.starts_with('.') || v.starts_with(',')) || v.len() < 1 + n {
                        return Err(bad());
                    }
                    let text = &v[1..1 + n];
                    if !text.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(bad());
                    }
                    fraction = format!("0.{text}").parse().map_err(|_| bad())?;
                    v = &v[1 + n..];
                }
            }
            Chunk::PmUpper | Chunk::PmLower => {
                let word = v.get(..2).ok_or_else(bad)?;
                pm = Some(match word.to_ascii_uppercase().as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(bad()),
                });
                v = &v[2..];
            }
            Chunk::ZoneName => {
                if let Some(rest) = v.strip_prefix("UTC") {
                    offset = Some(0);
                    v = rest;
                } else {
                    // Go takes 3 to 5 upper-case letters (optionally a T-suffixed
                    // 4th/5th) as an abbreviation it cannot place: offset 0.
                    let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                    if n < 3 {
                        return Err(bad());
                    }
                    offset.get_or_insert(0);
                    v = &v[n..];
                }
            }
            Chunk::Offset {
                z,
                colon,
                seconds,
                hours_only,
            } => {
                if z && (v.starts_with('Z')) {
                    offset = Some(0);
                    v = &v[1..];
                    continue;
                }
                let sign = match v.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(bad()),
                };
                v = &v[1..];
                let h = take_digits(&mut v, 2, 2).ok_or_else(bad)?;
                let mut total = h * 3600;
                if !hours_only {
                    if colon {
                        v = v.strip_prefix(':').ok_or_else(bad)?;
                    }
                    let m = take_digits(&mut v, 2, 2).ok_or_else(bad)?;
                    total += m * 60;
                    if seconds {
                        if colon {
                            v = v.strip_prefix(':').ok_or_else(bad)?;
                        }
                        let s = take_digits(&mut v, 2, 2).ok_or_else(bad)?;
                        total += s;
                    }
                }
                offset = Some(sign * total);
            }
        }
    }
    if !v.is_empty() {
        return Err(format!(
            "parsing time {value:?} as {layout:?}: extra text: {v:?}"
        ));
    }
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    let mut days = if yday >= 0 {
        let first = Date::from_ymd(year, 1, 1)
            .ok_or_else(|| format!("parsing time {value:?}: year out of range"))?;
        let leap = is_leap_year(first.year);
        if yday < 1 || yday > if leap { 366 } else { 365 } {
            return Err(format!("parsing time {value:?}: day-of-year out of range"));
        }
        first.days_since_epoch() + yday - 1
    } else {
        Date::from_ymd(year, month, day)
            .ok_or_else(|| format!("parsing time {value:?}: day out of range"))?
            .days_since_epoch()
    };
    if days < i64::MIN / 86400 + 1 {
        days = 0;
    }
    let offset = offset.unwrap_or(0);
    let seconds = (days * 86400 + hour * 3600 + minute * 60 + second - offset) as f64 + fraction;
    Ok(Timestamp { seconds, offset })
}

/// The number written by `min` to `max` ASCII digits at the start of `text`,
/// which is then left at what follows them.
fn take_digits(text: &mut &str, min: usize, max: usize) -> Option<i64> {
    let n = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if n < min {
        return None;
    }
    let number = text[..n].parse().ok()?;
    *text = &text[n..];
    Some(number)
}

fn lookup_name<'a>(s: &'a str, names: &[&str], abbrev: bool) -> Option<(usize, &'a str)> {
    names.iter().enumerate().find_map(|(i, name)| {
        let name = if abbrev { &name[..3] } else { name };
        let head = s.get(..name.len())?;
        head.eq_ignore_ascii_case(name)
            .then(|| (i, &s[name.len()..]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_the_month_does_not_have_are_not_times() {
        assert_eq!(parse_rfc3339("2027-02-31T10:00:00Z"), None);
        assert!(parse_rfc3339("2028-02-29T10:00:00Z").is_some());
    }

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

    #[test]
    fn go_layouts() {
        let p = |l: &str, v: &str| parse_go_layout(l, v).map(format_rfc3339);
        // (layout, text, the time it reads as RFC 3339)
        for (layout, text, time) in [
            (
                "2006-01-02T15:04:05Z07:00",
                "2024-02-29T23:59:58+05:30",
                "2024-02-29T23:59:58+05:30",
            ),
            ("2006-01-02", "2021-07-04", "2021-07-04T00:00:00Z"),
            (
                "Mon Jan _2 15:04:05 2006",
                "Sun Mar  3 04:05:06 2019",
                "2019-03-03T04:05:06Z",
            ),
            (
                "02 Jan 06 15:04 MST",
                "11 Oct 22 17:45 UTC",
                "2022-10-11T17:45:00Z",
            ),
            (
                "Monday, 02-Jan-06 15:04:05 -0700",
                "Friday, 13-Sep-19 08:00:00 -0230",
                "2019-09-13T08:00:00-02:30",
            ),
            (
                "January 2, 2006 3:04PM",
                "December 31, 1999 11:59PM",
                "1999-12-31T23:59:00Z",
            ),
            ("3:04pm", "12:30am", "0001-01-01T00:30:00Z"),
            (
                "2006-01-02 15:04:05.000",
                "2020-01-01 10:00:00.250",
                "2020-01-01T10:00:00Z",
            ),
            (
                "2006-01-02T15:04:05Z07:00",
                "2020-01-01T10:00:00.5Z",
                "2020-01-01T10:00:00Z",
            ),
            ("2006.002", "2023.060", "2023-03-01T00:00:00Z"),
            ("20060102", "19700101", "1970-01-01T00:00:00Z"),
        ] {
            assert_eq!(p(layout, text), Ok(time.to_string()), "{layout} {text}");
        }
        for (layout, text) in [
            ("2006-01-02", "2021-02-30"),
            ("2006-01-02", "2021-1-05"),
            ("2006-01-02", "2021-01-05 extra"),
            ("15:04", "25:00"),
        ] {
            assert!(p(layout, text).is_err(), "{layout} {text}");
        }
    }
}
