//! Matching one resource value against one scalar of a pattern: wildcards,
//! operators (`>`, `<`, `>=`, `<=`, `!`), alternatives (`|`), conjunctions (`&`),
//! ranges (`a-b`, `a!-b`), quantities and durations.

use serde_json::Value as Json;
use vigie_resource::wildcard_match;

use crate::quantity::{parse_duration, parse_quantity, quantities_equal};

pub fn matches(value: &Json, pattern: &Json) -> bool {
    match pattern {
        Json::Bool(p) => value.as_bool() == Some(*p),
        Json::Number(n) => match n.as_i64() {
            Some(p) => int_matches(value, p),
            None => float_matches(value, n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Null => nil_matches(value),
        Json::String(p) => string_pattern_matches(value, p),
        Json::Object(m) => m.is_empty() && value.is_object(),
        Json::Array(_) => false,
    }
}

fn int_matches(value: &Json, pattern: i64) -> bool {
    match value {
        Json::Number(n) => match n.as_i64() {
            Some(v) => v == pattern,
            None => n
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f as i64 == pattern),
        },
        Json::String(s) => s.parse::<i64>().is_ok_and(|v| v == pattern),
        _ => false,
    }
}

fn float_matches(value: &Json, pattern: f64) -> bool {
    match value {
        Json::Number(n) => n.as_f64() == Some(pattern),
        Json::String(s) => s.parse::<f64>().is_ok_and(|v| v == pattern),
        _ => false,
    }
}

/// `null` in a pattern accepts the zero value of every scalar type.
fn nil_matches(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Bool(b) => !b,
        Json::Array(_) | Json::Object(_) => false,
    }
}

fn string_pattern_matches(value: &Json, pattern: &str) -> bool {
    if value.as_str() == Some(pattern) {
        return true;
    }
    pattern.split('|').any(|alternative| {
        alternative
            .split('&')
            .all(|part| single_pattern_matches(value, part.trim()))
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    More,
    Less,
    MoreEqual,
    LessEqual,
}

/// The operators a pattern may start with, the two-character ones first; a
/// pattern without one is an equality.
const OPERATORS: [(&str, Op); 5] = [
    (">=", Op::MoreEqual),
    ("<=", Op::LessEqual),
    (">", Op::More),
    ("<", Op::Less),
    ("!", Op::NotEqual),
];

fn single_pattern_matches(value: &Json, pattern: &str) -> bool {
    if let Some((low, high, inside)) = parse_range(pattern) {
        let Some(v) = number_of(value) else {
            return false;
        };
        let within = v >= low && v <= high;
        return within == inside;
    }
    let (op, rest) = OPERATORS
        .iter()
        .find_map(|(text, op)| pattern.strip_prefix(text).map(|rest| (*op, rest)))
        .unwrap_or((Op::Equal, pattern));
    let rest = rest.trim();
    if rest.starts_with(|c: char| c.is_ascii_digit()) || rest.starts_with('.') {
        compare_as_number(value, rest, op)
    } else {
        compare_as_string(value, rest, op)
    }
}

/// A range `low-high` (inside) or `low!-high` (outside), over plain numbers or quantities.
fn parse_range(pattern: &str) -> Option<(f64, f64, bool)> {
    let (low, high, inside) = if let Some((l, h)) = pattern.split_once("!-") {
        (l, h, false)
    } else {
        let idx = pattern.char_indices().skip(1).find(|&(_, c)| c == '-')?.0;
        (&pattern[..idx], &pattern[idx + 1..], true)
    };
    let low = parse_quantity(low.trim())?;
    let high = parse_quantity(high.trim())?;
    Some((low, high, inside))
}

fn number_of(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => parse_quantity(s),
        _ => None,
    }
}

fn compare_as_number(value: &Json, pattern: &str, op: Op) -> bool {
    let text = match value {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.clone(),
        _ => return false,
    };
    if let (Some(p), Some(v)) = (duration_of(pattern), duration_of(&text)) {
        return compare(v, p, op);
    }
    if let Some(p) = parse_quantity(pattern) {
        return match parse_quantity(&text) {
            Some(v) => compare(v, p, op),
            None => false,
        };
    }
    compare_as_string(value, pattern, op)
}

/// Durations need a unit: a bare number is a quantity, not a duration.
fn duration_of(text: &str) -> Option<f64> {
    if text.trim().parse::<f64>().is_ok() {
        return None;
    }
    parse_duration(text)
}

fn compare(value: f64, pattern: f64, op: Op) -> bool {
    match op {
        Op::Equal => quantities_equal(value, pattern),
        Op::NotEqual => !quantities_equal(value, pattern),
        Op::More => value > pattern,
        Op::Less => value < pattern,
        Op::MoreEqual => value >= pattern || quantities_equal(value, pattern),
        Op::LessEqual => value <= pattern || quantities_equal(value, pattern),
    }
}

fn compare_as_string(value: &Json, pattern: &str, op: Op) -> bool {
    let text = match value {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        _ => return false,
    };
    match op {
        Op::Equal => wildcard_match(pattern, &text),
        Op::NotEqual => !wildcard_match(pattern, &text),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;
    use serde_json::json;

    #[test]
    fn scalars_and_nulls() {
        assert!(matches(&json!(true), &json!(true)));
        assert!(!matches(&json!("true"), &json!(true)));
        assert!(matches(&json!(3), &json!(3)));
        assert!(matches(&json!("3"), &json!(3)));
        assert!(matches(&json!(null), &json!(null)));
        assert!(matches(&json!(""), &json!(null)));
        assert!(matches(&json!(false), &json!(null)));
        assert!(!matches(&json!("x"), &json!(null)));
    }

    #[test]
    fn wildcards_and_negation() {
        assert!(matches(&json!("nginx:1.0"), &json!("*:*")));
        assert!(!matches(&json!("nginx"), &json!("*:*")));
        assert!(matches(&json!("nginx:1.0"), &json!("!*:latest")));
        assert!(!matches(&json!("nginx:latest"), &json!("!*:latest")));
        assert!(matches(&json!("a"), &json!("?*")));
        assert!(!matches(&json!(""), &json!("?*")));
        assert!(!matches(&json!(null), &json!("?*")));
    }

    #[test]
    fn alternatives_and_conjunctions() {
        assert!(matches(&json!("Always"), &json!("Always | IfNotPresent")));
        assert!(!matches(&json!("Never"), &json!("Always|IfNotPresent")));
        assert!(matches(&json!(5), &json!(">1 & <10")));
        assert!(!matches(&json!(12), &json!(">1&<10")));
    }

    #[test]
    fn numeric_operators_quantities_and_durations() {
        assert!(matches(&json!(1000), &json!(">999")));
        assert!(matches(&json!(1000), &json!(">=1000")));
        assert!(!matches(&json!(1000), &json!("<1000")));
        assert!(matches(&json!("512Mi"), &json!("<=1Gi")));
        assert!(!matches(&json!("2Gi"), &json!("<=1Gi")));
        assert!(matches(&json!("500m"), &json!("<1")));
        assert!(matches(&json!("90s"), &json!(">1m")));
        assert!(!matches(&json!("30s"), &json!(">1m")));
        assert!(matches(&json!(0), &json!("!1")));
        assert!(!matches(&json!("abc"), &json!(">1")));
    }

    #[test]
    fn ranges() {
        assert!(matches(&json!(5), &json!("1-10")));
        assert!(!matches(&json!(11), &json!("1-10")));
        assert!(matches(&json!(11), &json!("1!-10")));
        assert!(!matches(&json!(5), &json!("1!-10")));
        assert!(matches(&json!("1.5Gi"), &json!("1Gi-2Gi")));
    }
}
