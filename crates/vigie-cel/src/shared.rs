//! Values bound in an activation: converted to the engine's form once, their
//! size bound measured in the same walk, and shared by reference count.
//!
//! A Kubernetes object is converted straight from JSON, and an evaluation's
//! result straight from the engine's value, without going through
//! [`Value`]: measured on the Pod Security CEL policies (bench/policy/
//! README.md), the intermediate copy and the separate measuring walk were
//! about a third of the time spent binding.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt, Kind,
};
use cel::common::value::Val;
use cel::Value;

use crate::cost::{SizeBound, SizeTree, MAX_MEASURE_DEPTH};
use crate::shared_map::SharedMap;
use crate::{result, EvalError};

/// A value in the engine's form and its size bound, measured once.
pub(crate) struct Bound {
    pub(crate) val: Box<dyn Val>,
    pub(crate) size: SizeTree,
}

/// A value converted to the engine's form once, which any number of
/// activations can bind without copying it: an evaluation's result that
/// several rules bind alike (a variable computed by the same expression).
#[derive(Clone)]
pub struct Shared(pub(crate) Arc<Bound>);

impl Shared {
    /// Converts `value` (and measures its size bound) once.
    pub fn new(value: Value) -> Result<Shared, EvalError> {
        Ok(Shared(Arc::new(from_value(value)?)))
    }

    /// Converts a JSON value (a Kubernetes object) once.
    pub fn from_json(value: &serde_json::Value) -> Shared {
        Shared(Arc::new(from_json(value, 0)))
    }
}

/// The bound of a [`Value`]: the engine's own conversion, except for the
/// values vigie-cel adds (type and network values).
fn from_value(value: Value) -> Result<Bound, EvalError> {
    let size = SizeTree::of(&value);
    let val: Box<dyn Val> = match result::from_value(&value) {
        Some(v) => v,
        None => value
            .try_into()
            .map_err(|e: cel::ExecutionError| EvalError::Runtime(e.to_string()))?,
    };
    Ok(Bound { val, size })
}

/// What `from_json` then [`from_value`] give, in one walk.
fn from_json(v: &serde_json::Value, depth: usize) -> Bound {
    if depth > MAX_MEASURE_DEPTH {
        // As measuring gives up at this depth: the value is converted the
        // ordinary way and bounded by the largest sizes.
        let val = crate::from_json(v)
            .try_into()
            .expect("every JSON value has an engine form");
        return Bound {
            val,
            size: SizeTree::unbounded(),
        };
    }
    match v {
        serde_json::Value::Null => scalar(CelNull),
        serde_json::Value::Bool(b) => scalar(CelBool::from(*b)),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => scalar(CelInt::from(i)),
            (None, Some(u)) => scalar(CelUInt::from(u)),
            _ => scalar(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        serde_json::Value::String(s) => Bound {
            size: SizeTree::text(s.len() as u64),
            val: Box::new(CelString::from(s.clone())),
        },
        serde_json::Value::Array(items) => {
            let bounds = items.iter().map(|x| from_json(x, depth + 1));
            list(bounds)
        }
        serde_json::Value::Object(fields) => {
            let mut entries = Vec::with_capacity(fields.len());
            let mut sizes = Vec::with_capacity(fields.len());
            for (k, x) in fields {
                let b = from_json(x, depth + 1);
                sizes.push((Some(k.as_str()), b.size));
                entries.push((CelString::from(k.clone()), b.val));
            }
            shared_map(entries, SizeTree::map_of(sizes.into_iter()))
        }
    }
}

/// The bound of a map with string keys: shared, not copied, when cloned.
fn shared_map(entries: Vec<(CelString<'static>, Box<dyn Val>)>, size: SizeTree) -> Bound {
    Bound {
        val: Box::new(SharedMap::new(entries, size.clone())),
        size,
    }
}

fn scalar(v: impl Val + 'static) -> Bound {
    Bound {
        val: Box::new(v),
        size: SizeTree::default(),
    }
}

fn list(bounds: impl Iterator<Item = Bound>) -> Bound {
    let mut vals = Vec::new();
    let mut elem: Option<SizeTree> = None;
    for b in bounds {
        match &mut elem {
            Some(e) => e.merge_from(&b.size),
            None => elem = Some(b.size),
        }
        vals.push(b.val);
    }
    Bound {
        size: crate::cost::list_of(vals.len() as u64, elem),
        val: Box::new(CelList::from(vals)),
    }
}

/// What [`result::to_value`] then [`from_value`] give for an evaluation's
/// result, without the intermediate [`Value`]: lists, maps and strings are
/// copied into values of their own (the result may borrow the activation);
/// anything else goes the ordinary way.
pub(crate) fn from_val(v: &dyn Val, depth: usize) -> Result<Bound, EvalError> {
    let ordinary = |v: &dyn Val| {
        result::to_value(v)
            .map_err(|e| EvalError::Runtime(e.to_string()))
            .and_then(from_value)
    };
    if depth > MAX_MEASURE_DEPTH {
        return ordinary(v);
    }
    match v.get_type().kind() {
        Kind::List => {
            let Some(items) = v.as_iterable() else {
                return ordinary(v);
            };
            let mut it = items.iter();
            let mut bounds = Vec::new();
            while let Some(x) = it.next() {
                bounds.push(from_val(x, depth + 1)?);
            }
            Ok(list(bounds.into_iter()))
        }
        Kind::Map => {
            if let Some(m) = v.downcast_ref::<SharedMap>() {
                // Shared, and its size measured when it was made.
                return Ok(Bound {
                    size: m.size().clone(),
                    val: Box::new(m.clone()),
                });
            }
            let Some(m) = v.downcast_ref::<CelMap>() else {
                return ordinary(v);
            };
            if m.inner().keys().all(|k| matches!(k, CelMapKey::String(_))) {
                let mut entries = Vec::with_capacity(m.inner().len());
                let mut sizes = Vec::with_capacity(m.inner().len());
                for (k, x) in m.inner() {
                    let b = from_val(x.as_ref(), depth + 1)?;
                    let CelMapKey::String(k) = k else {
                        continue;
                    };
                    sizes.push((Some(k.inner().to_string()), b.size));
                    entries.push((CelString::from(k.inner().to_string()), b.val));
                }
                let size = SizeTree::map_of(sizes.iter().map(|(k, t)| (k.as_deref(), t.clone())));
                return Ok(shared_map(entries, size));
            }
            let mut map = HashMap::with_capacity(m.inner().len());
            let mut sizes = Vec::with_capacity(m.inner().len());
            for (k, x) in m.inner() {
                let b = from_val(x.as_ref(), depth + 1)?;
                let key: CelMapKey<'static> = match k {
                    CelMapKey::String(s) => CelMapKey::from(s.inner().to_string()),
                    CelMapKey::Int(i) => CelMapKey::Int(*i),
                    CelMapKey::UInt(u) => CelMapKey::UInt(*u),
                    CelMapKey::Bool(b) => CelMapKey::Bool(*b),
                };
                sizes.push((key_name(&key), b.size));
                map.insert(key, b.val);
            }
            let size = SizeTree::map_of(sizes.iter().map(|(k, t)| (k.as_deref(), t.clone())));
            Ok(Bound {
                size,
                val: Box::new(CelMap::from(map)),
            })
        }
        Kind::String => match v.downcast_ref::<CelString>() {
            Some(s) => Ok(Bound {
                size: SizeTree::text(s.inner().len() as u64),
                val: Box::new(CelString::from(s.inner().to_string())),
            }),
            None => ordinary(v),
        },
        _ => ordinary(v),
    }
}

/// A map key's text, when it is a string (fields are looked up by name).
fn key_name(k: &CelMapKey<'_>) -> Option<String> {
    match k {
        CelMapKey::String(s) => Some(s.inner().to_string()),
        _ => None,
    }
}

impl SizeTree {
    /// The tree measuring gives up with (a value nested too deep).
    fn unbounded() -> SizeTree {
        SizeTree::flat(SizeBound {
            list: u64::MAX,
            string: u64::MAX,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {"containers": [
                {"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 8080}]},
                {"name": "sidecar-with-a-longer-name", "args": ["-v", "--x=1"]}
            ], "replicas": 3, "ratio": 0.5, "big": 18446744073709551615u64, "none": null}
        })
    }

    #[test]
    fn json_converts_as_through_value_in_one_walk() {
        let json = sample();
        let direct = from_json(&json, 0);
        let through = from_value(crate::from_json(&json)).unwrap();
        assert_eq!(direct.size, through.size);
        assert!(direct.val.equals(through.val.as_ref()));
        assert_eq!(
            result::to_value(direct.val.as_ref()).unwrap(),
            crate::from_json(&json)
        );
    }

    #[test]
    fn results_convert_as_through_value() {
        let value = crate::from_json(&sample());
        let engine: Box<dyn Val> = value.clone().try_into().unwrap();
        let direct = from_val(engine.as_ref(), 0).unwrap();
        let through = from_value(value.clone()).unwrap();
        assert_eq!(direct.size, through.size);
        assert_eq!(result::to_value(direct.val.as_ref()).unwrap(), value);
    }
}
