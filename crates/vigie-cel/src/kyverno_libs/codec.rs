//! Kyverno's json and yaml libraries: `json.unmarshal(text)`,
//! `json.marshal(value)` and `yaml.parse(text)`.
//!
//! Kyverno decodes into Go's untyped values, where every number is a
//! float64: numbers read here are doubles too, so that `type(...)` and
//! arithmetic agree with Kyverno (`json.unmarshal('1') == 1.0`). Writing
//! follows Go's `encoding/json`: object keys sorted, no spaces, integral
//! doubles without a fraction, and `<`, `>`, `&` escaped.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{CelString, DYN_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Key, Map};
use cel::{DeclarationError, Env, Value};
use serde_json::Value as Json;
use vigie_resource::Node;

use crate::library::value_result;
use crate::library::{err, one, owned, string_arg, R};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        "json.unmarshal",
        "kyverno_json_unmarshal_string",
        vec![STRING_TYPE],
        unmarshal,
    )?;
    env.add_overload(
        "json.marshal",
        "kyverno_json_marshal_dyn",
        vec![DYN_TYPE],
        marshal,
    )?;
    env.add_overload(
        "yaml.parse",
        "kyverno_yaml_parse_string",
        vec![STRING_TYPE],
        parse_yaml,
    )
}

fn string_key(k: &str) -> Key {
    Key::String(Arc::new(k.to_string()))
}

/// The value Kyverno's decoders give for `j`.
pub(super) fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(from_json).collect())),
        Json::Object(o) => {
            let map: HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (string_key(k), from_json(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// The value Kyverno's YAML decoder gives for `n` (YAML goes through JSON
/// there, so scalars are what JSON has).
fn from_node(n: &Node) -> Value {
    use vigie_resource::Value as Y;
    match &n.value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Int(i) => Value::Float(*i as f64),
        Y::Float(f) => Value::Float(*f),
        Y::String(s) => Value::String(Arc::new(s.to_string())),
        Y::Seq(items) => Value::List(Arc::new(items.iter().map(from_node).collect())),
        Y::Map(entries) => {
            let map: HashMap<Key, Value> = entries
                .iter()
                .map(|e| (string_key(&e.key), from_node(&e.value)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

fn unmarshal<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let text = string_arg(one(&args)?, "json.unmarshal")?;
    let parsed: Json = serde_json::from_str(text).map_err(|e| err("json.unmarshal", e))?;
    value_result(from_json(&parsed))
}

fn parse_yaml<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let text = string_arg(one(&args)?, "yaml.parse")?;
    // Go's decoder reads the first document of a stream.
    match vigie_resource::parse_documents(text).into_iter().next() {
        Some(Ok(doc)) => value_result(from_node(&doc.root)),
        Some(Err(e)) => Err(err("yaml.parse", format!("invalid YAML: {}", e.reason))),
        None => value_result(Value::Null),
    }
}

/// `j` with integral doubles as integers, as Go writes them.
fn go_numbers(j: Json) -> Json {
    match j {
        Json::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1.0e18 => {
                Json::Number((f as i64).into())
            }
            _ => Json::Number(n),
        },
        Json::Array(items) => Json::Array(items.into_iter().map(go_numbers).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}

fn marshal<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let value = crate::result::to_value(one(&args)?.as_ref())?;
    let j = crate::to_json(&value).map_err(|e| err("json.marshal", e))?;
    if let Json::Number(n) = &j {
        if n.as_f64().is_some_and(|f| !f.is_finite()) {
            return Err(err(
                "json.marshal",
                "unsupported value: not a finite number",
            ));
        }
    }
    let text = serde_json::to_string(&go_numbers(j)).map_err(|e| err("json.marshal", e))?;
    // These characters occur only inside strings in JSON text; Go escapes
    // them so that the text is safe inside HTML.
    let escaped = text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    owned(CelString::from(escaped))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn unmarshal_reads_numbers_as_doubles() {
        assert_eq!(
            json(r#"json.unmarshal('{"a": [1, "x", true, null], "b": {"c": 2.5}}')"#),
            json!({"a": [1.0, "x", true, null], "b": {"c": 2.5}})
        );
        assert_eq!(json("type(json.unmarshal('1')) == double"), json!(true));
        assert_eq!(json(r#"json.unmarshal('{"n": 3}').n == 3.0"#), json!(true));
    }

    #[test]
    fn unmarshal_rejects_bad_json() {
        assert!(eval("json.unmarshal('{')").is_err());
        assert!(eval("json.unmarshal('')").is_err());
        assert!(eval("json.unmarshal(1)").is_err());
    }

    #[test]
    fn marshal_writes_as_go_does() {
        assert_eq!(
            json(r#"json.marshal({"b": 1, "a": [1.0, 2.5, "x<y&z>"], "c": null})"#),
            json!(r#"{"a":[1,2.5,"x\u003cy\u0026z\u003e"],"b":1,"c":null}"#)
        );
        assert_eq!(json("json.marshal('s')"), json!(r#""s""#));
        assert_eq!(json("json.marshal(true)"), json!("true"));
        assert_eq!(
            json(r#"json.unmarshal(json.marshal({"k": [1, 2]})) == {"k": [1.0, 2.0]}"#),
            json!(true)
        );
    }

    #[test]
    fn yaml_parse_reads_the_first_document() {
        assert_eq!(
            json("yaml.parse('a: 1\\nb:\\n  - x\\n  - true\\n---\\nc: 2')"),
            json!({"a": 1.0, "b": ["x", true]})
        );
        assert_eq!(json("yaml.parse('') == null"), json!(true));
        assert!(eval("yaml.parse('a: [')").is_err());
        assert!(eval("yaml.parse(1)").is_err());
    }
}
