//! Calendar days of the proleptic Gregorian calendar, without a date library:
//! the one civil-date arithmetic of the workspace (exception expiry dates,
//! RFC 3339 times of audit events and Kyverno's `time_*` functions, the event
//! times the sensor prints). A day the month does not have (`2027-02-31`) is
//! refused wherever a date is read.

use std::fmt;

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
}

/// A date that is not a day of the calendar written `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid date `{0}` (expected YYYY-MM-DD)")]
pub struct DateError(pub String);

impl Date {
    /// The day `year-month-day`, if the calendar has it (`None` for month 13 or
    /// February 30). Takes wide integers so that parsers can pass what they read.
    pub fn from_ymd(year: i64, month: i64, day: i64) -> Option<Date> {
        let year = i32::try_from(year).ok()?;
        let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        let day = u32::try_from(day).ok()?;
        (1..=days_in_month(year, month))
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Reads `YYYY-MM-DD`, refusing days the month does not have.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let bad = || DateError(s.to_string());
        let mut parts = s.trim().splitn(3, '-');
        let mut next = || parts.next().and_then(|p| p.parse::<i64>().ok());
        let (year, month, day) = (next(), next(), next());
        Date::from_ymd(
            year.ok_or_else(bad)?,
            month.ok_or_else(bad)?,
            day.ok_or_else(bad)?,
        )
        .ok_or_else(bad)
    }

    /// Today (UTC), from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The day `days` after 1970-01-01 (before it when negative).
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's `civil_from_days`: eras of 400 years (146,097 days),
        // years counted from March so that the leap day ends the year.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days from 1970-01-01 to this day (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Hinnant's `days_from_civil`, the inverse of `from_days_since_epoch`.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// Whether `year` has a February 29th.
pub fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The days of a month (1 to 12) of the proleptic Gregorian calendar.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A time read from RFC 3339 text (`2024-05-01T10:00:00.123456Z`,
/// `2024-05-01T12:00:00+02:00`): the one reader of the workspace, for audit
/// event times and Kyverno's `time_*` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339 {
    /// Whole seconds since 1970-01-01T00:00:00Z (before it when negative).
    pub seconds: i64,
    /// The fraction of the second, in nanoseconds (digits past the ninth are
    /// dropped).
    pub nanos: u32,
    /// The UTC offset the text gave, in seconds (east positive).
    pub offset: i64,
}

impl Rfc3339 {
    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (`t` or a space
    /// for `T`, `z` for `Z`), and nothing after it; `None` for anything else,
    /// including a day the month does not have.
    pub fn parse(text: &str) -> Option<Rfc3339> {
        let b = text.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| digits(text.get(r)?);
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut rest = &text[19..];
        let mut nanos = 0;
        if let Some(fraction) = rest.strip_prefix('.') {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if end == 0 {
                return None;
            }
            let kept = &fraction[..end.min(9)];
            nanos = digits(kept)? as u32 * 10u32.pow(9 - kept.len() as u32);
            rest = &fraction[end..];
        }
        let offset = match rest.as_bytes() {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (hours, minutes) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
                let offset = hours * 3600 + minutes * 60;
                if *sign == b'-' {
                    -offset
                } else {
                    offset
                }
            }
            _ => return None,
        };
        let days = Date::from_ymd(year, month, day)?.days_since_epoch();
        Some(Rfc3339 {
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
            nanos,
            offset,
        })
    }
}

/// A run of ASCII digits as a number (no sign, unlike `str::parse`).
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_the_month_does_not_have_are_refused() {
        for text in [
            "2027-02-31",
            "2027-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "x-01-01",
            "2026-01",
        ] {
            assert!(Date::parse(text).is_err(), "{text}");
        }
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.to_string()),
            Ok("2028-02-29".into())
        );
        assert_eq!(Date::from_ymd(2000, 2, 29).map(|d| d.day), Some(29));
        assert_eq!(Date::from_ymd(1900, 2, 29), None);
    }

    #[test]
    fn day_counts_round_trip_across_eras_and_leap_days() {
        assert_eq!(
            Date::from_ymd(1970, 1, 1).map(Date::days_since_epoch),
            Some(0)
        );
        assert_eq!(
            Date::from_ymd(2000, 3, 1).map(Date::days_since_epoch),
            Some(11_017)
        );
        assert_eq!(
            Date::from_ymd(1969, 12, 31).map(Date::days_since_epoch),
            Some(-1)
        );
        for days in (-800_000..800_000).step_by(997) {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days, "{date}");
            assert_eq!(
                Date::parse(&date.to_string()).ok(),
                (date.year >= 0).then_some(date)
            );
        }
    }

    #[test]
    fn rfc3339_times_are_read_with_fractions_and_offsets() {
        let t = |s| Rfc3339::parse(s);
        assert_eq!(
            t("1970-01-02T00:00:01.5Z"),
            Some(Rfc3339 {
                seconds: 86_401,
                nanos: 500_000_000,
                offset: 0
            })
        );
        assert_eq!(
            t("2018-10-26T15:38:34.9029141234+02:00"),
            Some(Rfc3339 {
                seconds: 1_540_561_114,
                nanos: 902_914_123,
                offset: 7200
            })
        );
        assert_eq!(t("1969-12-31t23:59:59z").map(|t| t.seconds), Some(-1));
        for bad in [
            "yesterday",
            "2027-02-31T10:00:00Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00Zjunk",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+2:000",
            "2024-05-01T10:00:00+-1:00",
            "2024-05-01T24:00:00Z",
            "+024-05-01T10:00:00Z",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
