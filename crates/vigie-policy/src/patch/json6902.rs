//! `patchesJson6902`: RFC 6902 operations written as YAML or JSON text, applied with
//! the options Kyverno sets: negative array indexes count from the end, removing a
//! path that is not there does nothing, and `add` creates the missing parents.

use serde_json::{Map, Value as Json};

/// Why a JSON patch could not be read or applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonPatchError {
    /// The text is not a list of operations.
    #[error("patchesJson6902 is not a list of operations: {0}")]
    Parse(String),
    /// One operation failed.
    #[error("operation {index} ({op} {path}): {reason}")]
    Apply {
        /// Its position in the list, from 0.
        index: usize,
        /// Its `op`.
        op: String,
        /// Its `path`.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Reads the operations: JSON when the text starts with `[`, YAML otherwise.
pub fn parse(text: &str) -> Result<Vec<Json>, JsonPatchError> {
    let value = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Json>(text).map_err(|e| JsonPatchError::Parse(e.to_string()))?
    } else {
        let docs = vigie_resource::parse_documents(text);
        let first = docs.into_iter().next();
        match first {
            None => Json::Array(Vec::new()),
            Some(Ok(doc)) => crate::json::node_to_json(&doc.root),
            Some(Err(e)) => {
                return Err(JsonPatchError::Parse(format!(
                    "line {}: {}",
                    e.pos.line.max(1),
                    e.reason
                )))
            }
        }
    };
    match value {
        Json::Array(ops) if ops.iter().all(Json::is_object) => Ok(ops),
        Json::Null => Ok(Vec::new()),
        other => Err(JsonPatchError::Parse(format!(
            "expected a list of maps, found {}",
            crate::json::display(&other)
        ))),
    }
}

/// Applies the operations in order to `object`.
pub fn apply(object: Json, ops: &[Json]) -> Result<Json, JsonPatchError> {
    let mut doc = object;
    for (index, op) in ops.iter().enumerate() {
        let field = |k: &str| {
            op.get(k)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (name, path) = (field("op"), field("path"));
        let fail = |reason: String| JsonPatchError::Apply {
            index,
            op: name.clone(),
            path: path.clone(),
            reason,
        };
        let mut op = op.clone();
        if name == "add" {
            ensure_parents(&mut doc, &path);
        }
        for key in ["path", "from"] {
            if let Some(Json::String(p)) = op.get(key) {
                // `add` at index -1 inserts after the last element; elsewhere -1 is the last.
                let resolved = resolve_negative(&doc, p, key == "path" && name == "add");
                op[key] = Json::String(resolved);
            }
        }
        let resolved_path = op
            .get("path")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        if name == "remove" && pointer(&doc, &resolved_path).is_none() {
            continue;
        }
        let operation: json_patch::PatchOperation =
            serde_json::from_value(op).map_err(|e| fail(e.to_string()))?;
        json_patch::patch(&mut doc, &[operation]).map_err(|e| fail(e.to_string()))?;
    }
    Ok(doc)
}

fn tokens(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn pointer<'a>(doc: &'a Json, path: &str) -> Option<&'a Json> {
    if path.is_empty() {
        return Some(doc);
    }
    doc.pointer(path)
}

/// `/spec/containers/-1/image` -> `/spec/containers/2/image` for a list of three.
/// With `insert`, the last token counts one further (an insertion point).
fn resolve_negative(doc: &Json, path: &str, insert: bool) -> String {
    if !path.contains("/-") {
        return path.to_string();
    }
    let tokens = tokens(path);
    let mut node = Some(doc);
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut token = token.clone();
        if let (Some(Json::Array(items)), Ok(index)) = (node, token.parse::<i64>()) {
            if index < 0 {
                let extra = i64::from(insert && i + 1 == tokens.len());
                let len = items.len() as i64 + extra;
                if len + index >= 0 {
                    token = (len + index).to_string();
                }
            }
        }
        node = node.and_then(|n| match n {
            Json::Object(m) => m.get(&token),
            Json::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        });
        out.push('/');
        out.push_str(&escape(&token));
    }
    out
}

/// The most elements `add` pads a list with to reach an index past its end.
const MAX_PADDING: usize = 10_000;

/// Creates the missing parents of `path`: a list where the next token is an index
/// or `-`, a map otherwise (a list is padded with nulls up to an index past its end).
fn ensure_parents(doc: &mut Json, path: &str) {
    let tokens = tokens(path);
    let Some((_, parents)) = tokens.split_last() else {
        return;
    };
    let mut node = doc;
    for (i, token) in parents.iter().enumerate() {
        let next = &tokens[i + 1];
        let next_is_index = next == "-" || next.parse::<i64>().is_ok();
        let fresh = || {
            if next_is_index {
                Json::Array(Vec::new())
            } else {
                Json::Object(Map::new())
            }
        };
        node = match node {
            Json::Object(m) => m.entry(token.clone()).or_insert_with(fresh),
            Json::Array(items) => {
                let len = items.len() as i64;
                let index = match token.as_str() {
                    "-" => len,
                    t => match t.parse::<i64>() {
                        Ok(i) if i < 0 && i + len >= 0 => i + len,
                        Ok(-1) => len,
                        Ok(i) if i >= 0 => i,
                        _ => return,
                    },
                };
                let index = index as usize;
                if index >= items.len() {
                    if index - items.len() > MAX_PADDING {
                        return;
                    }
                    items.resize(index, Json::Null);
                    items.push(fresh());
                }
                &mut items[index]
            }
            _ => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_operations_with_kyverno_options() {
        let ops = parse(
            "- op: add\n  path: /metadata/labels/team\n  value: a\n- op: remove\n  path: /spec/missing\n- op: replace\n  path: /spec/list/-1\n  value: z\n",
        )
        .unwrap();
        let out = apply(json!({"metadata": {}, "spec": {"list": ["x", "y"]}}), &ops).unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"team": "a"}}, "spec": {"list": ["x", "z"]}})
        );
    }

    #[test]
    fn json_text_and_a_failing_operation() {
        let ops = parse(r#"[{"op": "replace", "path": "/nope", "value": 1}]"#).unwrap();
        let err = apply(json!({}), &ops).unwrap_err();
        assert!(
            err.to_string().starts_with("operation 0 (replace /nope)"),
            "{err}"
        );
        assert!(parse("a: b").is_err());
    }

    #[test]
    fn add_at_minus_one_creates_nested_lists() {
        let ops = parse(r#"[{"op": "add", "path": "/a/terms/-1/exprs/-1", "value": 1}]"#).unwrap();
        let out = apply(json!({}), &ops).unwrap();
        assert_eq!(out, json!({"a": {"terms": [{"exprs": [1]}]}}));
        let out = apply(json!({"a": {"terms": [{"exprs": [0]}]}}), &ops).unwrap();
        assert_eq!(out, json!({"a": {"terms": [{"exprs": [0, 1]}]}}));
    }

    #[test]
    fn add_appends_with_dash_and_creates_lists() {
        let ops = parse(r#"[{"op": "add", "path": "/spec/tolerations/-", "value": {"key": "k"}}]"#)
            .unwrap();
        let out = apply(json!({"spec": {}}), &ops).unwrap();
        assert_eq!(out, json!({"spec": {"tolerations": [{"key": "k"}]}}));
    }
}
