//! `$(path)` references inside validate patterns: a value written as
//! `$(./../key)` is replaced by the value found at that path **in the pattern
//! itself** ("variables from policy definitions" in Kyverno's documentation), so
//! that one part of a pattern can reuse another:
//!
//! ```yaml
//! resources:
//!   requests:
//!     memory: "$(<=./../../limits/memory)"   # becomes "<=2Gi"
//!   limits:
//!     memory: "2Gi"
//! ```
//!
//! A relative path starts at the value's own position (its key included, so
//! `./../x` is the sibling `x`); `..` climbs; keys match without their anchor
//! (`(name)`, `=(name)`...); numbers index lists. An absolute path names the
//! rule (`/validate/pattern/...`, `/validate/anyPattern/N/...`). An operator
//! may lead the path inside the parentheses (`$(>=./../min)`), and text around
//! the reference is kept. `\$(` is left as it is.

use serde_json::Value as Json;

use crate::anchors;

/// `Ok(None)` when the pattern has no reference.
pub(crate) fn resolve(pattern: &Json) -> Result<Option<Json>, String> {
    if !has_reference(pattern) {
        return Ok(None);
    }
    let mut out = pattern.clone();
    let mut path = Vec::new();
    walk(pattern, &mut out, &mut path)?;
    Ok(Some(out))
}

fn has_reference(v: &Json) -> bool {
    match v {
        Json::String(s) => s.contains("$("),
        Json::Array(items) => items.iter().any(has_reference),
        Json::Object(m) => m.values().any(has_reference),
        _ => false,
    }
}

fn walk(root: &Json, node: &mut Json, path: &mut Vec<String>) -> Result<(), String> {
    match node {
        Json::String(s) if s.contains("$(") => {
            *node = substitute(root, s, path)?;
        }
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                walk(root, item, path)?;
                path.pop();
            }
        }
        Json::Object(m) => {
            for (k, v) in m.iter_mut() {
                path.push(k.clone());
                walk(root, v, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

const OPERATORS: [&str; 8] = [">=", "<=", "!=", ">", "<", "!", "=", "|"];

fn substitute(root: &Json, text: &str, here: &[String]) -> Result<Json, String> {
    let mut out = String::new();
    let mut rest = text;
    let mut whole: Option<Json> = None;
    while let Some(start) = rest.find("$(") {
        if start > 0 && rest.as_bytes()[start - 1] == b'\\' {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = rest[start..].find(')') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let (op, reference) = OPERATORS
            .iter()
            .find_map(|op| inner.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("", inner));
        let value = lookup(root, reference.trim(), here)?;
        let only = start == 0 && start + len + 1 == rest.len() && out.is_empty() && op.is_empty();
        out.push_str(&rest[..start]);
        match &value {
            Json::String(s) => out.push_str(&format!("{op}{s}")),
            Json::Number(_) | Json::Bool(_) | Json::Null => {
                out.push_str(&format!("{op}{value}"));
            }
            _ if only => whole = Some(value.clone()),
            _ => {
                return Err(format!(
                    "reference $({inner}) is a map or list and cannot be placed inside text"
                ))
            }
        }
        // A reference that is the whole value keeps the referenced value's type.
        if only && whole.is_none() && !value.is_string() {
            whole = Some(value.clone());
        }
        rest = &rest[start + len + 1..];
    }
    if let Some(v) = whole.filter(|_| rest.is_empty()) {
        return Ok(v);
    }
    out.push_str(rest);
    Ok(Json::String(out))
}

fn lookup(root: &Json, reference: &str, here: &[String]) -> Result<Json, String> {
    let mut parts: Vec<String> = if let Some(abs) = reference.strip_prefix('/') {
        let segments: Vec<&str> = abs.split('/').filter(|s| !s.is_empty()).collect();
        let skip = match segments.as_slice() {
            ["validate", "pattern", ..] => 2,
            ["validate", "anyPattern", n, ..] if n.parse::<usize>().is_ok() => 3,
            _ => {
                return Err(format!(
                    "reference $({reference}) must point inside the validate pattern"
                ))
            }
        };
        segments[skip..].iter().map(|s| s.to_string()).collect()
    } else {
        here.to_vec()
    };
    if !reference.starts_with('/') {
        for segment in reference.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(format!("reference $({reference}) climbs above the pattern"));
                    }
                }
                s => parts.push(s.to_string()),
            }
        }
    }
    let mut node = root;
    for part in &parts {
        node = match node {
            Json::Object(m) => m
                .iter()
                .find(|(k, _)| {
                    k.as_str() == part || anchors::parse(k).is_some_and(|(_, bare)| bare == part)
                })
                .map(|(_, v)| v),
            Json::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("reference $({reference}) not found in the pattern"))?;
    }
    Ok(node.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relative_references_take_values_from_the_pattern() {
        let p = json!({"spec": {"containers": [{
            "name": "*",
            "resources": {
                "requests": {"memory": "$(<=./../../limits/memory)", "cpu": "$(./../../limits/cpu)"},
                "limits": {"memory": "1Gi", "cpu": 2}
            }
        }]}});
        let r = resolve(&p).unwrap().unwrap();
        let res = &r["spec"]["containers"][0]["resources"]["requests"];
        assert_eq!(res["memory"], json!("<=1Gi"));
        assert_eq!(res["cpu"], json!(2));
    }

    #[test]
    fn anchors_absolute_paths_text_and_escapes() {
        let p = json!({"metadata": {"=(labels)": {"team": "core"}},
            "spec": {"note": "team-$(/validate/pattern/metadata/labels/team)-x",
                     "raw": "\\$(./keep)", "sib": "$(./../note)"}});
        let r = resolve(&p).unwrap().unwrap();
        assert_eq!(r["spec"]["note"], json!("team-core-x"));
        assert_eq!(r["spec"]["raw"], json!("\\$(./keep)"));
        // References are resolved against the original pattern.
        assert_eq!(
            r["spec"]["sib"],
            json!("team-$(/validate/pattern/metadata/labels/team)-x")
        );
        assert_eq!(resolve(&json!({"a": "b"})).unwrap(), None);
    }

    #[test]
    fn unknown_references_are_errors() {
        assert!(resolve(&json!({"a": "$(./../missing)"})).is_err());
        assert!(resolve(&json!({"a": "$(./../../../x)"})).is_err());
        assert!(resolve(&json!({"a": "$(/spec/x)"})).is_err());
    }
}
