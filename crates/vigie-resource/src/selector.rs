//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), read from a
//! node the way the API server reads them.

use std::collections::BTreeMap;

use crate::node::Node;

/// A parsed `metav1.LabelSelector`. All requirements must hold.
///
/// ```
/// use std::collections::BTreeMap;
/// let docs = vigie_resource::parse_documents(
///     "matchLabels: {app: web}\nmatchExpressions: [{key: tier, operator: NotIn, values: [db]}]",
/// );
/// let doc = docs[0].as_ref().unwrap();
/// let selector = vigie_resource::LabelSelector::from_node(&doc.root);
/// let labels = BTreeMap::from([("app".to_string(), "web".to_string())]);
/// assert!(selector.matches(&labels));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    /// Set when the selector cannot match anything: an unknown operator, or `In`
    /// with no values, which the API server rejects and we read as "nothing".
    invalid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelSelector {
    /// Reads a selector. An empty selector (`{}`) selects everything; a null or
    /// non-mapping node selects nothing, as Kubernetes' `LabelSelectorAsSelector`.
    pub fn from_node(node: &Node) -> Self {
        if node.as_map().is_none() {
            return Self {
                requirements: Vec::new(),
                invalid: true,
            };
        }
        let mut selector = Self::default();
        if let Some(labels) = node.get("matchLabels").and_then(Node::as_map) {
            for entry in labels {
                match entry.value.as_str() {
                    Some(value) => selector.requirements.push(Requirement::Equals(
                        entry.key.to_string(),
                        value.to_string(),
                    )),
                    None => selector.invalid = true,
                }
            }
        }
        for expression in node.get("matchExpressions").map(Node::items).unwrap_or(&[]) {
            match requirement(expression) {
                Some(r) => selector.requirements.push(r),
                None => selector.invalid = true,
            }
        }
        selector
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.invalid
            && self.requirements.iter().all(|r| match r {
                Requirement::Equals(k, v) => labels.get(k) == Some(v),
                Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
                Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }
}

fn requirement(expression: &Node) -> Option<Requirement> {
    let key = expression.get("key")?.as_str()?.to_string();
    let values: Vec<String> = expression
        .get("values")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    match expression.get("operator")?.as_str()? {
        "In" if !values.is_empty() => Some(Requirement::In(key, values)),
        "NotIn" if !values.is_empty() => Some(Requirement::NotIn(key, values)),
        "Exists" if values.is_empty() => Some(Requirement::Exists(key)),
        "DoesNotExist" if values.is_empty() => Some(Requirement::DoesNotExist(key)),
        _ => None,
    }
}

/// The `metadata.labels` of an object (string values only).
pub fn labels_of(object: &Node) -> BTreeMap<String, String> {
    object
        .get_path(&["metadata", "labels"])
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.to_string(), e.value.as_str()?.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(text: &str) -> LabelSelector {
        let docs = crate::parse_documents(text);
        LabelSelector::from_node(&docs[0].as_ref().unwrap().root)
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_selects_everything_null_nothing() {
        assert!(selector("{}").matches(&labels(&[])));
        assert!(!selector("null").matches(&labels(&[])));
    }

    #[test]
    fn operators() {
        let s = selector(
            "matchExpressions:\n- {key: a, operator: In, values: [x, w]}\n- {key: b, operator: NotIn, values: [z]}\n- {key: c, operator: Exists}\n- {key: d, operator: DoesNotExist}",
        );
        assert!(s.matches(&labels(&[("a", "w"), ("c", "")])), "{s:?}");
        assert!(s.matches(&labels(&[("a", "x"), ("b", "q"), ("c", "1")])));
        assert!(!s.matches(&labels(&[("a", "x"), ("b", "z"), ("c", "1")])));
        assert!(!s.matches(&labels(&[("a", "x"), ("c", "1"), ("d", "1")])));
        assert!(!s.matches(&labels(&[("c", "1")])));
    }

    #[test]
    fn invalid_requirements_select_nothing() {
        assert!(
            !selector("matchExpressions: [{key: a, operator: Like, values: [x]}]")
                .matches(&labels(&[("a", "x")]))
        );
        assert!(
            !selector("matchExpressions: [{key: a, operator: In, values: []}]")
                .matches(&labels(&[("a", "x")]))
        );
        assert!(!selector("matchLabels: {a: [x]}").matches(&labels(&[("a", "x")])));
    }
}
