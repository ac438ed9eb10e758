//! Values bound in an activation: converted to the engine's form once, their
//! size bound measured in the same walk, and shared by reference count.
//!
//! A Kubernetes object is converted straight from JSON, and an evaluation's
//! result straight from the engine's value, without going through
//! [`Value`]: measured on the Pod Security CEL policies (bench/policy/
//! README.md), the intermediate copy and the separate measuring walk were
//! about a third of the time spent binding.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt, Kind,
};
use cel::common::value::Val;
use cel::Value;

use crate::cost::{SizeBound, SizeTree, MAX_MEASURE_DEPTH};
use crate::shared_map::SharedMap;
use crate::{result, EvalError};

/// A value in the engine's form, the longest list and string anywhere in
/// it (measured when converted), and its size tree (measured on first need).
///
/// Evaluating needs only the longest list and string (the cached flat cost
/// bound, [`crate::Program`]); the tree is for the precise estimate, which
/// runs only when the flat bound is over the limit. Measuring the tree of
/// every object converted was a tenth of the Pod Security CEL policies'
/// instructions (bench/policy/README.md).
pub(crate) struct Bound {
    pub(crate) val: Box<dyn Val>,
    pub(crate) deep: SizeBound,
    tree: OnceLock<SizeTree>,
}

impl Bound {
    /// `val`, whose longest list and string are `deep`.
    pub(crate) fn new(val: Box<dyn Val>, deep: SizeBound) -> Bound {
        Bound {
            val,
            deep,
            tree: OnceLock::new(),
        }
    }

    /// `val`, whose size tree is already measured.
    fn measured(val: Box<dyn Val>, tree: SizeTree) -> Bound {
        Bound {
            val,
            deep: tree.deep,
            tree: OnceLock::from(tree),
        }
    }

    /// The value's size tree, measured once.
    pub(crate) fn size(&self) -> &SizeTree {
        self.tree.get_or_init(|| measure(self.val.as_ref(), 0))
    }
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
    Ok(Bound::measured(val, size))
}

/// What `from_json` then [`from_value`] give, in one walk.
fn from_json(v: &serde_json::Value, depth: usize) -> Bound {
    if depth > MAX_MEASURE_DEPTH {
        // As measuring gives up at this depth: the value is converted the
        // ordinary way and bounded by the largest sizes.
        let val = crate::from_json(v)
            .try_into()
            .expect("every JSON value has an engine form");
        return Bound::measured(val, SizeTree::unbounded());
    }
    match v {
        serde_json::Value::Null => scalar(CelNull),
        serde_json::Value::Bool(b) => scalar(CelBool::from(*b)),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => scalar(CelInt::from(i)),
            (None, Some(u)) => scalar(CelUInt::from(u)),
            _ => scalar(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        serde_json::Value::String(s) => text(string(s)),
        serde_json::Value::Array(items) => {
            let bounds = items.iter().map(|x| from_json(x, depth + 1));
            list(bounds)
        }
        serde_json::Value::Object(fields) => {
            let mut entries = Vec::with_capacity(fields.len());
            let mut deep = SizeBound {
                list: fields.len() as u64,
                string: 0,
            };
            for (k, x) in fields {
                let b = from_json(x, depth + 1);
                deep = deep.max(b.deep).max(SizeBound {
                    list: 0,
                    string: k.len() as u64,
                });
                entries.push((string(k), b.val));
            }
            shared_map(entries, deep)
        }
    }
}

/// `s` as an engine string: borrowed when it is a well-known string of
/// Kubernetes objects (`crate::keys`), else copied.
fn string(s: &str) -> CelString<'static> {
    match crate::keys::intern(s) {
        Some(k) => CelString::from(k),
        None => CelString::from(s.to_string()),
    }
}

/// The bound of a map with string keys: shared, not copied, when cloned.
fn shared_map(entries: Vec<(CelString<'static>, Box<dyn Val>)>, deep: SizeBound) -> Bound {
    Bound::new(Box::new(SharedMap::new(entries, deep)), deep)
}

fn scalar(v: impl Val + 'static) -> Bound {
    Bound::new(Box::new(v), SizeBound::default())
}

fn text(s: CelString<'static>) -> Bound {
    let deep = SizeBound {
        list: 0,
        string: s.inner().len() as u64,
    };
    Bound::new(Box::new(s), deep)
}

/// The bound of a list of the values `bounds`.
pub(crate) fn list(bounds: impl Iterator<Item = Bound>) -> Bound {
    let mut vals = Vec::new();
    let mut deep = SizeBound::default();
    for b in bounds {
        deep = deep.max(b.deep);
        vals.push(b.val);
    }
    deep = deep.max(SizeBound {
        list: vals.len() as u64,
        string: 0,
    });
    Bound::new(Box::new(CelList::from(vals)), deep)
}

/// What [`result::to_value`] then [`from_value`] give for an evaluation's
/// result, without the intermediate [`Value`]: lists, maps and strings are
/// copied into values of their own (the result may borrow the activation),
/// except shared maps, which are shared; anything else goes the ordinary
/// way.
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
                return Ok(Bound::new(Box::new(m.clone()), m.deep()));
            }
            let Some(m) = v.downcast_ref::<CelMap>() else {
                return ordinary(v);
            };
            let string_keys = m.inner().keys().all(|k| matches!(k, CelMapKey::String(_)));
            let mut deep = SizeBound {
                list: m.inner().len() as u64,
                string: 0,
            };
            let mut strings = Vec::new();
            let mut others = HashMap::new();
            for (k, x) in m.inner() {
                let b = from_val(x.as_ref(), depth + 1)?;
                deep = deep.max(b.deep);
                match k {
                    CelMapKey::String(s) => {
                        deep = deep.max(SizeBound {
                            list: 0,
                            string: s.inner().len() as u64,
                        });
                        if string_keys {
                            strings.push((string(s.inner()), b.val));
                        } else {
                            others.insert(CelMapKey::from(s.inner().to_string()), b.val);
                        }
                    }
                    CelMapKey::Int(i) => {
                        others.insert(CelMapKey::Int(*i), b.val);
                    }
                    CelMapKey::UInt(u) => {
                        others.insert(CelMapKey::UInt(*u), b.val);
                    }
                    CelMapKey::Bool(x) => {
                        others.insert(CelMapKey::Bool(*x), b.val);
                    }
                }
            }
            if string_keys {
                return Ok(shared_map(strings, deep));
            }
            Ok(Bound::new(Box::new(CelMap::from(others)), deep))
        }
        Kind::String => match v.downcast_ref::<CelString>() {
            Some(s) => Ok(text(string(s.inner()))),
            None => ordinary(v),
        },
        _ => ordinary(v),
    }
}

/// The size tree of an engine value: what [`SizeTree::of`] gives for its
/// [`Value`], without converting it (a shared map's tree is measured once
/// and kept with it).
pub(crate) fn measure(v: &dyn Val, depth: usize) -> SizeTree {
    if depth > MAX_MEASURE_DEPTH {
        return SizeTree::unbounded();
    }
    if let Some(m) = v.downcast_ref::<SharedMap>() {
        return m.size().clone();
    }
    match v.get_type().kind() {
        Kind::List => {
            let Some(items) = v.as_iterable() else {
                return SizeTree::default();
            };
            let mut it = items.iter();
            let mut len = 0u64;
            let mut elem: Option<SizeTree> = None;
            while let Some(x) = it.next() {
                len += 1;
                let t = measure(x, depth + 1);
                match &mut elem {
                    Some(e) => e.merge_from(&t),
                    None => elem = Some(t),
                }
            }
            crate::cost::list_of(len, elem)
        }
        Kind::Map => match v.downcast_ref::<CelMap>() {
            Some(m) => SizeTree::map_of(m.inner().iter().map(|(k, x)| {
                let key = match k {
                    CelMapKey::String(s) => Some(s.inner()),
                    _ => None,
                };
                (key, measure(x.as_ref(), depth + 1))
            })),
            None => SizeTree::default(),
        },
        Kind::String => v
            .downcast_ref::<CelString>()
            .map_or_else(
                SizeTree::default,
                |s| SizeTree::text(s.inner().len() as u64),
            ),
        Kind::Bytes => v
            .downcast_ref::<cel::common::types::CelBytes>()
            .map_or_else(
                SizeTree::default,
                |s| SizeTree::text(s.inner().len() as u64),
            ),
        _ => SizeTree::default(),
    }
}

impl SizeTree {
    /// The tree measuring gives up with (a value nested too deep).
    pub(crate) fn unbounded() -> SizeTree {
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
        assert_eq!(direct.size(), through.size());
        assert_eq!(direct.deep, through.deep);
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
        assert_eq!(direct.size(), through.size());
        assert_eq!(direct.deep, through.deep);
        assert_eq!(result::to_value(direct.val.as_ref()).unwrap(), value);
    }
}
