//! Validating a resource against a `validate.pattern` tree, with anchors.
//!
//! The outcome follows Kyverno: a conditional or global anchor that does not hold
//! makes the whole check a skip, a negation anchor that finds its key is a failure,
//! and any other mismatch is a failure at a path.

pub mod references;
pub mod value;

use std::borrow::Cow;

use serde_json::{Map, Value as Json};
use vigie_resource::{has_wildcard, wildcard_match};

use crate::anchors::{self, Anchor};

/// Why a resource does not satisfy a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub kind: MismatchKind,
    /// Slash-separated path in the resource, as Kyverno reports it (`/spec/containers/0/`).
    pub path: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// A conditional anchor did not hold: the pattern does not apply.
    ConditionalSkip,
    /// A global anchor did not hold: the pattern does not apply to the resource.
    GlobalSkip,
    /// A negation anchor found its key.
    Negation,
    /// A plain mismatch.
    Fail,
}

impl Mismatch {
    pub fn is_skip(&self) -> bool {
        matches!(
            self.kind,
            MismatchKind::ConditionalSkip | MismatchKind::GlobalSkip
        )
    }

    fn fail(path: &Path<'_>, message: String) -> Self {
        Self {
            kind: MismatchKind::Fail,
            path: path.to_string(),
            message,
        }
    }
}

/// Checks `resource` against `pattern`.
pub fn validate(resource: &Json, pattern: &Json) -> Result<(), Mismatch> {
    element(resource, pattern, &Path::Root)
}

/// Where a check is in the resource: written out (`/spec/containers/0/`)
/// only for a mismatch, so that a resource that matches costs no text.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("/"),
            Path::Key(parent, key) => write!(f, "{parent}{key}/"),
            Path::Index(parent, i) => write!(f, "{parent}{i}/"),
        }
    }
}

fn element(resource: &Json, pattern: &Json, path: &Path<'_>) -> Result<(), Mismatch> {
    match pattern {
        Json::Object(pattern_map) => match resource {
            Json::Object(resource_map) => map(resource_map, pattern_map, path),
            _ => Err(Mismatch::fail(
                path,
                format!(
                    "pattern and resource have different structures at path {path}: expected a map"
                ),
            )),
        },
        Json::Array(pattern_items) => match resource {
            Json::Array(resource_items) => array(resource_items, pattern_items, path),
            _ => Err(Mismatch::fail(
                path,
                format!("validation rule failed at path {path}: expected a list"),
            )),
        },
        scalar => match resource {
            Json::Array(items) => {
                for item in items {
                    if !value::matches(item, scalar) {
                        return Err(Mismatch::fail(
                            path,
                            format!(
                                "resource value '{}' does not match '{}' at path {path}",
                                crate::json::display(item),
                                crate::json::display(scalar)
                            ),
                        ));
                    }
                }
                Ok(())
            }
            _ if value::matches(resource, scalar) => Ok(()),
            _ => Err(Mismatch::fail(
                path,
                format!(
                    "value '{}' does not match '{}' at path {path}",
                    crate::json::display(resource),
                    crate::json::display(scalar)
                ),
            )),
        },
    }
}

fn has_nested_anchor(pattern: &Json) -> bool {
    match pattern {
        Json::Object(m) => m
            .iter()
            .any(|(k, v)| anchors::parse(k).is_some() || has_nested_anchor(v)),
        Json::Array(items) => items.iter().any(has_nested_anchor),
        _ => false,
    }
}

fn map(
    resource: &Map<String, Json>,
    pattern: &Map<String, Json>,
    path: &Path<'_>,
) -> Result<(), Mismatch> {
    // Anchors first (they decide whether the rest applies), then keys holding
    // nested anchors, then the plain keys: the order decides skip versus fail.
    let mut anchored = Vec::new();
    let mut nested = Vec::new();
    let mut plain = Vec::new();
    let expanded = expand_wildcard_keys(resource, pattern);
    for (key, value) in &expanded {
        match anchors::parse(key) {
            Some((anchor, bare)) => anchored.push((anchor, bare, *value)),
            None if has_nested_anchor(value) => nested.push((key, *value)),
            None => plain.push((key, *value)),
        }
    }
    for (anchor, key, pattern_value) in anchored {
        anchor_check(anchor, key, pattern_value, resource, path)?;
    }
    for (key, pattern_value) in nested.into_iter().chain(plain) {
        let key: &str = key;
        let child = Path::Key(path, key);
        let resource_value = resource.get(key);
        if pattern_value.as_str() == Some("*") {
            match resource_value {
                Some(v) if !v.is_null() => continue,
                _ => return Err(Mismatch::fail(path, format!("{path}{key} not found"))),
            }
        }
        element(resource_value.unwrap_or(&Json::Null), pattern_value, &child)?;
    }
    Ok(())
}

/// Keys with wildcards (`app.kubernetes.io/*`, typical of labels and annotations)
/// stand for every resource key they match, keeping their anchor.
fn expand_wildcard_keys<'p>(
    resource: &Map<String, Json>,
    pattern: &'p Map<String, Json>,
) -> Vec<(Cow<'p, str>, &'p Json)> {
    let mut out = Vec::with_capacity(pattern.len());
    for (key, value) in pattern {
        let (prefix, bare) = match anchors::parse(key) {
            Some((_, bare)) => (&key[..key.len() - bare.len() - 1], bare),
            None => ("", key.as_str()),
        };
        if !has_wildcard(bare) {
            out.push((Cow::Borrowed(key.as_str()), value));
            continue;
        }
        let matching: Vec<&String> = resource
            .keys()
            .filter(|k| wildcard_match(bare, k))
            .collect();
        if matching.is_empty() {
            out.push((Cow::Borrowed(key.as_str()), value));
        }
        for k in matching {
            let rebuilt = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}{k})")
            };
            out.push((Cow::Owned(rebuilt), value));
        }
    }
    out
}

fn anchor_check(
    anchor: Anchor,
    key: &str,
    pattern: &Json,
    resource: &Map<String, Json>,
    path: &Path<'_>,
) -> Result<(), Mismatch> {
    let child = Path::Key(path, key);
    let present = resource.get(key);
    match anchor {
        Anchor::Conditional => match present {
            Some(v) => element(v, pattern, &child).map_err(|e| Mismatch {
                kind: MismatchKind::ConditionalSkip,
                path: e.path,
                message: format!("conditional anchor mismatch: {}", e.message),
            }),
            None => Err(Mismatch {
                kind: MismatchKind::ConditionalSkip,
                path: child.to_string(),
                message: "conditional anchor key doesn't exist in the resource".to_string(),
            }),
        },
        Anchor::Global => match present {
            Some(v) => element(v, pattern, &child).map_err(|e| Mismatch {
                kind: MismatchKind::GlobalSkip,
                path: e.path,
                message: format!("global anchor mismatch: {}", e.message),
            }),
            None => Ok(()),
        },
        Anchor::Equality | Anchor::AddIfNotPresent => match present {
            Some(v) => element(v, pattern, &child),
            None => Ok(()),
        },
        Anchor::Negation => match present {
            Some(_) => Err(Mismatch {
                kind: MismatchKind::Negation,
                path: child.to_string(),
                message: format!("{child} is not allowed"),
            }),
            None => Ok(()),
        },
        Anchor::Existence => match present {
            None => Ok(()),
            Some(Json::Array(items)) => {
                let Json::Array(pattern_items) = pattern else {
                    return Err(Mismatch::fail(
                        &child,
                        "existence anchor pattern must be a list".to_string(),
                    ));
                };
                for pattern_item in pattern_items {
                    let found = items.iter().enumerate().any(|(i, item)| {
                        element(item, pattern_item, &Path::Index(&child, i)).is_ok()
                    });
                    if !found {
                        return Err(Mismatch::fail(
                            &child,
                            format!("existence anchor validation failed at path {child}"),
                        ));
                    }
                }
                Ok(())
            }
            Some(_) => Err(Mismatch::fail(
                &child,
                "existence anchor ^() can only be used on a list".to_string(),
            )),
        },
    }
}

fn array(resource: &[Json], pattern: &[Json], path: &Path<'_>) -> Result<(), Mismatch> {
    let Some(first) = pattern.first() else {
        return Err(Mismatch::fail(path, "pattern list is empty".to_string()));
    };
    match first {
        Json::Object(pattern_map) => {
            // Each element is checked; elements a conditional anchor excludes are
            // skipped, and when every element is skipped the pattern is skipped.
            let mut applied = 0;
            let mut skipped: Option<Mismatch> = None;
            for (i, item) in resource.iter().enumerate() {
                let item_path = Path::Index(path, i);
                let result = match item {
                    Json::Object(m) => map(m, pattern_map, &item_path),
                    _ => element(item, first, &item_path),
                };
                match result {
                    Ok(()) => applied += 1,
                    Err(e) if e.is_skip() => {
                        skipped.get_or_insert(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            match skipped {
                Some(skip) if applied == 0 => Err(Mismatch {
                    path: path.to_string(),
                    ..skip
                }),
                _ => Ok(()),
            }
        }
        Json::Array(_) => {
            if resource.len() < pattern.len() {
                return Err(Mismatch::fail(
                    path,
                    format!(
                        "list length mismatch at path {path}: resource has {}, pattern {}",
                        resource.len(),
                        pattern.len()
                    ),
                ));
            }
            for (i, p) in pattern.iter().enumerate() {
                element(&resource[i], p, &Path::Index(path, i))?;
            }
            Ok(())
        }
        scalar => {
            for item in resource {
                element(item, scalar, path)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(resource: Json, pattern: Json) -> Result<(), MismatchKind> {
        validate(&resource, &pattern).map_err(|m| m.kind)
    }

    #[test]
    fn plain_keys_and_wildcard_star() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "nginx:1"}]}});
        assert_eq!(
            check(
                pod.clone(),
                json!({"spec": {"containers": [{"image": "*:*"}]}})
            ),
            Ok(())
        );
        assert_eq!(
            check(
                pod.clone(),
                json!({"spec": {"containers": [{"image": "!*:1"}]}})
            ),
            Err(MismatchKind::Fail)
        );
        assert_eq!(
            check(
                pod.clone(),
                json!({"spec": {"containers": [{"name": "*"}]}})
            ),
            Ok(())
        );
        assert_eq!(
            check(pod, json!({"spec": {"containers": [{"resources": "*"}]}})),
            Err(MismatchKind::Fail)
        );
    }

    #[test]
    fn missing_field_against_null_or_question_star() {
        let pod = json!({"spec": {}});
        assert_eq!(
            check(pod.clone(), json!({"spec": {"hostNetwork": null}})),
            Ok(())
        );
        assert_eq!(
            check(pod.clone(), json!({"spec": {"hostNetwork": false}})),
            Err(MismatchKind::Fail)
        );
        assert_eq!(
            check(pod, json!({"spec": {"nodeName": "?*"}})),
            Err(MismatchKind::Fail)
        );
    }

    #[test]
    fn conditional_anchor_skips_or_checks() {
        let pattern =
            json!({"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}});
        let ok =
            json!({"spec": {"containers": [{"image": "a:latest", "imagePullPolicy": "Always"}]}});
        let bad =
            json!({"spec": {"containers": [{"image": "a:latest", "imagePullPolicy": "Never"}]}});
        let other = json!({"spec": {"containers": [{"image": "a:1", "imagePullPolicy": "Never"}]}});
        assert_eq!(check(ok, pattern.clone()), Ok(()));
        assert_eq!(check(bad, pattern.clone()), Err(MismatchKind::Fail));
        assert_eq!(check(other, pattern), Err(MismatchKind::ConditionalSkip));
    }

    #[test]
    fn conditional_anchor_on_missing_key_skips() {
        let pattern = json!({"metadata": {"(labels)": {"app": "x"}}});
        assert_eq!(
            check(json!({"metadata": {}}), pattern),
            Err(MismatchKind::ConditionalSkip)
        );
    }

    #[test]
    fn equality_anchor_checks_only_when_present() {
        let pattern = json!({"spec": {"=(hostPID)": false}});
        assert_eq!(check(json!({"spec": {}}), pattern.clone()), Ok(()));
        assert_eq!(
            check(json!({"spec": {"hostPID": false}}), pattern.clone()),
            Ok(())
        );
        assert_eq!(
            check(json!({"spec": {"hostPID": true}}), pattern),
            Err(MismatchKind::Fail)
        );
    }

    #[test]
    fn negation_anchor_fails_on_presence() {
        let pattern = json!({"spec": {"X(hostPath)": null}});
        assert_eq!(check(json!({"spec": {}}), pattern.clone()), Ok(()));
        assert_eq!(
            check(json!({"spec": {"hostPath": {"path": "/"}}}), pattern),
            Err(MismatchKind::Negation)
        );
    }

    #[test]
    fn existence_anchor_needs_one_matching_item() {
        let pattern = json!({"spec": {"^(containers)": [{"image": "nginx:*"}]}});
        let one = json!({"spec": {"containers": [{"image": "redis"}, {"image": "nginx:1"}]}});
        let none = json!({"spec": {"containers": [{"image": "redis"}]}});
        assert_eq!(check(one, pattern.clone()), Ok(()));
        assert_eq!(check(none, pattern), Err(MismatchKind::Fail));
    }

    #[test]
    fn global_anchor_skips_whole_pattern() {
        let pattern = json!({"spec": {"containers": [{"<(image)": "corp.io/*", "imagePullPolicy": "Always"}]}});
        let other =
            json!({"spec": {"containers": [{"image": "docker.io/x", "imagePullPolicy": "Never"}]}});
        let bad =
            json!({"spec": {"containers": [{"image": "corp.io/x", "imagePullPolicy": "Never"}]}});
        assert_eq!(check(other, pattern.clone()), Err(MismatchKind::GlobalSkip));
        assert_eq!(check(bad, pattern), Err(MismatchKind::Fail));
    }

    #[test]
    fn scalar_pattern_against_list_checks_every_item() {
        let pattern = json!({"spec": {"args": "!*--privileged*"}});
        assert_eq!(
            check(json!({"spec": {"args": ["a", "b"]}}), pattern.clone()),
            Ok(())
        );
        assert_eq!(
            check(json!({"spec": {"args": ["a", "--privileged"]}}), pattern),
            Err(MismatchKind::Fail)
        );
    }

    #[test]
    fn wildcard_keys_stand_for_matching_keys() {
        let pattern = json!({"metadata": {"=(annotations)": {"=(team.io/*)": "a|b"}}});
        assert_eq!(
            check(
                json!({"metadata": {"annotations": {"team.io/x": "a"}}}),
                pattern.clone()
            ),
            Ok(())
        );
        assert_eq!(
            check(
                json!({"metadata": {"annotations": {"team.io/x": "c"}}}),
                pattern.clone()
            ),
            Err(MismatchKind::Fail)
        );
        assert_eq!(
            check(
                json!({"metadata": {"annotations": {"other": "c"}}}),
                pattern
            ),
            Ok(())
        );
    }

    #[test]
    fn mixed_skip_and_apply_elements_pass() {
        let pattern = json!({"items": [{"(kind)": "A", "v": 1}]});
        assert_eq!(
            check(
                json!({"items": [{"kind": "A", "v": 1}, {"kind": "B", "v": 2}]}),
                pattern
            ),
            Ok(())
        );
    }
}
