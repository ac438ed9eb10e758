//! Conversions between JSON (how Kubernetes objects arrive) and CEL values.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::Value;

use crate::network::{Cidr, Ip};
use crate::result::TypeValue;

/// A CEL value that has no JSON form (a function, an opaque value...).
#[derive(Debug, thiserror::Error)]
#[error("CEL value has no JSON form: {0}")]
pub struct ToJsonError(pub String);

/// The CEL value of a JSON value: integers that fit `int` become `int`,
/// other numbers `double`, objects become maps with string keys.
pub fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(from_json).collect())),
        serde_json::Value::Object(o) => {
            let map: HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), from_json(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// The JSON form of a CEL value (bytes as base64, durations in seconds,
/// timestamps as RFC 3339 text).
///
/// Type values and the network library's values are written as their text
/// (`"int"`, `"10.0.0.1"`, `"10.0.0.0/8"`).
pub fn to_json(v: &Value) -> Result<serde_json::Value, ToJsonError> {
    match v {
        Value::Opaque(o) => {
            if let Some(t) = o.downcast_ref::<TypeValue>() {
                return Ok(serde_json::Value::String(t.0.clone()));
            }
            if let Some(ip) = o.downcast_ref::<Ip>() {
                return Ok(serde_json::Value::String(ip.0.to_string()));
            }
            if let Some(c) = o.downcast_ref::<Cidr>() {
                return Ok(serde_json::Value::String(c.to_string()));
            }
            v.json().map_err(|e| ToJsonError(e.to_string()))
        }
        Value::List(l) => Ok(serde_json::Value::Array(
            l.iter().map(to_json).collect::<Result<_, _>>()?,
        )),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m.map.iter() {
                let key = match k {
                    Key::String(s) => s.to_string(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(x)?);
            }
            Ok(serde_json::Value::Object(out))
        }
        _ => v.json().map_err(|e| ToJsonError(e.to_string())),
    }
}
