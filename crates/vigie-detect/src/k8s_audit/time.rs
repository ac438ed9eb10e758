//! RFC 3339 timestamps (`2024-05-01T10:00:00.123456Z`) to nanoseconds since the epoch,
//! as audit events' times are compared.

use vigie_resource::Rfc3339;

/// Nanoseconds since the epoch; `None` for text that is not an RFC 3339 time, or a
/// time outside what nanoseconds in an `i64` can hold (1677 to 2262).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let t = Rfc3339::parse(s)?;
    t.seconds
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(t.nanos))
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
