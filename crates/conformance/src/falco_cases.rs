//! The case files of Falco's regression suite (`falco_tests.yaml`,
//! `falco_k8s_audit_tests.yaml`): a `trace_files` mapping from case name to the
//! rule files, the trace, the rule selection and the expected detections. Both
//! the `falco-k8saudit` and `falco-scap` runners read them here.

use std::collections::HashMap;
use std::path::Path;

use vigie_resource::{parse_documents, Node};
use vigie_rules::Priority;

/// One case of a Falco regression file.
pub struct Case {
    pub name: String,
    /// Whether any alert is expected.
    pub detect: bool,
    /// Priorities at which at least one alert is expected.
    pub levels: Vec<String>,
    /// Exact alert counts per rule.
    pub counts: Vec<(String, usize)>,
    /// `rules_file`: the rule files to load, in order.
    pub rules_files: Vec<String>,
    /// `validate_rules_file`: rule files the case loads to check they validate.
    pub validate_rules_files: Vec<String>,
    /// The trace, relative to the suite's folder.
    pub trace_file: String,
    pub run_tags: Vec<String>,
    pub disable_tags: Vec<String>,
    pub disabled_rules: Vec<String>,
    /// The least priority that raises alerts (`-o priority=`).
    pub priority: Option<String>,
    /// Falco's `-A`: every event, including the ones it skipped by default.
    pub all_events: bool,
}

/// A scalar or a sequence of scalars, as the suite writes lists of one.
fn strings(node: Option<&Node>) -> Vec<String> {
    match node {
        None => Vec::new(),
        Some(n) => match n.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            None => n.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
        },
    }
}

/// Every case of `file`, in file order.
pub(crate) fn read_cases(file: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let doc = parse_documents(&text)
        .into_iter()
        .next()
        .ok_or("no document")?
        .map_err(|e| format!("{}: {}", file.display(), e.reason))?;
    let traces = doc
        .root
        .get("trace_files")
        .and_then(Node::as_map)
        .ok_or("no trace_files mapping")?;
    let mut cases = Vec::new();
    for entry in traces {
        let c = &entry.value;
        let counts = c
            .get("detect_counts")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_map)
            .flatten()
            .filter_map(|e| Some((e.key.to_string(), e.value.as_i64()? as usize)))
            .collect();
        cases.push(Case {
            name: entry.key.to_string(),
            detect: c.get("detect").and_then(Node::as_bool).unwrap_or(false),
            levels: strings(c.get("detect_level")),
            counts,
            rules_files: strings(c.get("rules_file")),
            validate_rules_files: strings(c.get("validate_rules_file")),
            trace_file: c
                .get("trace_file")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string(),
            run_tags: strings(c.get("run_tags")),
            disable_tags: strings(c.get("disable_tags")),
            disabled_rules: strings(c.get("disabled_rules")),
            priority: c.get("priority").and_then(Node::as_str).map(str::to_string),
            all_events: c.get("all_events").and_then(Node::as_bool).unwrap_or(false),
        });
    }
    Ok(cases)
}

/// The alerts a case's run raised, by rule and by priority.
#[derive(Default)]
pub(crate) struct Alerts {
    total: usize,
    by_rule: HashMap<String, usize>,
    by_priority: HashMap<Priority, usize>,
}

impl Alerts {
    /// Counts one alert of rule `name` at `priority`.
    pub(crate) fn record(&mut self, name: &str, priority: Priority) {
        self.total += 1;
        *self.by_rule.entry(name.to_string()).or_default() += 1;
        *self.by_priority.entry(priority).or_default() += 1;
    }
}

impl Case {
    /// Adds to `problems` what `alerts` does not have of what the case
    /// expects: detection or none, a level, a count per rule.
    pub(crate) fn check(&self, alerts: &Alerts, problems: &mut Vec<String>) {
        let Alerts {
            total,
            by_rule,
            by_priority,
        } = alerts;
        if std::env::var_os("CONFORMANCE_VERBOSE").is_some() {
            println!("{}: {total} alerts {by_rule:?}", self.name);
        }
        if self.detect != (*total > 0) {
            let mut fired: Vec<_> = by_rule.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            fired.sort();
            problems.push(format!(
                "expected detect={} but {total} alerts ({})",
                self.detect,
                fired.join(", ")
            ));
        }
        if self.detect {
            for level in &self.levels {
                let p = Priority::parse(level);
                if p.and_then(|p| by_priority.get(&p)).copied().unwrap_or(0) == 0 {
                    problems.push(format!("no alert at level {level}"));
                }
            }
        }
        for (rule, expected) in &self.counts {
            let got = by_rule.get(rule).copied().unwrap_or(0);
            if got != *expected {
                problems.push(format!(
                    "rule '{rule}': expected {expected} alerts, got {got}"
                ));
            }
        }
    }
}
