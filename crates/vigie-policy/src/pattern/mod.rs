//! Validating a resource against a `validate.pattern` tree, with anchors.
//!
//! The outcome follows Kyverno: a conditional or global anchor that does not hold
//! makes the whole check a skip, a negation anchor that finds its key is a failure,
//! and any other mismatch is a failure at a path.

pub mod references;
pub mod value;

use std::fmt::Write as _;

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
            path: path.render(),
            message,
        }
    }
}

/// Checks `resource` against `pattern`.
pub fn validate(resource: &Json, pattern: &Json) -> Result<(), Mismatch> {
    Compiled::new(pattern).check(resource)
}

/// A pattern with the analysis of its keys done once rather than on every map
/// a check visits: each key's anchor and bare key parsed, its wildcard noted,
/// whether its value holds anchors worked out, and a map's keys put in the
/// order they are checked.
#[derive(Clone, Debug)]
pub struct Compiled(Node);

impl Compiled {
    /// Analyses the keys of `pattern`.
    pub fn new(pattern: &Json) -> Self {
        Compiled(compile(pattern).0)
    }

    /// Checks `resource` against the pattern.
    pub fn check(&self, resource: &Json) -> Result<(), Mismatch> {
        element(resource, &self.0, &Path::Root)
    }
}

#[derive(Clone, Debug)]
enum Node {
    /// A map's entries: anchored keys first (they decide whether the rest
    /// applies), then keys holding nested anchors, then the plain keys, each
    /// group in the pattern's order; the order decides skip versus fail.
    Map(Vec<Entry>),
    List(Vec<Node>),
    Scalar(Json),
}

#[derive(Clone, Debug)]
struct Entry {
    anchor: Option<Anchor>,
    /// The key without its anchor.
    bare: String,
    /// The bare key has wildcards: it stands for every resource key it matches.
    wildcard: bool,
    value: Node,
}

/// The node of `pattern`, and whether it holds an anchor.
fn compile(pattern: &Json) -> (Node, bool) {
    match pattern {
        Json::Object(m) => {
            let mut entries = Vec::with_capacity(m.len());
            let mut has_anchor = false;
            for (key, value) in m {
                let (anchor, bare) = match anchors::parse(key) {
                    Some((anchor, bare)) => (Some(anchor), bare),
                    None => (None, key.as_str()),
                };
                let (value, nested) = compile(value);
                has_anchor |= anchor.is_some() || nested;
                let group = match anchor {
                    Some(_) => 0,
                    None if nested => 1,
                    None => 2,
                };
                let entry = Entry {
                    anchor,
                    bare: bare.to_string(),
                    wildcard: has_wildcard(bare),
                    value,
                };
                entries.push((group, entry));
            }
            entries.sort_by_key(|(group, _)| *group);
            let entries = entries.into_iter().map(|(_, entry)| entry).collect();
            (Node::Map(entries), has_anchor)
        }
        Json::Array(items) => {
            let mut has_anchor = false;
            let nodes = items
                .iter()
                .map(|item| {
                    let (node, nested) = compile(item);
                    has_anchor |= nested;
                    node
                })
                .collect();
            (Node::List(nodes), has_anchor)
        }
        scalar => (Node::Scalar(scalar.clone()), false),
    }
}

/// Where a check is in the resource: written out (`/spec/containers/0/`)
/// only for a mismatch, so that a resource that matches costs no text.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// The path written out (`/spec/containers/0/`). Appended piece by piece
    /// rather than through `Display`'s nested formatting, which cost more than
    /// the check itself on every failing check.
    fn render(&self) -> String {
        let mut out = String::with_capacity(64);
        self.push_to(&mut out);
        out
    }

    fn push_to(&self, out: &mut String) {
        match self {
            Path::Root => out.push('/'),
            Path::Key(parent, key) => {
                parent.push_to(out);
                out.push_str(key);
                out.push('/');
            }
            Path::Index(parent, i) => {
                parent.push_to(out);
                let _ = write!(out, "{i}/");
            }
        }
    }
}

fn element(resource: &Json, pattern: &Node, path: &Path<'_>) -> Result<(), Mismatch> {
    match pattern {
        Node::Map(entries) => match resource {
            Json::Object(resource_map) => map(resource_map, entries, path),
            _ => Err(Mismatch::fail(
                path,
                [
                    "pattern and resource have different structures at path ",
                    &path.render(),
                    ": expected a map",
                ]
                .concat(),
            )),
        },
        Node::List(pattern_items) => match resource {
            Json::Array(resource_items) => array(resource_items, pattern_items, path),
            _ => Err(Mismatch::fail(
                path,
                [
                    "validation rule failed at path ",
                    &path.render(),
                    ": expected a list",
                ]
                .concat(),
            )),
        },
        Node::Scalar(scalar) => match resource {
            Json::Array(items) => {
                for item in items {
                    if !value::matches(item, scalar) {
                        return Err(Mismatch::fail(
                            path,
                            [
                                "resource value '",
                                &crate::json::display(item),
                                "' does not match '",
                                &crate::json::display(scalar),
                                "' at path ",
                                &path.render(),
                            ]
                            .concat(),
                        ));
                    }
                }
                Ok(())
            }
            _ if value::matches(resource, scalar) => Ok(()),
            _ => Err(Mismatch::fail(
                path,
                [
                    "value '",
                    &crate::json::display(resource),
                    "' does not match '",
                    &crate::json::display(scalar),
                    "' at path ",
                    &path.render(),
                ]
                .concat(),
            )),
        },
    }
}

fn map(resource: &Map<String, Json>, entries: &[Entry], path: &Path<'_>) -> Result<(), Mismatch> {
    for entry in entries {
        if !entry.wildcard {
            map_entry(entry, &entry.bare, resource, path)?;
            continue;
        }
        // Keys with wildcards (`app.kubernetes.io/*`, typical of labels and
        // annotations) stand for every resource key they match, keeping their
        // anchor; one that matches none is looked up as written.
        let mut matched = false;
        for key in resource.keys() {
            if wildcard_match(&entry.bare, key) {
                matched = true;
                map_entry(entry, key, resource, path)?;
            }
        }
        if !matched {
            map_entry(entry, &entry.bare, resource, path)?;
        }
    }
    Ok(())
}

fn map_entry(
    entry: &Entry,
    key: &str,
    resource: &Map<String, Json>,
    path: &Path<'_>,
) -> Result<(), Mismatch> {
    if let Some(anchor) = entry.anchor {
        return anchor_check(anchor, key, &entry.value, resource, path);
    }
    let child = Path::Key(path, key);
    let resource_value = resource.get(key);
    if matches!(&entry.value, Node::Scalar(Json::String(s)) if s == "*") {
        return match resource_value {
            Some(v) if !v.is_null() => Ok(()),
            _ => Err(Mismatch::fail(
                path,
                [&path.render(), key, " not found"].concat(),
            )),
        };
    }
    element(resource_value.unwrap_or(&Json::Null), &entry.value, &child)
}

fn anchor_check(
    anchor: Anchor,
    key: &str,
    pattern: &Node,
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
                message: ["conditional anchor mismatch: ", &e.message].concat(),
            }),
            None => Err(Mismatch {
                kind: MismatchKind::ConditionalSkip,
                path: child.render(),
                message: "conditional anchor key doesn't exist in the resource".to_string(),
            }),
        },
        Anchor::Global => match present {
            Some(v) => element(v, pattern, &child).map_err(|e| Mismatch {
                kind: MismatchKind::GlobalSkip,
                path: e.path,
                message: ["global anchor mismatch: ", &e.message].concat(),
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
                path: child.render(),
                message: [&child.render(), " is not allowed"].concat(),
            }),
            None => Ok(()),
        },
        Anchor::Existence => match present {
            None => Ok(()),
            Some(Json::Array(items)) => {
                let Node::List(pattern_items) = pattern else {
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
                            [
                                "existence anchor validation failed at path ",
                                &child.render(),
                            ]
                            .concat(),
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

fn array(resource: &[Json], pattern: &[Node], path: &Path<'_>) -> Result<(), Mismatch> {
    let Some(first) = pattern.first() else {
        return Err(Mismatch::fail(path, "pattern list is empty".to_string()));
    };
    match first {
        Node::Map(entries) => {
            // Each element is checked; elements a conditional anchor excludes are
            // skipped, and when every element is skipped the pattern is skipped.
            let mut applied = 0;
            let mut skipped: Option<Mismatch> = None;
            for (i, item) in resource.iter().enumerate() {
                let item_path = Path::Index(path, i);
                let result = match item {
                    Json::Object(m) => map(m, entries, &item_path),
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
                    path: path.render(),
                    ..skip
                }),
                _ => Ok(()),
            }
        }
        Node::List(_) => {
            if resource.len() < pattern.len() {
                return Err(Mismatch::fail(
                    path,
                    format!(
                        "list length mismatch at path {}: resource has {}, pattern {}",
                        path.render(),
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
        Node::Scalar(_) => {
            for item in resource {
                element(item, first, path)?;
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

    #[test]
    fn anchors_then_nested_anchors_then_plain_keys_whatever_the_written_order() {
        let pattern = json!({"image": "nginx", "(name)": "x"});
        assert_eq!(
            check(json!({"name": "y", "image": "other"}), pattern),
            Err(MismatchKind::ConditionalSkip)
        );
        let pattern = json!({"a": 1, "spec": {"(k)": "v"}});
        assert_eq!(
            check(json!({"a": 2, "spec": {"k": "w"}}), pattern),
            Err(MismatchKind::ConditionalSkip)
        );
    }

    #[test]
    fn one_compiled_pattern_checks_many_resources() {
        let compiled = Compiled::new(&json!({"metadata": {"labels": {"X(team.io/*)": "?*"}}}));
        let labelled = |key: &str| json!({"metadata": {"labels": {key: "a"}}});
        assert_eq!(
            compiled.check(&labelled("team.io/x")).map_err(|m| m.path),
            Err("/metadata/labels/team.io/x/".to_string())
        );
        assert_eq!(compiled.check(&labelled("other")), Ok(()));
        assert_eq!(
            compiled.check(&labelled("team.io/y")).map_err(|m| m.path),
            Err("/metadata/labels/team.io/y/".to_string())
        );
    }
}
