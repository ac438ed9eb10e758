//! Durations as Kubernetes components and Kyverno policies write them (Go's
//! `time.ParseDuration`: `90s`, `1h30m`, `1.5h`, `-2m`, `0`).

/// The number of seconds `text` stands for, or `None` when it is not a duration.
/// Like Go, it takes the text as is: surrounding spaces make it no duration.
pub fn duration_seconds(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn reads_go_durations() {
        assert_eq!(duration_seconds("60s"), Some(60.0));
        assert_eq!(duration_seconds("1h30m"), Some(5400.0));
        assert_eq!(duration_seconds("1.5m"), Some(90.0));
        assert_eq!(duration_seconds("-2m"), Some(-120.0));
        assert_eq!(duration_seconds("0"), Some(0.0));
    }

    #[test]
    fn rejects_numbers_without_units_and_junk() {
        for text in ["300", "", "5 m", "1x", "s", ".", "1..2s"] {
            assert_eq!(duration_seconds(text), None, "{text}");
        }
    }
}
