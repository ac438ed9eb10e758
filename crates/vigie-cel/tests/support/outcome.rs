//! An evaluation's outcome as text, to compare two evaluators' answers: values
//! with their maps' entries in key order (the engine's maps have no order),
//! other values by their debug form (so NaN equals NaN), errors by their
//! message. Used by `tests/fast.rs` and by the fuzz target `cel_direct`
//! (`fuzz/fuzz_targets/cel_direct.rs` includes this file by its path).

use vigie_cel::{EvalError, Value};

/// The outcome as text: `ok VALUE` or `error MESSAGE`.
pub fn text(r: Result<Value, EvalError>) -> String {
    match r {
        Ok(v) => format!("ok {}", canonical(&v)),
        Err(e) => format!("error {e}"),
    }
}

/// `v` in a form where maps list their entries in key order.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("List[{}]", items.join(", "))
        }
        Value::Map(m) => {
            let mut entries: Vec<String> = m
                .map
                .iter()
                .map(|(k, x)| format!("{k:?}: {}", canonical(x)))
                .collect();
            entries.sort();
            format!("Map{{{}}}", entries.join(", "))
        }
        other => format!("{other:?}"),
    }
}
