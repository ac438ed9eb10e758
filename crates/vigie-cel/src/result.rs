//! Converting an evaluation's result into a [`Value`]. The engine's own
//! conversion turns a type value into its name as a string (`type(1)` would
//! read `"int"`) and refuses values it does not know (the network library's);
//! this one keeps them apart, as [`TypeValue`] and the network values.

use std::sync::Arc;

use cel::common::types::{CelMap, CelType, Kind};
use cel::common::value::Val;
use cel::objects::{Key, Map, Opaque};
use cel::{ExecutionError, Value};

use crate::shared_map::SharedMap;
use crate::{k8s, kyverno, network};

/// A CEL type used as a value, such as `int` or the result of `type(x)`:
/// returned inside [`Value::Opaque`], as the engine's `Value` has no variant
/// for types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeValue(pub String);

impl Opaque for TypeValue {
    fn runtime_type_name(&self) -> &str {
        "type"
    }
}

/// The name of the type `v` stands for, when `v` is a type value.
pub fn type_name(v: &Value) -> Option<&str> {
    match v {
        Value::Opaque(o) => o.downcast_ref::<TypeValue>().map(|t| t.0.as_str()),
        _ => None,
    }
}

/// The engine form of a value [`to_value`] produced that the engine's own
/// conversion would not give back (a type value, a network value), so that
/// a result bound again as a variable behaves as it did.
pub(crate) fn from_value(v: &Value) -> Option<Box<dyn Val>> {
    let Value::Opaque(o) = v else {
        return None;
    };
    if let Some(t) = o.downcast_ref::<TypeValue>() {
        return Some(Box::new(CelType::new(t.0.clone())));
    }
    network::from_value(o)
        .or_else(|| kyverno::from_value(o))
        .or_else(|| k8s::from_value(o))
}

/// `v` as a [`Value`], type values and network values included, at any depth.
pub(crate) fn to_value(v: &dyn Val) -> Result<Value, ExecutionError> {
    match v.get_type().kind() {
        Kind::Type => match v.downcast_ref::<CelType>() {
            Some(t) => Ok(Value::Opaque(Arc::new(TypeValue(t.name().to_string())))),
            None => Value::try_from(v),
        },
        Kind::List => match v.as_iterable() {
            Some(items) => {
                let mut it = items.iter();
                let mut out = Vec::new();
                while let Some(x) = it.next() {
                    out.push(to_value(x)?);
                }
                Ok(Value::List(Arc::new(out)))
            }
            None => Value::try_from(v),
        },
        Kind::Map if v.downcast_ref::<SharedMap>().is_some() => {
            let map = v
                .downcast_ref::<SharedMap>()
                .into_iter()
                .flat_map(SharedMap::entries)
                .map(|(k, x)| Ok((Key::from(k), to_value(x)?)))
                .collect::<Result<_, ExecutionError>>()?;
            Ok(Value::Map(Map { map: Arc::new(map) }))
        }
        Kind::Map => match v.downcast_ref::<CelMap>() {
            Some(m) => {
                let map = m
                    .inner()
                    .iter()
                    .map(|(k, x)| Ok((Key::from(k.clone()), to_value(x.as_ref())?)))
                    .collect::<Result<_, ExecutionError>>()?;
                Ok(Value::Map(Map { map: Arc::new(map) }))
            }
            None => Value::try_from(v),
        },
        // Scalars: the engine's conversion, unless it is a network value.
        _ => match network::to_value(v)
            .or_else(|| kyverno::to_value(v))
            .or_else(|| k8s::to_value(v))
        {
            Some(x) => Ok(x),
            None => Value::try_from(v),
        },
    }
}
