//! `preconditions` and `deny.conditions`: any/all lists of key-operator-value tests.

use std::borrow::Cow;

use serde_json::Value as Json;
use vigie_resource::{has_wildcard, wildcard_match};

use crate::jmes::{Document, EvalError};
use crate::quantity::{parse_duration, parse_quantity, quantities_equal};
use crate::variables::{self, Missing};

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
    data: &Document<'_>,
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

fn evaluate_one(c: &Condition, data: &Document<'_>, missing: Missing) -> Result<bool, EvalError> {
    let key = variables::substitute_cow(&c.key, data, missing)?;
    let value = variables::substitute_cow(&c.value, data, missing)?;
    Ok(apply(c.operator, &key, &value))
}

pub fn apply(op: Operator, key: &Json, value: &Json) -> bool {
    use Operator::*;
    match op {
        Equals => equals(key, value),
        NotEquals => !equals(key, value),
        In => legacy_in(key, value, true),
        NotIn => legacy_in(key, value, false),
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
        Json::String(v) => wildcard_match(v, k),
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

// The membership operators follow Kyverno's rules:
//
// * Items are compared as text (a number 8080 and the string "8080" are the same item).
// * Between a key item and a value item, `*` and `?` are wildcards on either side:
//   a resource that grants verb `*` is "in" a list naming `bind`, and a resource
//   verb `bind` is in a list holding `b*`. Only `In`/`NotIn` with a list key
//   compare exactly (they are deprecated and Kyverno never gave them wildcards).
// * A value that is a string is a wildcard pattern for the whole key, a range
//   (`1-10`, `1!-10`), a JSON list of strings (`'["a","b"]'`, the shape of
//   ConfigMap data), or else one item. A value of any other type (a map, null)
//   makes the condition false, whatever the operator.

/// The key as a list of text items, and whether it was a list; `None` for a key
/// of a type the operators refuse (a map, null).
fn key_items(key: &Json) -> Option<(Vec<Cow<'_, str>>, bool)> {
    match key {
        Json::Array(items) => Some((items.iter().map(text_of).collect(), true)),
        Json::String(_) | Json::Number(_) | Json::Bool(_) => Some((vec![text_of(key)], false)),
        _ => None,
    }
}

/// An item as text, as Kyverno prints it; a string is borrowed (most items
/// are, and every condition of every rule reads them).
fn text_of(v: &Json) -> Cow<'_, str> {
    match v {
        Json::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// Whether two items match, wildcards allowed on either side. Whether the
/// key has wildcards is found once per key item, not for each value item it
/// is compared with: a key without any matches a value only if they are
/// equal, and then the value, as a pattern, matches the key too.
fn items_match(key: &str, key_is_pattern: bool, value: &str) -> bool {
    wildcard_match(value, key) || (key_is_pattern && wildcard_match(key, value))
}

/// Whether each key item is found in the value; `None` when the value has a type
/// the operator refuses. `numbers` accepts a lone number as a one-item set, as
/// AnyIn and AnyNotIn do for a list key.
fn found_items(
    keys: &[Cow<'_, str>],
    key_is_list: bool,
    value: &Json,
    numbers: bool,
) -> Option<Vec<bool>> {
    let in_items = |items: &[Cow<'_, str>]| -> Vec<bool> {
        keys.iter()
            .map(|k| {
                let key_is_pattern = has_wildcard(k);
                items.iter().any(|v| items_match(k, key_is_pattern, v))
            })
            .collect()
    };
    match value {
        Json::Array(items) => Some(in_items(&items.iter().map(text_of).collect::<Vec<_>>())),
        Json::Number(_) if key_is_list && numbers => Some(in_items(&[text_of(value)])),
        Json::String(v) => {
            if !key_is_list && wildcard_match(v, &keys[0]) {
                return Some(vec![true]);
            }
            if key_is_list && keys.len() == 1 && keys[0] == *v {
                return Some(vec![true]);
            }
            if is_range(v) {
                return Some(keys.iter().map(|k| in_range(k, v)).collect());
            }
            let parsed = serde_json::from_str::<Json>(v);
            let items: Vec<Cow<'_, str>> = match &parsed {
                Ok(Json::Array(items)) if items.iter().all(Json::is_string) => {
                    items.iter().map(text_of).collect()
                }
                // Valid JSON that is not a list of strings: the wrong type.
                Ok(_) => return None,
                Err(_) => vec![Cow::Borrowed(v)],
            };
            if key_is_list {
                Some(in_items(&items))
            } else {
                // A scalar key against a list held in a string is compared exactly.
                Some(vec![items.contains(&keys[0])])
            }
        }
        _ => None,
    }
}

/// `In`/`NotIn` (deprecated). A scalar key is found as with `AnyIn`; a list key
/// holds when every item is exactly in the value list (for `In`) or when one is not
/// (for `NotIn`).
fn legacy_in(key: &Json, value: &Json, inside: bool) -> bool {
    let Some((keys, key_is_list)) = key_items(key) else {
        return false;
    };
    if !key_is_list {
        return match found_items(&keys, false, value, false) {
            Some(found) => found[0] == inside,
            None => false,
        };
    }
    let parsed;
    let values: Vec<Cow<'_, str>> = match value {
        Json::Array(items) if items.iter().all(Json::is_string) => {
            items.iter().map(text_of).collect()
        }
        // Kyverno answers "in" for a one-item key equal to the string, for NotIn too.
        Json::String(v) if keys.len() == 1 && keys[0] == *v => return true,
        Json::String(v) => {
            parsed = serde_json::from_str::<Json>(v);
            match &parsed {
                Ok(Json::Array(items)) if items.iter().all(Json::is_string) => {
                    items.iter().map(text_of).collect()
                }
                _ => return false,
            }
        }
        _ => return false,
    };
    let missing = keys.iter().any(|k| !values.contains(k));
    if inside {
        !missing
    } else {
        missing
    }
}

/// AnyIn / AllIn / AnyNotIn / AllNotIn: `all` says every key item must satisfy,
/// `inside` whether the item must be in the value set or outside it.
fn set_op(key: &Json, value: &Json, all: bool, inside: bool) -> bool {
    let Some((keys, key_is_list)) = key_items(key) else {
        return false;
    };
    let Some(found) = found_items(&keys, key_is_list, value, !all) else {
        return false;
    };
    if all {
        found.iter().all(|f| *f == inside)
    } else {
        found.contains(&inside)
    }
}

/// A range of numbers or quantities: `lo-hi` (inside) or `lo!-hi` (outside).
fn is_range(s: &str) -> bool {
    let (lo, hi) = match s.split_once("!-") {
        Some(parts) => parts,
        None => match s.char_indices().skip(1).find(|&(_, c)| c == '-') {
            Some((i, _)) => (&s[..i], &s[i + 1..]),
            None => return false,
        },
    };
    parse_quantity(lo).is_some() && parse_quantity(hi).is_some()
}

fn in_range(key: &str, range: &str) -> bool {
    let Some(k) = parse_quantity(key) else {
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
        // Ranges are written as the whole value, as Kyverno reads them.
        assert!(apply(AnyIn, &json!([8080]), &json!("8000-9000")));
        assert!(apply(AllNotIn, &json!([80]), &json!("8000-9000")));
        assert!(apply(AnyIn, &json!([80]), &json!("8000!-9000")));
        assert!(apply(AnyIn, &json!("8080"), &json!("8000-9000")));
        assert!(
            !apply(AnyNotIn, &json!("x"), &json!(null)),
            "a null set is the wrong type"
        );
    }

    #[test]
    fn wildcards_in_the_resource_value_count_for_every_set_operator() {
        // A Role granting verb `*` grants `bind`: it is in a list naming `bind`.
        let verbs = json!(["*"]);
        let risky = json!(["bind", "escalate", "impersonate"]);
        assert!(apply(AnyIn, &verbs, &risky));
        assert!(apply(AllIn, &verbs, &risky));
        assert!(!apply(AllNotIn, &verbs, &risky));
        assert!(!apply(AnyNotIn, &verbs, &risky));
        // A scalar key works the same way, and patterns in the value still match.
        assert!(apply(AnyIn, &json!("*"), &risky));
        assert!(!apply(AnyNotIn, &json!("*"), &risky));
        assert!(apply(AnyIn, &json!(["get", "list"]), &json!(["g*"])));
        assert!(apply(AnyNotIn, &json!(["get", "list"]), &json!(["g*"])));
        assert!(!apply(AllIn, &json!(["get", "list"]), &json!(["g*"])));
        assert!(apply(AllNotIn, &json!(["watch"]), &json!(["g*", "l?st"])));
        // A partial pattern in the resource value: `secret*` covers `secrets`.
        assert!(apply(AnyIn, &json!(["secret*"]), &json!(["secrets"])));
        // The deprecated In: a scalar key matches patterns either side, a list key
        // compares exactly.
        assert!(apply(In, &json!("*"), &json!(["bind"])));
        assert!(!apply(NotIn, &json!("*"), &json!(["bind"])));
        assert!(!apply(In, &json!(["*"]), &json!(["bind"])));
        assert!(apply(NotIn, &json!(["*"]), &json!(["bind"])));
    }

    #[test]
    fn set_operator_values_given_as_strings_and_wrong_types() {
        // A JSON list in a string (ConfigMap data).
        assert!(apply(AnyIn, &json!(["b"]), &json!("[\"a\",\"b\"]")));
        assert!(apply(AllNotIn, &json!(["z"]), &json!("[\"a\",\"b\"]")));
        // A plain string is one item, or a pattern for a scalar key.
        assert!(apply(AnyIn, &json!("kube-system"), &json!("kube-*")));
        assert!(apply(AllIn, &json!(["a"]), &json!("a")));
        // Numbers are compared as text.
        assert!(apply(AnyIn, &json!([8080]), &json!(["8080"])));
        assert!(apply(AnyIn, &json!([1]), &json!(1)));
        assert!(!apply(AllIn, &json!([1]), &json!(1)));
        // Maps and null are the wrong type: false for every operator.
        for op in [AnyIn, AllIn, AnyNotIn, AllNotIn, In, NotIn] {
            assert!(!apply(op, &json!(["a"]), &json!({"a": 1})), "{op:?}");
            assert!(!apply(op, &json!({"a": 1}), &json!(["a"])), "{op:?}");
        }
        // An empty key: nothing is in, and all (none) of it is.
        assert!(!apply(AnyIn, &json!([]), &json!(["a"])));
        assert!(apply(AllIn, &json!([]), &json!(["a"])));
        assert!(apply(AllNotIn, &json!([]), &json!(["a"])));
        assert!(!apply(AnyNotIn, &json!([]), &json!(["a"])));
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
        let data = Document::new(crate::jmes::to_var(&json!({})));
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
