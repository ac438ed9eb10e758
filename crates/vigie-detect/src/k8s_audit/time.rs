//! RFC 3339 timestamps (`2024-05-01T10:00:00.123456Z`) to nanoseconds since the epoch,
//! without a date library.

use vigie_resource::Date;

/// Nanoseconds since the epoch; `None` for text that is not an RFC 3339 time, or a
/// time outside what nanoseconds in an `i64` can hold (1677 to 2262).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut frac = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        let mut scaled = digits.chars().take(9).collect::<String>();
        while scaled.len() < 9 {
            scaled.push('0');
        }
        frac = scaled.parse().ok()?;
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = (oh * 60 + om) * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let secs =
        Date::from_ymd(y, mo, d)?.days_since_epoch() * 86_400 + h * 3600 + mi * 60 + sec - offset;
    // Nanoseconds in an i64 reach from 1677 to 2262; a time outside is not one.
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_fractions_and_offsets() {
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_nanos("1970-01-02T00:00:01.5Z"),
            Some(86_401_500_000_000)
        );
        assert_eq!(
            parse_rfc3339_nanos("2018-10-26T13:38:34.902914Z"),
            Some(1_540_561_114_902_914_000)
        );
        assert_eq!(
            parse_rfc3339_nanos("2018-10-26T15:38:34+02:00"),
            parse_rfc3339_nanos("2018-10-26T13:38:34Z")
        );
        assert_eq!(parse_rfc3339_nanos("yesterday"), None);
    }

    /// Found by the audit_event fuzz target: a year whose nanoseconds overflow.
    #[test]
    fn days_the_month_does_not_have_are_not_times() {
        assert_eq!(parse_rfc3339_nanos("2027-02-31T10:00:00Z"), None);
        assert_eq!(parse_rfc3339_nanos("2027-04-31T10:00:00Z"), None);
        assert!(parse_rfc3339_nanos("2028-02-29T10:00:00Z").is_some());
    }

    #[test]
    fn times_outside_the_nanosecond_range_are_not_times() {
        assert_eq!(parse_rfc3339_nanos("1283-03-01T10:00:00.120000Z"), None);
        assert_eq!(parse_rfc3339_nanos("9999-12-31T23:59:59Z"), None);
        assert!(parse_rfc3339_nanos("1678-01-01T00:00:00Z").is_some());
        assert!(parse_rfc3339_nanos("2262-01-01T00:00:00Z").is_some());
    }
}
