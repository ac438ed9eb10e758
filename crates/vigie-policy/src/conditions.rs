//! `preconditions` and `deny.conditions`: any/all lists of key-operator-value tests.

use serde_json::Value as Json;

use crate::jmes::{EvalError, Rcvar};
use crate::quantity::{parse_duration, parse_quantity, quantities_equal};
use crate::variables::{self, Missing};
use crate::wildcard;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    In,
    NotIn,
    AnyIn,
    AllIn,
    AnyNotIn,
    AllNotIn,
    GreaterThan,
    GreaterThanOrEquals,
    LessThan,
    LessThanOrEquals,
    DurationGreaterThan,
    DurationGreaterThanOrEquals,
    DurationLessThan,
    DurationLessThanOrEquals,
}

impl Operator {
    pub fn parse(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "Equals" | "Equal" => Equals,
            "NotEquals" | "NotEqual" => NotEquals,
            "In" => In,
            "NotIn" => NotIn,
            "AnyIn" => AnyIn,
            "AllIn" => AllIn,
            "AnyNotIn" => AnyNotIn,
            "AllNotIn" => AllNotIn,
            "GreaterThan" => GreaterThan,
            "GreaterThanOrEquals" => GreaterThanOrEquals,
            "LessThan" => LessThan,
            "LessThanOrEquals" => LessThanOrEquals,
            "DurationGreaterThan" => DurationGreaterThan,
            "DurationGreaterThanOrEquals" => DurationGreaterThanOrEquals,
            "DurationLessThan" => DurationLessThan,
            "DurationLessThanOrEquals" => DurationLessThanOrEquals,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Condition {
    pub key: Json,
    pub operator: Operator,
    pub value: Json,
    pub message: Option<String>,
}

/// `any` holds when one of its conditions holds (or it is empty); `all` when all do.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    pub any: Vec<Condition>,
    pub all: Vec<Condition>,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.all.is_empty()
    }
}

/// Evaluates the conditions; the message is that of the first condition that decided.
pub fn evaluate(
    conditions: &Conditions,
    data: &Rcvar,
    missing: Missing,
) -> Result<bool, EvalError> {
    for c in &conditions.all {
        if !evaluate_one(c, data, missing)? {
            return Ok(false);
        }
    }
    if conditions.any.is_empty() {
        return Ok(true);
    }
    for c in &conditions.any {
        if evaluate_one(c, data, missing)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn evaluate_one(c: &Condition, data: &Rcvar, missing: Missing) -> Result<bool, EvalError> {
    let key = variables::substitute(&c.key, data, missing)?;
    let value = variables::substitute(&c.value, data, missing)?;
    Ok(apply(c.operator, &key, &value))
}

pub fn apply(op: Operator, key: &Json, value: &Json) -> bool {
    use Operator::*;
    match op {
        Equals => equals(key, value),
        NotEquals => !equals(key, value),
        In => legacy_in(key, value),
        NotIn => !legacy_in(key, value),
        AnyIn => set_op(key, value, false, true),
        AllIn => set_op(key, value, true, true),
        AnyNotIn => set_op(key, value, false, false),
        AllNotIn => set_op(key, value, true, false),
        GreaterThan | GreaterThanOrEquals | LessThan | LessThanOrEquals => numeric(op, key, value),
        DurationGreaterThan
        | DurationGreaterThanOrEquals
        | DurationLessThan
        | DurationLessThanOrEquals => duration(op, key, value),
    }
}

/// Equality with wildcards in the value, and quantities and durations compared as such.
pub fn equals(key: &Json, value: &Json) -> bool {
    match (key, value) {
        (Json::String(k), _) => string_equals(k, value),
        (Json::Number(k), Json::Number(v)) => k.as_f64() == v.as_f64(),
        (Json::Number(k), Json::String(v)) => {
            v.parse::<f64>().ok() == k.as_f64()
                || parse_quantity(v)
                    .zip(k.as_f64())
                    .is_some_and(|(a, b)| quantities_equal(a, b))
        }
        (Json::Bool(k), Json::Bool(v)) => k == v,
        (Json::Bool(k), Json::String(v)) => v.parse::<bool>().ok() == Some(*k),
        (Json::Null, v) => v.is_null(),
        (Json::Array(_), _) | (Json::Object(_), _) => key == value,
        _ => false,
    }
}

fn string_equals(k: &str, value: &Json) -> bool {
    if let (Some(kd), Some(vd)) = (duration_of(k), value.as_str().and_then(duration_of)) {
        return kd == vd;
    }
    if let Some(kq) = parse_quantity(k) {
        match value {
            Json::String(v) => {
                if let Some(vq) = parse_quantity(v) {
                    return quantities_equal(kq, vq);
                }
            }
            Json::Number(n) => return n.as_f64().is_some_and(|v| quantities_equal(kq, v)),
            _ => {}
        }
    }
    match value {
        Json::String(v) => wildcard::matches(v, k),
        Json::Bool(b) => k == b.to_string(),
        _ => false,
    }
}

fn duration_of(s: &str) -> Option<f64> {
    if s.parse::<f64>().is_ok() {
        None
    } else {
        parse_duration(s)
    }
}

/// `In`/`NotIn` (deprecated): key (scalar or list) contained in the value list.
fn legacy_in(key: &Json, value: &Json) -> bool {
    match (key, value) {
        (Json::Array(keys), Json::Array(values)) => {
            keys.iter().all(|k| values.iter().any(|v| member(k, v)))
        }
        (k, Json::Array(values)) => values.iter().any(|v| member(k, v)),
        (Json::String(k), Json::String(v)) => {
            parse_list(v).map_or(k == v, |l| l.iter().any(|x| member(key, x)))
        }
        _ => false,
    }
}

/// A value written as a JSON list inside a string (`'["a","b"]'`), as Kyverno accepts.
fn parse_list(s: &str) -> Option<Vec<Json>> {
    match serde_json::from_str(s) {
        Ok(Json::Array(items)) => Some(items),
        _ => None,
    }
}

fn member(key: &Json, candidate: &Json) -> bool {
    match (key, candidate) {
        (Json::String(k), Json::String(c)) => {
            wildcard::matches(c, k) || string_equals(k, candidate)
        }
        _ => equals(key, candidate),
    }
}

fn as_list(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(items) => items.clone(),
        Json::String(s) => parse_list(s).unwrap_or_else(|| vec![v.clone()]),
        other => vec![other.clone()],
    }
}

/// AnyIn / AllIn / AnyNotIn / AllNotIn: `all` says every key item must satisfy,
/// `inside` whether the item must be in the value set or outside it. A value
/// that is a range `a-b` or `a!-b` tests numbers against the range.
fn set_op(key: &Json, value: &Json, all: bool, inside: bool) -> bool {
    // A value that is neither a list nor a string is the wrong type: never holds.
    if !matches!(value, Json::Array(_) | Json::String(_) | Json::Number(_)) {
        return false;
    }
    let keys = as_list(key);
    let values = as_list(value);
    if keys.is_empty() {
        return false;
    }
    let test = |k: &Json| {
        let found = values.iter().any(|v| member(k, v) || in_range(k, v));
        found == inside
    };
    if all {
        keys.iter().all(test)
    } else {
        keys.iter().any(test)
    }
}

fn in_range(key: &Json, value: &Json) -> bool {
    let Some(range) = value.as_str() else {
        return false;
    };
    let Some(k) = number_of(key) else {
        return false;
    };
    if let Some((lo, hi)) = range.split_once("!-") {
        return match (parse_quantity(lo), parse_quantity(hi)) {
            (Some(lo), Some(hi)) => k < lo || k > hi,
            _ => false,
        };
    }
    let Some(idx) = range
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '-')
        .map(|(i, _)| i)
    else {
        return false;
    };
    match (
        parse_quantity(&range[..idx]),
        parse_quantity(&range[idx + 1..]),
    ) {
        (Some(lo), Some(hi)) => k >= lo && k <= hi,
        _ => false,
    }
}

fn number_of(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => parse_quantity(s),
        _ => None,
    }
}

fn numeric(op: Operator, key: &Json, value: &Json) -> bool {
    // Durations first (both sides must be durations), then quantities and numbers,
    // then semantic versions compared as strings would be wrong, so Kyverno compares
    // other strings lexically only when both parse as versions.
    let ord = match (key, value) {
        (Json::String(k), Json::String(v))
            if duration_of(k).is_some() && duration_of(v).is_some() =>
        {
            duration_of(k).partial_cmp(&duration_of(v))
        }
        _ => match (number_of(key), number_of(value)) {
            (Some(k), Some(v)) => k.partial_cmp(&v),
            _ => None,
        },
    };
    let Some(ord) = ord else { return false };
    use std::cmp::Ordering::*;
    match op {
        Operator::GreaterThan => ord == Greater,
        Operator::GreaterThanOrEquals => ord != Less,
        Operator::LessThan => ord == Less,
        Operator::LessThanOrEquals => ord != Greater,
        _ => false,
    }
}

fn duration(op: Operator, key: &Json, value: &Json) -> bool {
    let seconds = |v: &Json| match v {
        Json::String(s) => parse_duration(s),
        Json::Number(n) => n.as_f64(),
        _ => None,
    };
    let (Some(k), Some(v)) = (seconds(key), seconds(value)) else {
        return false;
    };
    match op {
        Operator::DurationGreaterThan => k > v,
        Operator::DurationGreaterThanOrEquals => k >= v,
        Operator::DurationLessThan => k < v,
        Operator::DurationLessThanOrEquals => k <= v,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Operator::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn equals_with_wildcards_quantities_durations() {
        assert!(apply(Equals, &json!("nginx:1"), &json!("nginx:*")));
        assert!(!apply(Equals, &json!("redis"), &json!("nginx:*")));
        assert!(apply(Equals, &json!("1Gi"), &json!("1024Mi")));
        assert!(apply(Equals, &json!("1h"), &json!("60m")));
        assert!(apply(Equals, &json!(3), &json!(3)));
        assert!(apply(Equals, &json!(true), &json!(true)));
        assert!(apply(NotEquals, &json!("a"), &json!("b")));
        assert!(apply(Equals, &json!(null), &json!(null)));
        assert!(apply(Equals, &json!(["a"]), &json!(["a"])));
    }

    #[test]
    fn legacy_in_and_not_in() {
        assert!(apply(In, &json!("a"), &json!(["a", "b"])));
        assert!(apply(In, &json!(["a", "b"]), &json!(["a", "b", "c"])));
        assert!(!apply(In, &json!(["a", "z"]), &json!(["a", "b"])));
        assert!(apply(NotIn, &json!("z"), &json!(["a", "b"])));
    }

    #[test]
    fn set_operators() {
        assert!(apply(AnyIn, &json!(["a", "z"]), &json!(["a", "b"])));
        assert!(!apply(AllIn, &json!(["a", "z"]), &json!(["a", "b"])));
        assert!(apply(AllIn, &json!(["a", "b"]), &json!(["a", "b", "c"])));
        assert!(apply(AnyNotIn, &json!(["a", "z"]), &json!(["a", "b"])));
        assert!(!apply(AllNotIn, &json!(["a", "z"]), &json!(["a", "b"])));
        assert!(apply(AllNotIn, &json!(["x", "z"]), &json!(["a", "b"])));
        assert!(
            apply(AnyIn, &json!("kube-*"), &json!(["kube-system"]))
                || apply(AnyIn, &json!("kube-system"), &json!(["kube-*"]))
        );
        assert!(apply(AnyIn, &json!([8080]), &json!(["8000-9000"])));
        assert!(apply(AllNotIn, &json!([80]), &json!(["8000-9000"])));
        assert!(apply(AnyIn, &json!([80]), &json!(["8000!-9000"])));
        assert!(
            !apply(AnyNotIn, &json!("x"), &json!(null)),
            "a null set is the wrong type"
        );
    }

    #[test]
    fn numeric_and_duration_comparisons() {
        assert!(apply(GreaterThan, &json!(5), &json!(3)));
        assert!(apply(GreaterThan, &json!("2Gi"), &json!("1Gi")));
        assert!(!apply(LessThan, &json!("2Gi"), &json!("1Gi")));
        assert!(apply(GreaterThanOrEquals, &json!("3"), &json!(3)));
        assert!(apply(LessThanOrEquals, &json!(2), &json!("2")));
        assert!(apply(GreaterThan, &json!("2h"), &json!("90m")));
        assert!(!apply(GreaterThan, &json!("abc"), &json!(1)));
        assert!(apply(DurationGreaterThan, &json!("2h"), &json!("90m")));
        assert!(apply(DurationLessThanOrEquals, &json!("1h"), &json!("60m")));
        assert!(!apply(DurationLessThan, &json!("x"), &json!("60m")));
    }

    #[test]
    fn any_all_combination() {
        let cond = |op, k: Json, v: Json| Condition {
            key: k,
            operator: op,
            value: v,
            message: None,
        };
        let data = crate::jmes::to_var(&json!({}));
        let both = Conditions {
            any: vec![
                cond(Equals, json!("a"), json!("b")),
                cond(Equals, json!("a"), json!("a")),
            ],
            all: vec![cond(Equals, json!(1), json!(1))],
        };
        assert_eq!(evaluate(&both, &data, Missing::Error), Ok(true));
        let none = Conditions {
            any: vec![cond(Equals, json!("a"), json!("b"))],
            all: vec![],
        };
        assert_eq!(evaluate(&none, &data, Missing::Error), Ok(false));
        assert_eq!(
            evaluate(&Conditions::default(), &data, Missing::Error),
            Ok(true)
        );
    }
}
