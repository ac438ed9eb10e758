//! Resource quantities as Kubernetes writes them (`250m`, `1.5Gi`, `1e3`),
//! read by posture controls (CPU and memory bounds) and Kyverno policies alike.

/// The value of a quantity, in base units: a number, then a decimal suffix
/// (`n` to `E`), a binary one (`Ki` to `Ei`) or an exponent (`e3`), not two.
/// Like Kubernetes, it takes the text as is: surrounding spaces make it no quantity.
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
