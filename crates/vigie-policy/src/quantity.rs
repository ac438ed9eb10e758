//! Kubernetes resource quantities (`250m`, `1.5Gi`, `1e3`) and Go durations
//! (`1h30m`, `300ms`), which Kyverno compares by value rather than as text.

/// The value of a quantity, in base units.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let s = text.trim();
    if s.is_empty() || s != text {
        return None;
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    if number.is_empty()
        || number == "+"
        || number == "-"
        || number.ends_with('.') && number.len() == 1
    {
        return None;
    }
    if number[1..].contains(['+', '-']) || number.matches('.').count() > 1 {
        return None;
    }
    let base: f64 = number.parse().ok()?;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().ok()?;
            10f64.powi(e)
        }
        _ => return None,
    };
    Some(base * multiplier)
}

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
