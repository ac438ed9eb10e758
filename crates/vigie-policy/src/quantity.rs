//! Kubernetes resource quantities (`250m`, `1.5Gi`, `1e3`) and Go durations
//! (`1h30m`, `300ms`), which Kyverno compares by value rather than as text.

pub use vigie_resource::parse_quantity;

/// Whether two quantities are equal up to floating point noise.
pub fn quantities_equal(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// A Go duration (`time.ParseDuration`) in seconds; surrounding spaces are ignored.
pub fn parse_duration(text: &str) -> Option<f64> {
    vigie_resource::duration_seconds(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("250m"), Some(0.25));
        assert_eq!(parse_quantity("2Gi"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("1k"), Some(1000.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("12"), Some(12.0));
        assert_eq!(parse_quantity("abc"), None);
        assert_eq!(parse_quantity("1Gx"), None);
        assert_eq!(parse_quantity(""), None);
        assert!(quantities_equal(
            parse_quantity("1Gi").unwrap(),
            parse_quantity("1024Mi").unwrap()
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("300ms"), Some(0.3));
        assert_eq!(parse_duration("-2s"), Some(-2.0));
        assert_eq!(parse_duration("0"), Some(0.0));
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration("h"), None);
    }
}
