//! `kyverno test`: runs `cli.kyverno.io/v1alpha1` Test files (`kyverno-test.yaml`)
//! and compares every expected result with what the engine says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use vigie_resource::{load, LoadOptions};

use crate::engine::{evaluate, Request, Status, Target};
use crate::json::node_to_json;
use crate::load::load_policies;
use crate::policy::{Policy, RuleAction};
use crate::values::{parse_user_info, parse_values};

/// What became of one expected result (one resource of one `results` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    Disagree,
    /// The entry needs a feature vigie does not have yet (mutate, generate, CEL...).
    Unsupported(String),
    /// The suite names a resource file that is not there, and the entry's resource
    /// is not in any file that is: no engine could produce the expected result.
    Unrunnable(String),
}

#[derive(Clone, Debug)]
pub struct EntryOutcome {
    pub policy: String,
    pub rule: String,
    pub kind: String,
    pub resource: String,
    pub expected: String,
    pub actual: Option<Status>,
    pub verdict: Verdict,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct SuiteReport {
    pub path: PathBuf,
    pub name: String,
    pub entries: Vec<EntryOutcome>,
    /// A problem that stopped the suite (unreadable file) or a policy that did not load.
    pub errors: Vec<String>,
}

impl SuiteReport {
    pub fn count(&self, verdict: fn(&Verdict) -> bool) -> usize {
        self.entries.iter().filter(|e| verdict(&e.verdict)).count()
    }
}

/// Every `kyverno-test.yaml` under the given paths, in order.
pub fn find_suites(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut entries: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            entries.sort();
            for e in entries.into_iter().rev() {
                if e.is_dir() {
                    stack.push(e);
                } else if e
                    .file_name()
                    .is_some_and(|n| n == "kyverno-test.yaml" || n == "kyverno-test.yml")
                {
                    out.push(e);
                }
            }
        }
    }
    out.sort();
    out
}

fn read_yaml_docs(path: &Path) -> Result<Vec<Json>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    vigie_resource::parse_documents(&text)
        .into_iter()
        .map(|d| {
            d.map(|d| node_to_json(&d.root))
                .map_err(|e| format!("{}:{}: {}", path.display(), e.pos, e.reason))
        })
        .collect()
}

fn string_list(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Runs one Test file.
pub fn run_suite(path: &Path) -> SuiteReport {
    let mut report = SuiteReport {
        path: path.to_path_buf(),
        name: String::new(),
        entries: Vec::new(),
        errors: Vec::new(),
    };
    let docs = match read_yaml_docs(path) {
        Ok(d) => d,
        Err(e) => {
            report.errors.push(e);
            return report;
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    for test in docs.iter().filter(|d| {
        d.get("kind").and_then(Json::as_str) == Some("Test") || d.get("results").is_some()
    }) {
        run_test(test, dir, &mut report);
    }
    report
}

fn run_test(test: &Json, dir: &Path, report: &mut SuiteReport) {
    report.name = test
        .pointer("/metadata/name")
        .or_else(|| test.get("name"))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let rel = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let policy_paths: Vec<String> = string_list(test.get("policies"))
        .iter()
        .map(|p| rel(p))
        .collect();
    let resource_paths: Vec<String> = string_list(test.get("resources"))
        .iter()
        .map(|p| rel(p))
        .collect();
    let loaded = load_policies(&policy_paths);
    for e in &loaded.errors {
        report.errors.push(e.to_string());
    }
    let mut request = Request::default();
    let values_file = test
        .get("variables")
        .or_else(|| test.get("values"))
        .and_then(Json::as_str);
    if let Some(v) = values_file {
        match read_yaml_docs(&dir.join(v)) {
            Ok(docs) => {
                if let Some(doc) = docs.first() {
                    request.values = parse_values(doc);
                }
            }
            Err(e) => report.errors.push(e),
        }
    } else if let Some(inline) = test.get("values").filter(|v| v.is_object()) {
        request.values = parse_values(inline);
    }
    if let Some(u) = test.get("userinfo").and_then(Json::as_str) {
        match read_yaml_docs(&dir.join(u)) {
            Ok(docs) => {
                if let Some(doc) = docs.first() {
                    request.user = parse_user_info(doc);
                }
            }
            Err(e) => report.errors.push(e),
        }
    }
    let resources = load(
        &resource_paths,
        &LoadOptions {
            no_kustomize: true,
            ..Default::default()
        },
    );
    let mut missing_files = Vec::new();
    for d in resources.diagnostics.iter().filter(|d| d.is_error()) {
        report.errors.push(format!("{}: {}", d.file, d.reason));
        if !Path::new(&d.file).exists() {
            missing_files.push(d.file.clone());
        }
    }
    let targets: Vec<Target> = resources
        .resources
        .into_iter()
        .map(Target::from_resource)
        .collect();
    request.config_maps = targets
        .iter()
        .filter(|t| t.kind == "ConfigMap")
        .map(|t| t.object.clone())
        .collect();
    let uses_exceptions = test.get("exceptions").is_some_and(|e| !e.is_null());

    // (policy, kind, namespace, name) -> rule -> status
    type Key = (String, String, String, String);
    let mut actual: HashMap<Key, Vec<(String, Status, String)>> = HashMap::new();
    for policy in &loaded.policies {
        for t in &targets {
            for r in evaluate(policy, t, &request) {
                let status = scored(policy, r.status);
                actual
                    .entry((
                        policy.name.clone(),
                        t.kind.clone(),
                        t.namespace.clone(),
                        t.name.clone(),
                    ))
                    .or_default()
                    .push((r.rule, status, r.message));
            }
        }
    }
    let unsupported_kinds: Vec<&str> = loaded
        .unsupported
        .iter()
        .map(|(_, _, name)| name.as_str())
        .collect();

    for entry in test
        .get("results")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let policy_ref = entry
            .get("policy")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let policy_name = policy_ref.rsplit('/').next().unwrap_or(policy_ref);
        let rule = entry.get("rule").and_then(Json::as_str).unwrap_or_default();
        let kind = entry.get("kind").and_then(Json::as_str).unwrap_or_default();
        let expected = entry
            .get("result")
            .or_else(|| entry.get("status"))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_lowercase();
        let entry_namespace = entry.get("namespace").and_then(Json::as_str);
        let mut names = string_list(entry.get("resources"));
        names.extend(string_list(entry.get("resource")));
        let policy = loaded.policies.iter().find(|p| p.name == policy_name);
        let unsupported = unsupported_reason(
            entry,
            policy,
            policy_name,
            rule,
            &unsupported_kinds,
            uses_exceptions,
        );
        for name in names {
            let (ns, res_name) = match name.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (entry_namespace, name.as_str()),
            };
            let mut outcome = EntryOutcome {
                policy: policy_ref.to_string(),
                rule: rule.to_string(),
                kind: kind.to_string(),
                resource: name.clone(),
                expected: expected.clone(),
                actual: None,
                verdict: Verdict::Disagree,
                message: String::new(),
            };
            if let Some(reason) = &unsupported {
                outcome.verdict = Verdict::Unsupported(reason.clone());
                report.entries.push(outcome);
                continue;
            }
            let resource_loaded = targets
                .iter()
                .any(|t| t.name == res_name && (kind.is_empty() || t.kind == kind));
            if !resource_loaded && !missing_files.is_empty() {
                outcome.verdict = Verdict::Unrunnable(format!(
                    "resource file missing: {}",
                    missing_files.join(", ")
                ));
                report.entries.push(outcome);
                continue;
            }
            if policy.is_none() {
                outcome.message = format!("policy {policy_ref} did not load");
                report.entries.push(outcome);
                continue;
            }
            let found = actual.iter().find_map(|((p, k, n_ns, n), rules)| {
                let hit = p == policy_name
                    && (kind.is_empty() || k == kind)
                    && n == res_name
                    && ns.is_none_or(|ns| ns == n_ns || (n_ns.is_empty() && ns == "default"));
                if !hit {
                    return None;
                }
                rules.iter().find(|(r, _, _)| {
                    r == rule
                        || *r == format!("autogen-{rule}")
                        || *r == format!("autogen-cronjob-{rule}")
                })
            });
            match found {
                Some((_, status, message)) => {
                    outcome.actual = Some(*status);
                    outcome.message = message.clone();
                    outcome.verdict = if status.as_str() == expected {
                        Verdict::Agree
                    } else {
                        Verdict::Disagree
                    };
                }
                None => {
                    // A rule that does not apply produces no result, which is what
                    // an expected `skip` means.
                    outcome.verdict = if expected == "skip" {
                        Verdict::Agree
                    } else {
                        Verdict::Disagree
                    };
                    outcome.message = "no result: the rule does not apply to this resource".into();
                }
            }
            report.entries.push(outcome);
        }
    }
}

/// `policies.kyverno.io/scored: "false"` turns failures into warnings.
fn scored(policy: &Policy, status: Status) -> Status {
    if status == Status::Fail && policy.annotation("policies.kyverno.io/scored") == Some("false") {
        Status::Warn
    } else {
        status
    }
}

fn unsupported_reason(
    entry: &Json,
    policy: Option<&Policy>,
    policy_name: &str,
    rule: &str,
    unsupported_kinds: &[&str],
    uses_exceptions: bool,
) -> Option<String> {
    for key in [
        "patchedResources",
        "patchedResource",
        "generatedResource",
        "cloneSourceResource",
    ] {
        if entry.get(key).is_some() {
            return Some(format!("{key} (mutate/generate)"));
        }
    }
    if entry
        .get("isValidatingAdmissionPolicy")
        .and_then(Json::as_bool)
        == Some(true)
        || entry.get("isValidatingPolicy").and_then(Json::as_bool) == Some(true)
    {
        return Some("CEL policy".into());
    }
    if policy.is_none() && unsupported_kinds.contains(&policy_name) {
        return Some("CEL or later policy kind".into());
    }
    if uses_exceptions {
        return Some("PolicyException".into());
    }
    let policy = policy?;
    let rule = policy.rules.iter().find(|r| r.name == rule)?;
    match &rule.action {
        RuleAction::Unsupported(kind) => Some(kind.to_string()),
        RuleAction::Validate(_) => None,
    }
}

/// Agreement figures for a group of suites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub suites: usize,
    pub agree: usize,
    pub disagree: usize,
    pub unsupported: usize,
    pub unrunnable: usize,
    pub suite_errors: usize,
}

impl Summary {
    pub fn add(&mut self, report: &SuiteReport) {
        self.suites += 1;
        self.agree += report.count(|v| *v == Verdict::Agree);
        self.disagree += report.count(|v| *v == Verdict::Disagree);
        self.unsupported += report.count(|v| matches!(v, Verdict::Unsupported(_)));
        self.unrunnable += report.count(|v| matches!(v, Verdict::Unrunnable(_)));
        self.suite_errors += usize::from(!report.errors.is_empty());
    }

    /// Agreement over supported entries, in percent.
    pub fn percent(&self) -> f64 {
        let total = self.agree + self.disagree;
        if total == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / total as f64
        }
    }
}

/// Figures per category (the first folder under `root`) and overall.
pub fn summarize(reports: &[SuiteReport], root: &Path) -> (Vec<(String, Summary)>, Summary) {
    let mut by_category: std::collections::BTreeMap<String, Summary> = Default::default();
    let mut overall = Summary::default();
    for r in reports {
        let category = r
            .path
            .strip_prefix(root)
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .filter(|c| !c.ends_with(".yaml"))
            .unwrap_or_else(|| ".".into());
        by_category.entry(category).or_default().add(r);
        overall.add(r);
    }
    (by_category.into_iter().collect(), overall)
}
