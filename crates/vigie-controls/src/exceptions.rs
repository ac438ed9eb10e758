//! Exceptions: findings a team has accepted, with a reason and an expiry.
//!
//! Inline, on the object:
//! ```yaml
//! metadata:
//!   annotations:
//!     vigie.dev/skip: "VG-W005, PSS-R03"
//!     vigie.dev/skip-reason: "vendor image runs as root; replacement tracked in OPS-123"
//!     vigie.dev/skip-until: "2027-03-31"
//! ```
//! Or in a file (`vigie scan --exceptions FILE`):
//! ```yaml
//! exceptions:
//! - controls: ["VG-W005", "PSS-R*"]
//!   resources:
//!   - {kind: Deployment, namespace: "legacy-*", name: "*", labels: {team: payments}}
//!   reason: "legacy payment stack, decommissioned in Q2"
//!   expires: 2027-06-30
//! ```
//! An excepted finding is still reported, marked as such. An expired exception
//! no longer applies and is reported as a warning. A control pattern that names no
//! known control is an error: a typo must not silently hide nothing.

use vigie_finding::AppliedException;
use vigie_resource::{parse_documents, wildcard_match, Node, Pos, Resource};

use crate::pod::list_of;

/// The annotation listing the control IDs (patterns) an object is excepted from.
pub const SKIP_ANNOTATION: &str = "vigie.dev/skip";
/// The annotation saying why.
pub const REASON_ANNOTATION: &str = "vigie.dev/skip-reason";
/// The annotation giving the last day the exception applies (`YYYY-MM-DD`).
pub const UNTIL_ANNOTATION: &str = "vigie.dev/skip-until";

/// Exception expiry dates are calendar days of `vigie_resource`, the one date
/// type of the workspace.
pub use vigie_resource::{Date, DateError};

/// Which objects an exception covers; every field given must match (`*` and `?`
/// wildcards in kind, namespace, name and label values).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceMatch {
    /// Pattern of `kind`.
    pub kind: Option<String>,
    /// Pattern of `metadata.namespace` (empty for cluster-scoped objects).
    pub namespace: Option<String>,
    /// Pattern of `metadata.name`.
    pub name: Option<String>,
    /// Label keys and patterns of their values.
    pub labels: Vec<(String, String)>,
}

impl ResourceMatch {
    fn matches(&self, resource: &Resource) -> bool {
        let field = |pattern: &Option<String>, value: &str| {
            pattern.as_deref().is_none_or(|p| wildcard_match(p, value))
        };
        field(&self.kind, &resource.kind)
            && field(&self.namespace, resource.namespace.as_deref().unwrap_or(""))
            && field(&self.name, &resource.name)
            && self.labels.iter().all(|(key, pattern)| {
                resource
                    .root
                    .get_path(&["metadata", "labels", key])
                    .and_then(Node::as_str)
                    .is_some_and(|v| wildcard_match(pattern, v))
            })
    }
}

/// One exception.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// Control ID patterns (`VG-W005`, `PSS-R*`).
    pub controls: Vec<String>,
    /// Empty: any object (used for inline exceptions, which are on the object).
    pub resources: Vec<ResourceMatch>,
    /// Why the findings are accepted.
    pub reason: String,
    /// The last day the exception applies; none: no expiry.
    pub expires: Option<Date>,
    /// `annotation` or `FILE:LINE`.
    pub source: String,
}

impl Exception {
    fn covers_control(&self, id: &str) -> bool {
        self.controls.iter().any(|p| wildcard_match(p, id))
    }

    fn covers_resource(&self, resource: &Resource) -> bool {
        self.resources.is_empty() || self.resources.iter().any(|m| m.matches(resource))
    }

    fn applied(&self) -> AppliedException {
        AppliedException {
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
            source: self.source.clone(),
        }
    }
}

/// The exceptions of an exceptions file, checked against the known controls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exceptions {
    /// The exceptions of the file, in file order.
    pub file: Vec<Exception>,
}

/// What an exception lookup found for one finding.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// No exception covers the finding.
    None,
    /// An exception covers the finding.
    Applies(AppliedException),
    /// An exception matched but has expired: the finding counts, and the user is told.
    Expired {
        /// Where the exception was declared.
        source: String,
        /// Its last day.
        expired: Date,
    },
}

impl Exceptions {
    /// Parses an exceptions file. `known` lists every control ID; a pattern that
    /// matches none of them is an error.
    /// Every problem is returned, not only the first, each naming its line.
    pub fn from_yaml(
        path: &str,
        text: &str,
        known: &[&str],
    ) -> Result<Exceptions, Vec<ExceptionError>> {
        let mut errors = Vec::new();
        let mut exceptions = Vec::new();
        for document in parse_documents(text) {
            let document = match document {
                Ok(d) => d,
                Err(e) => {
                    errors.push(ExceptionError::new(path, e.pos, Problem::Yaml(e.reason)));
                    continue;
                }
            };
            let Some(list) = document.root.get("exceptions") else {
                errors.push(ExceptionError::new(
                    path,
                    document.root.pos,
                    Problem::NoList,
                ));
                continue;
            };
            for item in list.items() {
                match parse_exception(path, item, known) {
                    Ok(e) => exceptions.push(e),
                    Err(e) => errors.push(e),
                }
            }
        }
        if errors.is_empty() {
            Ok(Exceptions { file: exceptions })
        } else {
            Err(errors)
        }
    }

    /// The exceptions that may cover findings on `resource`, from the object's
    /// own annotations first, then from the file: read once per object rather
    /// than once per finding.
    pub fn for_object(&self, resource: &Resource) -> ObjectExceptions<'_> {
        ObjectExceptions {
            inline: inline_exception(resource),
            file: self
                .file
                .iter()
                .filter(|e| e.covers_resource(resource))
                .collect(),
        }
    }
}

/// The exceptions that cover one object, whatever the control.
#[derive(Debug)]
pub struct ObjectExceptions<'a> {
    inline: Option<Exception>,
    file: Vec<&'a Exception>,
}

impl ObjectExceptions<'_> {
    /// The exception covering `control_id` on the object.
    pub fn lookup(&self, control_id: &str, today: Date) -> Lookup {
        let candidates = self.inline.iter().chain(self.file.iter().copied());
        let mut expired = None;
        for exception in candidates {
            if !exception.covers_control(control_id) {
                continue;
            }
            match exception.expires {
                Some(date) if date < today => {
                    expired.get_or_insert((exception.source.clone(), date));
                }
                _ => return Lookup::Applies(exception.applied()),
            }
        }
        match expired {
            Some((source, expired)) => Lookup::Expired { source, expired },
            None => Lookup::None,
        }
    }
}

/// The exception an object declares in its own annotations, if any. An
/// unreadable expiry date voids the exception (an error the scan reports through
/// [`inline_problems`]) rather than making it last forever.
fn inline_exception(resource: &Resource) -> Option<Exception> {
    let ids = resource.annotation(SKIP_ANNOTATION)?;
    let expires = match resource.annotation(UNTIL_ANNOTATION) {
        Some(date) => Some(Date::parse(date).ok()?),
        None => None,
    };
    Some(Exception {
        controls: split_ids(ids),
        resources: Vec::new(),
        reason: resource
            .annotation(REASON_ANNOTATION)
            .unwrap_or("no reason given")
            .to_string(),
        expires,
        source: "annotation".into(),
    })
}

/// Problems with an object's inline exception: unknown control IDs, a bad date.
pub fn inline_problems(resource: &Resource, known: &[&str]) -> Vec<(Pos, String)> {
    let mut problems = Vec::new();
    let Some(ids) = resource.annotation(SKIP_ANNOTATION) else {
        return problems;
    };
    let pos = resource
        .root
        .get_path(&["metadata", "annotations"])
        .and_then(|a| a.entry(SKIP_ANNOTATION))
        .map_or(resource.pos, |e| e.key_pos);
    for pattern in split_ids(ids) {
        if !known.iter().any(|id| wildcard_match(&pattern, id)) {
            problems.push((
                pos,
                format!("{SKIP_ANNOTATION} names `{pattern}`, which is no known control"),
            ));
        }
    }
    if let Some(until) = resource.annotation(UNTIL_ANNOTATION) {
        if let Err(e) = Date::parse(until) {
            problems.push((pos, format!("{UNTIL_ANNOTATION}: {e}")));
        }
    }
    problems
}

fn split_ids(ids: &str) -> Vec<String> {
    ids.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_exception(path: &str, node: &Node, known: &[&str]) -> Result<Exception, ExceptionError> {
    let at = |n: &Node, problem| ExceptionError::new(path, n.pos, problem);
    let controls: Vec<String> = match node.get("controls") {
        Some(list) => list
            .items()
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| at(c, Problem::ControlNotString))
            })
            .collect::<Result<_, _>>()?,
        None => return Err(at(node, Problem::NoControls)),
    };
    if controls.is_empty() {
        return Err(at(node, Problem::EmptyControls));
    }
    for pattern in &controls {
        if !known.iter().any(|id| wildcard_match(pattern, id)) {
            return Err(at(node, Problem::UnknownControl(pattern.clone())));
        }
    }
    let reason = node
        .get("reason")
        .and_then(Node::as_str)
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| at(node, Problem::NoReason))?
        .to_string();
    let expires = match node.get("expires") {
        Some(d) => Some(Date::parse(&d.display_value()).map_err(|e| at(d, Problem::Date(e)))?),
        None => None,
    };
    let mut resources = Vec::new();
    for r in list_of(node, "resources") {
        let text = |key: &str| r.get(key).map(Node::display_value);
        let labels = r
            .get("labels")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .map(|e| (e.key.to_string(), e.value.display_value()))
            .collect();
        resources.push(ResourceMatch {
            kind: text("kind"),
            namespace: text("namespace"),
            name: text("name"),
            labels,
        });
    }
    Ok(Exception {
        controls,
        resources,
        reason,
        expires,
        source: format!("{path}:{}", node.pos),
    })
}

/// A problem of an exceptions file, at its file, line and column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: {problem}")]
pub struct ExceptionError {
    /// The file, as named to [`Exceptions::from_yaml`].
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong there.
    #[source]
    pub problem: Problem,
}

impl ExceptionError {
    fn new(file: &str, pos: Pos, problem: Problem) -> Self {
        Self {
            file: file.to_string(),
            pos,
            problem,
        }
    }
}

/// What is wrong with an exception or an exceptions file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The text is not YAML.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The document has no `exceptions:` key.
    #[error("expected an `exceptions:` list")]
    NoList,
    /// An item of `controls` is not a string.
    #[error("control IDs are strings")]
    ControlNotString,
    /// An exception without `controls`.
    #[error("an exception needs `controls`")]
    NoControls,
    /// `controls: []`.
    #[error("`controls` is empty")]
    EmptyControls,
    /// A control pattern that matches no known control: a typo must not
    /// silently hide nothing.
    #[error("`{0}` is no known control")]
    UnknownControl(String),
    /// An exception without a reason.
    #[error("an exception needs a `reason`")]
    NoReason,
    /// An unreadable `expires`.
    #[error(transparent)]
    Date(#[from] DateError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_781).to_string(),
            "2026-11-24"
        );
        assert!(Date::parse("2026-13-01").is_err());
        assert!(Date::parse("2027-02-31").is_err());
        assert!(Date::parse("2027-02-29").is_err());
        assert!(Date::parse("2028-02-29").is_ok());
        assert!(Date::parse("2100-02-29").is_err());
        assert!(Date::parse("2026-04-31").is_err());
        assert!(Date::parse("2026-02-03").unwrap() < Date::parse("2026-10-01").unwrap());
    }

    #[test]
    fn file_errors_name_the_line() {
        let known = ["VG-W001", "PSS-R03"];
        let text = "exceptions:\n- controls: [VG-W001]\n  reason: ok\n- controls: [VG-X999]\n  reason: typo\n- controls: [PSS-R03]\n";
        let errors = Exceptions::from_yaml("ex.yaml", text, &known).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            errors[0].starts_with("ex.yaml:4:3") && errors[0].contains("VG-X999"),
            "{errors:?}"
        );
        assert!(errors[1].contains("needs a `reason`"), "{errors:?}");
    }
}
