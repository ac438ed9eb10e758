//! Label selectors, read once into requirements on interned labels.
//!
//! Texts no workload label holds are resolved when the selector is read: a
//! requirement that a missing value be present selects nothing, and one that a
//! missing value be absent always holds, so evaluation compares symbols only.

use vigie_resource::Node;

use crate::pod::list_of;

use super::pod_labels::{PodLabels, Symbol};

/// One condition on one label key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Requirement {
    /// The key holds one of the values (`matchLabels` entries, `In`).
    In(Symbol, Vec<Symbol>),
    /// The key is absent or holds none of the values.
    NotIn(Symbol, Vec<Symbol>),
    Exists(Symbol),
    DoesNotExist(Symbol),
}

/// A selector ready to evaluate: the conjunction of its requirements.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    pub(crate) requirements: Vec<Requirement>,
    /// Selects nothing, whatever the labels: an unknown operator, or a value
    /// required that no workload has.
    pub(crate) never: bool,
    /// The same conditions, when they all concern one key.
    pub(crate) one_key: Option<OneKey>,
}

/// The conditions of a selector whose requirements all concern one key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OneKey {
    pub(crate) key: Symbol,
    /// Whether a set without the key is selected.
    pub(crate) missing: bool,
    /// Which values of the key are selected.
    pub(crate) values: Values,
}

/// A set of values of one key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    /// These values (sorted, without duplicates).
    Only(Vec<Symbol>),
    /// Every value but these (sorted, without duplicates).
    AllBut(Vec<Symbol>),
}

/// A requirement as written, before its texts are resolved.
struct Written<'n> {
    key: &'n str,
    operator: Option<&'n str>,
    values: Vec<String>,
}

impl Selector {
    /// A `LabelSelector` (`matchLabels`, `matchExpressions`), with Kubernetes'
    /// semantics: an empty one selects everything, an unknown operator nothing.
    pub(crate) fn label_selector(selector: &Node, labels: &PodLabels<'_>) -> Self {
        let equal = selector
            .get("matchLabels")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .map(|e| Written {
                key: &e.key,
                operator: Some("In"),
                values: vec![e.value.display_value()],
            });
        let expressions = list_of(selector, "matchExpressions")
            .iter()
            .map(|expression| Written {
                key: expression.get("key").and_then(Node::as_str).unwrap_or(""),
                operator: expression.get("operator").and_then(Node::as_str),
                values: list_of(expression, "values")
                    .iter()
                    .map(Node::display_value)
                    .collect(),
            });
        Self::resolve(equal.chain(expressions), labels)
    }

    /// A Service's `spec.selector`: every `key: value` must be among the labels.
    /// An empty one selects nothing here: such a Service has its endpoints
    /// managed by hand.
    pub(crate) fn service(selector: &Node, labels: &PodLabels<'_>) -> Self {
        let entries = selector.as_map().unwrap_or(&[]);
        if entries.is_empty() {
            return Selector {
                never: true,
                ..Selector::default()
            };
        }
        Self::resolve(
            entries.iter().map(|e| Written {
                key: &e.key,
                operator: Some("In"),
                values: vec![e.value.display_value()],
            }),
            labels,
        )
    }

    fn resolve<'n>(written: impl Iterator<Item = Written<'n>>, labels: &PodLabels<'_>) -> Self {
        let mut selector = Selector::default();
        for w in written {
            let key = labels.symbol(w.key);
            let mut values: Vec<Symbol> =
                w.values.iter().filter_map(|v| labels.symbol(v)).collect();
            values.sort_unstable();
            values.dedup();
            let requirement = match (w.operator, key) {
                (Some("In"), Some(key)) if !values.is_empty() => Requirement::In(key, values),
                (Some("Exists"), Some(key)) => Requirement::Exists(key),
                (Some("NotIn"), Some(key)) if !values.is_empty() => Requirement::NotIn(key, values),
                (Some("DoesNotExist"), Some(key)) => Requirement::DoesNotExist(key),
                // No label holds the key or the values: always true.
                (Some("NotIn" | "DoesNotExist"), _) => continue,
                // A required key or value that no label holds, or an unknown operator.
                _ => {
                    return Selector {
                        never: true,
                        ..Selector::default()
                    }
                }
            };
            selector.requirements.push(requirement);
        }
        selector.one_key = one_key(&selector.requirements);
        selector
    }
}

/// The requirements folded into conditions on one key, when they all concern one.
fn one_key(requirements: &[Requirement]) -> Option<OneKey> {
    let key_of = |r: &Requirement| match r {
        Requirement::In(k, _)
        | Requirement::NotIn(k, _)
        | Requirement::Exists(k)
        | Requirement::DoesNotExist(k) => *k,
    };
    let key = key_of(requirements.first()?);
    if requirements.iter().any(|r| key_of(r) != key) {
        return None;
    }
    let mut one = OneKey {
        key,
        missing: true,
        values: Values::AllBut(Vec::new()),
    };
    for requirement in requirements {
        match requirement {
            Requirement::In(_, values) => {
                one.missing = false;
                one.values = match &one.values {
                    Values::Only(only) => Values::Only(also_in(only, values)),
                    Values::AllBut(excluded) => Values::Only(not_in(values, excluded)),
                };
            }
            Requirement::NotIn(_, values) => {
                one.values = match &one.values {
                    Values::Only(only) => Values::Only(not_in(only, values)),
                    Values::AllBut(excluded) => {
                        let mut all: Vec<Symbol> = excluded.iter().chain(values).copied().collect();
                        all.sort_unstable();
                        all.dedup();
                        Values::AllBut(all)
                    }
                };
            }
            Requirement::Exists(_) => one.missing = false,
            Requirement::DoesNotExist(_) => one.values = Values::Only(Vec::new()),
        }
    }
    Some(one)
}

/// The values of `values` that the sorted `set` holds.
fn also_in(values: &[Symbol], set: &[Symbol]) -> Vec<Symbol> {
    let held = |v: &Symbol| set.binary_search(v).is_ok();
    values.iter().copied().filter(held).collect()
}

/// The values of `values` that the sorted `set` does not hold.
fn not_in(values: &[Symbol], set: &[Symbol]) -> Vec<Symbol> {
    let missing = |v: &Symbol| set.binary_search(v).is_err();
    values.iter().copied().filter(missing).collect()
}
