//! Positioned YAML trees to plain JSON values, done once per document: the engine
//! evaluates JSON, and keeps the `Node` only where an error must point at a line.

use std::sync::Arc;

use serde_json::{Map, Number, Value as Json};
use vigie_resource::{Node, Origin, Resource, SourceFile, Value};

/// The JSON value of a positioned YAML tree (positions dropped).
pub fn node_to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::Seq(items) => Json::Array(items.iter().map(node_to_json).collect()),
        Value::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for e in entries {
                map.insert(e.key.to_string(), node_to_json(&e.value));
            }
            Json::Object(map)
        }
    }
}

/// The resource `value` is, as if it were the one document of a file named
/// `source` (JSON held in memory has no file: `<cluster>`, `<admission
/// request>`); `None` when `value` is not a resource (no kind, no name...).
pub fn json_to_resource(value: &Json, source: &str) -> Option<Resource> {
    let origin = Origin {
        file: Arc::new(SourceFile {
            path: source.into(),
            rendered_by: None,
        }),
        document: 0,
        item: None,
        cluster: None,
    };
    Resource::from_node(json_to_node(value), origin).ok()
}

/// Builds a tree from JSON for code that works on positioned trees; positions
/// are unknown (0:0).
pub fn json_to_node(value: &Json) -> Node {
    let pos = vigie_resource::Pos::default();
    let v = match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.as_str().into()),
        Json::Array(items) => Value::Seq(items.iter().map(json_to_node).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| vigie_resource::Entry {
                    key: k.as_str().into(),
                    key_pos: pos,
                    value: json_to_node(v),
                })
                .collect(),
        ),
    };
    Node::new(v, pos)
}

/// Renders a scalar the way Go's `fmt` prints it in Kyverno messages.
pub fn display(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => "<nil>".to_string(),
        other => other.to_string(),
    }
}

/// The items of a JSON array; nothing for a value that is not an array or
/// is missing.
pub(crate) fn array_items(value: Option<&Json>) -> &[Json] {
    value
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The string at `key` of a JSON object; empty when it is missing or not a
/// string.
pub(crate) fn str_of<'a>(value: &'a Json, key: &str) -> &'a str {
    value.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// The strings of a JSON array (other items passed over); nothing for a value
/// that is not an array or is missing.
pub(crate) fn string_items(value: Option<&Json>) -> Vec<String> {
    array_items(value)
        .iter()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_nested_documents() {
        let docs = vigie_resource::parse_documents("a: [1, 2.5, x, null, true]\nb: {c: d}\n");
        let doc = docs.into_iter().next().unwrap().unwrap();
        let json = node_to_json(&doc.root);
        assert_eq!(
            json,
            serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {"c": "d"}})
        );
    }
}
