//! `{{ expression }}` substitution. A string that is one whole variable becomes the
//! value itself (any type); variables inside a longer string are rendered as text.
//! Inner variables are resolved first, so `{{ a.{{ b }} }}` works as in Kyverno.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use serde_json::Value as Json;

use crate::jmes::limits::MAX_STRING_BYTES;
use crate::jmes::{Document, EvalError, Expr};

/// Expressions compiled once for the whole process, keyed by their text.
static COMPILED: LazyLock<RwLock<HashMap<String, Arc<Expr>>>> = LazyLock::new(Default::default);

pub(crate) fn compile_cached(source: &str) -> Result<Arc<Expr>, String> {
    if let Some(expr) = COMPILED
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(source)
    {
        return Ok(expr.clone());
    }
    let expr = Arc::new(Expr::compile(source)?);
    COMPILED
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(source.to_string(), expr.clone());
    Ok(expr)
}

/// How a path that leads nowhere is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// An error naming the variable (validate patterns, deny conditions, messages).
    Error,
    /// An empty string (preconditions, as Kyverno does).
    EmptyString,
}

/// Finds the innermost `{{ ... }}` in `s`: byte range of the braces and of the expression.
fn innermost(s: &str) -> Option<(usize, usize)> {
    // Byte scans: cheaper than substring searches for these short strings, and
    // the braces are ASCII, so every position found is a char boundary.
    let bytes = s.as_bytes();
    let close = bytes.windows(2).position(|pair| pair == b"}}")?;
    let open = bytes[..close].windows(2).rposition(|pair| pair == b"{{")?;
    Some((open, close + 2))
}

/// Whether `s` holds `{{`: a byte scan, cheaper than a substring search for the
/// short strings of patterns and conditions, which are checked on every request.
pub(crate) fn has_open_braces(s: &str) -> bool {
    s.as_bytes().windows(2).any(|pair| pair == b"{{")
}

pub fn has_variables(s: &str) -> bool {
    innermost(s).is_some()
}

/// Every expression inside `{{ }}` in a string, for checking at load time.
pub fn expressions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = s.to_string();
    while let Some((open, end)) = innermost(&text) {
        let inner = text[open + 2..end - 2].trim().to_string();
        if !inner.contains("{{") {
            out.push(inner);
        }
        text.replace_range(open..end, "x");
    }
    out
}

fn render(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

fn is_escaped(s: &str, open: usize) -> bool {
    open > 0 && s.as_bytes()[open - 1] == b'\\'
}

/// The most variables substituted in one string. The text is scanned again after
/// each one (inner variables first, as Kyverno does), so a value holding a variable
/// is substituted too, and a value that names itself would never end.
pub const MAX_SUBSTITUTIONS: usize = 1000;

pub fn substitute_str(s: &str, data: &Document<'_>, missing: Missing) -> Result<Json, EvalError> {
    if !has_open_braces(s) {
        return Ok(Json::String(s.to_string()));
    }
    // The common case, a string that is one variable (`{{ request.object.x }}`),
    // is its value: no copy of the text to rewrite.
    if let Some((0, end)) = innermost(s) {
        if end == s.len() && end <= MAX_STRING_BYTES {
            return variable_value(s[2..end - 2].trim(), data, missing);
        }
    }
    let mut text = s.to_string();
    let mut protected: Vec<String> = Vec::new();
    let mut substitutions = 0;
    while let Some((open, end)) = innermost(&text) {
        substitutions += 1;
        if substitutions > MAX_SUBSTITUTIONS {
            return Err(EvalError::Failed(format!(
                "variable substitution stopped after the limit of {MAX_SUBSTITUTIONS} variables \
                 in one string (does a value refer to itself?)"
            )));
        }
        if text.len() > MAX_STRING_BYTES {
            return Err(EvalError::Failed(format!(
                "variable substitution stopped: the text grew past the {MAX_STRING_BYTES}-byte limit"
            )));
        }
        if is_escaped(&text, open) {
            // `\{{ x }}` stays literal: park it behind a placeholder.
            let literal = text[open..end].to_string();
            text.replace_range(open - 1..end, &format!("\u{0}{}\u{0}", protected.len()));
            protected.push(literal);
            continue;
        }
        let value = variable_value(text[open + 2..end - 2].trim(), data, missing)?;
        if open == 0 && end == text.len() && protected.is_empty() {
            return Ok(value);
        }
        text.replace_range(open..end, &render(&value));
    }
    for (i, literal) in protected.iter().enumerate() {
        text = text.replace(&format!("\u{0}{i}\u{0}"), literal);
    }
    Ok(Json::String(text))
}

/// The value of the expression inside one `{{ }}`.
fn variable_value(source: &str, data: &Document<'_>, missing: Missing) -> Result<Json, EvalError> {
    if source == "@" {
        return Ok(Json::String("{{@}}".into()));
    }
    let expr = compile_cached(source).map_err(EvalError::Failed)?;
    match expr.search_json(data) {
        Ok(v) => Ok(v),
        Err(EvalError::NotFound(_)) if missing == Missing::EmptyString => {
            Ok(Json::String(String::new()))
        }
        Err(e) => Err(e),
    }
}

/// Substitutes every variable in a JSON tree (keys included).
pub fn substitute(value: &Json, data: &Document<'_>, missing: Missing) -> Result<Json, EvalError> {
    match value {
        Json::String(s) => substitute_str(s, data, missing),
        Json::Array(items) => items
            .iter()
            .map(|v| substitute(v, data, missing))
            .collect::<Result<_, _>>()
            .map(Json::Array),
        Json::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let key = if has_open_braces(k) {
                    render(&substitute_str(k, data, missing)?)
                } else {
                    k.clone()
                };
                out.insert(key, substitute(v, data, missing)?);
            }
            Ok(Json::Object(out))
        }
        other => Ok(other.clone()),
    }
}

/// [`substitute`], borrowing a tree that holds no variable rather than copying
/// it (condition values such as lists of allowed names, read on every check).
pub fn substitute_cow<'v>(
    value: &'v Json,
    data: &Document<'_>,
    missing: Missing,
) -> Result<Cow<'v, Json>, EvalError> {
    let has_variables = match value {
        Json::String(s) => has_open_braces(s),
        Json::Array(_) | Json::Object(_) => tree_has_variables(value),
        _ => false,
    };
    if has_variables {
        substitute(value, data, missing).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(value))
    }
}

/// Whether a JSON tree holds any variable (to skip copying trees that have none).
pub fn tree_has_variables(value: &Json) -> bool {
    match value {
        Json::String(s) => has_open_braces(s),
        Json::Array(items) => items.iter().any(tree_has_variables),
        Json::Object(map) => map
            .iter()
            .any(|(k, v)| has_open_braces(k) || tree_has_variables(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data() -> Document<'static> {
        Document::new(crate::jmes::to_var(
            &json!({"request": {"object": {"metadata": {"name": "web", "labels": {"app": "x"}}, "spec": {"replicas": 3}}}, "key": "app"}),
        ))
    }

    #[test]
    fn a_tree_without_variables_is_borrowed_and_one_with_them_substituted() {
        let plain = json!(["AUDIT_WRITE", {"a": 1}, "x}}"]);
        let borrowed = substitute_cow(&plain, &data(), Missing::Error);
        assert!(matches!(borrowed, Ok(Cow::Borrowed(v)) if *v == plain));
        let templated = json!({"{{ key }}": ["{{ request.object.spec.replicas }}"]});
        assert_eq!(
            substitute_cow(&templated, &data(), Missing::Error).map(Cow::into_owned),
            substitute(&templated, &data(), Missing::Error)
        );
        assert_eq!(
            substitute_cow(&json!("{{ key }}"), &data(), Missing::Error).map(Cow::into_owned),
            Ok(json!("app"))
        );
    }

    #[test]
    fn whole_string_keeps_type() {
        assert_eq!(
            substitute_str(
                "{{ request.object.spec.replicas }}",
                &data(),
                Missing::Error
            ),
            Ok(json!(3))
        );
    }

    #[test]
    fn interpolation_renders_text() {
        assert_eq!(
            substitute_str(
                "name={{request.object.metadata.name}} n={{ request.object.spec.replicas }}",
                &data(),
                Missing::Error
            ),
            Ok(json!("name=web n=3"))
        );
    }

    #[test]
    fn nested_variables_resolve_inside_out() {
        assert_eq!(
            substitute_str(
                "{{ request.object.metadata.labels.{{ key }} }}",
                &data(),
                Missing::Error
            ),
            Ok(json!("x"))
        );
    }

    #[test]
    fn missing_paths_error_or_empty() {
        assert!(matches!(
            substitute_str("{{ request.object.nope }}", &data(), Missing::Error),
            Err(EvalError::NotFound(_))
        ));
        assert_eq!(
            substitute_str("{{ request.object.nope }}", &data(), Missing::EmptyString),
            Ok(json!(""))
        );
    }

    #[test]
    fn escaped_variables_stay() {
        assert_eq!(
            substitute_str("a \\{{ x }} b", &data(), Missing::Error),
            Ok(json!("a {{ x }} b"))
        );
    }

    #[test]
    fn a_value_that_refers_to_itself_stops_at_the_limit() {
        let data = Document::new(crate::jmes::to_var(
            &json!({"a": "x{{ a }}{{ a }}", "b": "{{ b }}"}),
        ));
        let err = substitute_str("start {{ a }}", &data, Missing::Error).unwrap_err();
        assert!(err.to_string().contains("limit of 1000 variables"), "{err}");
        let err = substitute_str("start {{ b }}", &data, Missing::Error).unwrap_err();
        assert!(err.to_string().contains("refer to itself"), "{err}");
        // A whole-string variable is its value, not substituted again.
        assert_eq!(
            substitute_str("{{ b }}", &data, Missing::Error),
            Ok(json!("{{ b }}"))
        );
    }

    #[test]
    fn lists_expressions() {
        assert_eq!(
            expressions("{{ a }} and {{ b.c }}"),
            vec!["a".to_string(), "b.c".to_string()]
        );
    }
}
