//! Kyverno's transform library: `listObjToMap(keys, values, keyField,
//! valueField)` pairs two lists of objects of the same length into a map
//! from each key object's `keyField` (a string) to the value object's
//! `valueField` (null when absent). Later pairs win over earlier ones.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{LIST_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Key, Map};
use cel::{DeclarationError, Env, ExecutionError, Value};

use crate::library::value_result;
use crate::library::{err, string_arg, R};

const NAME: &str = "listObjToMap";

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let args = || vec![LIST_TYPE, LIST_TYPE, STRING_TYPE, STRING_TYPE];
    env.add_overload(NAME, "kyverno_list_obj_to_map", args(), list_obj_to_map)?;
    env.add_overload(
        "transform.listObjToMap",
        "kyverno_transform_list_obj_to_map",
        args(),
        list_obj_to_map,
    )
}

fn list(v: &CowVal<'_, '_>) -> Result<Arc<Vec<Value>>, ExecutionError> {
    match crate::result::to_value(v.as_ref())? {
        Value::List(items) => Ok(items),
        _ => Err(err(NAME, "expected a list")),
    }
}

fn field<'a>(object: &'a Value, name: &str) -> Result<Option<&'a Value>, ExecutionError> {
    match object {
        Value::Map(m) => Ok(m.map.get(&Key::String(Arc::new(name.to_string())))),
        _ => Err(err(NAME, "expected a list of objects")),
    }
}

fn list_obj_to_map<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let [keys, values, key_field, value_field] = args.as_slice() else {
        return Err(ExecutionError::invalid_argument_count(4, args.len()));
    };
    let (keys, values) = (list(keys)?, list(values)?);
    let key_field = string_arg(key_field, NAME)?;
    let value_field = string_arg(value_field, NAME)?;
    if keys.len() != values.len() {
        return Err(err(
            NAME,
            format!(
                "the lists must be of the same length, not {} and {}",
                keys.len(),
                values.len()
            ),
        ));
    }
    let mut out = HashMap::with_capacity(keys.len());
    for (k, v) in keys.iter().zip(values.iter()) {
        let key = match field(k, key_field)? {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(err(
                    NAME,
                    format!("the key objects' '{key_field}' must be a string"),
                ))
            }
        };
        let value = field(v, value_field)?.cloned().unwrap_or(Value::Null);
        out.insert(Key::String(key), value);
    }
    value_result(Value::Map(Map { map: Arc::new(out) }))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn pairs_the_lists() {
        assert_eq!(
            json("listObjToMap([{'name': 'a'}, {'name': 'b'}], [{'v': 1}, {'w': 2}], 'name', 'v')"),
            json!({"a": 1, "b": null})
        );
        assert_eq!(
            json(
                "transform.listObjToMap([{'k': 'x'}, {'k': 'x'}], [{'v': 1}, {'v': 2}], 'k', 'v')"
            ),
            json!({"x": 2})
        );
        assert_eq!(json("listObjToMap([], [], 'k', 'v')"), json!({}));
    }

    #[test]
    fn rejects_what_cannot_pair() {
        assert!(eval("listObjToMap([{'k': 'a'}], [], 'k', 'v')").is_err());
        assert!(eval("listObjToMap([{'k': 1}], [{'v': 1}], 'k', 'v')").is_err());
        assert!(eval("listObjToMap([{'j': 'a'}], [{'v': 1}], 'k', 'v')").is_err());
        assert!(eval("listObjToMap(['a'], [{'v': 1}], 'k', 'v')").is_err());
        assert!(eval("listObjToMap([{'k': 'a'}], ['b'], 'k', 'v')").is_err());
    }
}
