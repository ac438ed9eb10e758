//! `kyverno test`: runs `cli.kyverno.io/v1alpha1` Test files (`kyverno-test.yaml`)
//! and compares every expected result with what the engine says.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use vigie_resource::input::{read_text, WalkDiagnostic};
use vigie_resource::{load, Limits, LoadOptions};

use crate::engine::{
    base_rule_name, evaluate_in, generate, mutate, mutate_existing, mutates_existing,
    PolicyContext, Request, Status, Target,
};
use crate::exception::{exempt, load_exceptions, Exempted, PolicyException};
use crate::inputs::{gather, resources_of_text};
use crate::json::{array_items, node_to_json, str_of};
use crate::load::load_policies;
use crate::patched::{self, PatchedComparison};
use crate::policy::{Mutation, Policy, RuleAction};
use crate::values::{parse_user_info, parse_values};

/// What became of one expected result (one resource of one `results` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The engine gave the expected result.
    Agree,
    /// It gave another one (see the entry's message).
    Disagree,
    /// The entry needs a feature vigie does not have yet (mutate, generate, CEL...).
    Unsupported(String),
    /// The suite names a resource file that is not there, and the entry's resource
    /// is not in any file that is: no engine could produce the expected result.
    Unrunnable(String),
}

/// One expected result of a suite, and what the engine said.
#[derive(Clone, Debug)]
pub struct EntryOutcome {
    /// The entry's policy, as written (`namespace/name` for a Policy).
    pub policy: String,
    /// The entry's rule.
    pub rule: String,
    /// The entry's resource kind.
    pub kind: String,
    /// The resource, as written (`name` or `namespace/name`).
    pub resource: String,
    /// The expected status, lower-case: `pass`, `fail`, `skip`...
    pub expected: String,
    /// The status the engine gave; `None` when the rule gave none.
    pub actual: Option<Status>,
    /// Whether the two agree.
    pub verdict: Verdict,
    /// Why they disagree, or the rule's message.
    pub message: String,
}

/// What running one suite file gave.
#[derive(Clone, Debug)]
pub struct SuiteReport {
    /// The suite file.
    pub path: PathBuf,
    /// The Test's `metadata.name` (or `name`).
    pub name: String,
    /// One outcome per expected result and resource.
    pub entries: Vec<EntryOutcome>,
    /// A problem that stopped the suite (unreadable file) or a policy that did not load.
    pub errors: Vec<String>,
    /// The problems among `errors` that mean input could not be read: the suite
    /// file itself (missing, over the size cap, not UTF-8, broken YAML, no Test in
    /// it), or a file it names that is there but cannot be read. `vigie policy
    /// test` exits 2 on them; a named file that is missing only makes the entries
    /// that need it unrunnable.
    pub input_errors: Vec<String>,
}

impl SuiteReport {
    /// How many entries have a verdict `verdict` accepts.
    pub fn count(&self, verdict: fn(&Verdict) -> bool) -> usize {
        self.entries.iter().filter(|e| verdict(&e.verdict)).count()
    }
}

/// Every `kyverno-test.yaml` under the given paths, in order.
pub fn find_suites(paths: &[PathBuf]) -> Vec<PathBuf> {
    find_suites_noting(paths).0
}

/// Every `kyverno-test.yaml` under the given paths, in order, and a note for each
/// one skipped because it is not a regular file (a FIFO would block the run).
/// A path named directly is taken whatever it is.
pub fn find_suites_noting(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for p in paths {
        if !p.is_dir() {
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
                // Not following links to directories keeps a link cycle from looping.
                let Ok(meta) = std::fs::symlink_metadata(&e) else {
                    continue;
                };
                if meta.is_dir() {
                    stack.push(e);
                } else if e
                    .file_name()
                    .is_some_and(|n| n == "kyverno-test.yaml" || n == "kyverno-test.yml")
                {
                    if e.is_file() {
                        out.push(e);
                    } else {
                        let file = e.display().to_string();
                        notes.push(WalkDiagnostic::NotRegular(file).to_string());
                    }
                }
            }
        }
    }
    out.sort();
    (out, notes)
}

/// The documents of a YAML file, read with the size cap. An error is `file:line: reason`.
fn read_yaml_docs(path: &Path, max_file_bytes: u64) -> Result<Vec<Json>, ReadProblem> {
    let text = read_text(path, max_file_bytes).map_err(|e| ReadProblem {
        missing: e.is_not_found(),
        message: e.to_string(),
    })?;
    vigie_resource::parse_documents(&text)
        .into_iter()
        .map(|d| {
            d.map(|d| node_to_json(&d.root)).map_err(|e| ReadProblem {
                missing: false,
                message: format!(
                    "{}:{}: document {}: invalid YAML: {}",
                    path.display(),
                    e.pos.line.max(1),
                    e.index + 1,
                    e.reason
                ),
            })
        })
        .collect()
}

/// The first document of `path` (a values or user info file), if the file
/// reads; when it does not, that is a problem of `report`.
fn first_document(path: &Path, max_file_bytes: u64, report: &mut SuiteReport) -> Option<Json> {
    match read_yaml_docs(path, max_file_bytes) {
        Ok(docs) => docs.into_iter().next(),
        Err(e) => {
            report.file_problem(e.missing, e.message);
            None
        }
    }
}

/// A file that could not be read or parsed.
struct ReadProblem {
    /// The file does not exist.
    missing: bool,
    message: String,
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

/// Runs one Test file, reading no file beyond the default size cap.
pub fn run_suite(path: &Path) -> SuiteReport {
    run_suite_with(path, Limits::DEFAULT_MAX_FILE_BYTES)
}

/// Runs one Test file, reading no file (the suite, its policies, resources, values
/// and user info) beyond `max_file_bytes`.
pub fn run_suite_with(path: &Path, max_file_bytes: u64) -> SuiteReport {
    let mut report = SuiteReport {
        path: path.to_path_buf(),
        name: String::new(),
        entries: Vec::new(),
        errors: Vec::new(),
        input_errors: Vec::new(),
    };
    let docs = match read_yaml_docs(path, max_file_bytes) {
        Ok(d) => d,
        Err(e) => {
            report.input_error(e.message);
            return report;
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tests = 0;
    for test in docs.iter().filter(|d| {
        d.get("kind").and_then(Json::as_str) == Some("Test") || d.get("results").is_some()
    }) {
        tests += 1;
        run_test(test, dir, max_file_bytes, &mut report);
    }
    if tests == 0 {
        report.input_error(format!(
            "{}: holds no kyverno test (a cli.kyverno.io Test with results)",
            path.display()
        ));
    }
    report
}

impl SuiteReport {
    fn input_error(&mut self, message: String) {
        self.errors.push(message.clone());
        self.input_errors.push(message);
    }

    /// A file the suite names that could not be read: when it is missing, an
    /// error of the suite (the results that need it say so), otherwise an
    /// input error as well.
    fn file_problem(&mut self, missing: bool, message: String) {
        if missing {
            self.errors.push(message);
        } else {
            self.input_error(message);
        }
    }
}

/// What one Test of a suite runs on, read as `vigie policy test` reads it.
#[derive(Debug)]
pub struct TestInputs {
    /// The Test's name.
    pub name: String,
    /// Its policies (with the errors of those that did not load).
    pub loaded: crate::load::LoadedPolicies,
    /// Its resources.
    pub targets: Vec<Target>,
    /// Its `targetResources`: the existing resources `mutate.targets` rules
    /// select among (Kyverno's CLI puts them in its fake cluster).
    pub target_resources: Vec<Target>,
    /// The request: user info, values, the ConfigMaps among the resources.
    pub request: Request,
    /// Whether the Test gives values (a values file or inline values).
    pub has_values: bool,
    /// Resource files named by the Test that are not there.
    pub missing_files: Vec<String>,
    /// The PolicyExceptions of its `exceptions` files.
    pub exceptions: Vec<PolicyException>,
    /// The objects of its `cli.kyverno.io/v1alpha1` Context file (`spec.resources`):
    /// what `apiCall`, `globalReference`, `configMap` and clone sources read.
    pub context_objects: Vec<Json>,
}

/// The inputs of every Test of a suite file (for runners other than `vigie policy
/// test`'s, such as the admission conformance). Problems are left out: run the
/// suite with [`run_suite_with`] to see them.
pub fn suite_inputs(path: &Path, max_file_bytes: u64) -> Vec<TestInputs> {
    let Ok(docs) = read_yaml_docs(path, max_file_bytes) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut scratch = SuiteReport {
        path: path.to_path_buf(),
        name: String::new(),
        entries: Vec::new(),
        errors: Vec::new(),
        input_errors: Vec::new(),
    };
    docs.iter()
        .filter(|d| {
            d.get("kind").and_then(Json::as_str) == Some("Test") || d.get("results").is_some()
        })
        .map(|test| read_inputs(test, dir, max_file_bytes, &mut scratch))
        .collect()
}

/// The string of a field of the Test format, else of the field's older name,
/// which the format still reads (`status` for `result`); `None` when neither
/// is a string.
fn renamed_str<'a>(field: Option<&'a Json>, older: Option<&'a Json>) -> Option<&'a str> {
    field.or(older).and_then(Json::as_str)
}

fn read_inputs(
    test: &Json,
    dir: &Path,
    max_file_bytes: u64,
    report: &mut SuiteReport,
) -> TestInputs {
    let name = renamed_str(test.pointer("/metadata/name"), test.get("name"))
        .unwrap_or_default()
        .to_string();
    report.name.clone_from(&name);
    // The files the Test's `key` names, relative to the suite's folder.
    let paths = |key: &str| -> Vec<String> {
        string_list(test.get(key))
            .iter()
            .map(|p| dir.join(p).to_string_lossy().into_owned())
            .collect()
    };
    let resource_paths = paths("resources");
    let loaded = load_policies(&paths("policies"), max_file_bytes);
    for e in &loaded.unreadable {
        report.file_problem(e.is_not_found(), e.to_string());
    }
    for e in &loaded.errors {
        report.errors.push(e.to_string());
    }
    let mut request = Request::default();
    let values_file = renamed_str(test.get("variables"), test.get("values"));
    if let Some(v) = values_file {
        if let Some(doc) = first_document(&dir.join(v), max_file_bytes, report) {
            request.values = parse_values(&doc);
        }
    } else if let Some(inline) = test.get("values").filter(|v| v.is_object()) {
        request.values = parse_values(inline);
    }
    if let Some(u) = test.get("userinfo").and_then(Json::as_str) {
        if let Some(doc) = first_document(&dir.join(u), max_file_bytes, report) {
            request.user = parse_user_info(&doc);
        }
    }
    let (targets, missing_files) = load_resources(&resource_paths, max_file_bytes, "", report);
    let target_resources = load_target_resources(&paths("targetResources"), max_file_bytes, report);
    let exception_paths = paths("exceptions");
    let mut exceptions = Vec::new();
    if !exception_paths.is_empty() {
        let loaded = load_exceptions(&exception_paths, max_file_bytes);
        for e in loaded.unreadable {
            report.file_problem(e.is_not_found(), e.to_string());
        }
        report.errors.extend(loaded.errors);
        exceptions = loaded.exceptions;
    }
    let mut context_objects = Vec::new();
    let mut context_images = Vec::new();
    if let Some(file) = test.get("context").and_then(Json::as_str) {
        match read_yaml_docs(&dir.join(file), max_file_bytes) {
            Ok(docs) => {
                let data = crate::values::parse_context(&docs);
                context_objects = data.resources;
                context_images = data.images;
            }
            Err(e) => report.file_problem(e.missing, format!("context: {}", e.message)),
        }
    }
    request.config_maps = targets
        .iter()
        .filter(|t| t.kind == "ConfigMap")
        .map(|t| t.object.clone())
        .chain(context_objects.iter().cloned())
        .collect();
    // Kyverno's CLI answers `resource.Get/List` from the Context file; the
    // suite's own resources are there too, as in a cluster.
    request.cel_lookup = std::sync::Arc::new(vigie_cel::kyverno::Offline {
        resources: targets
            .iter()
            .chain(&target_resources)
            .map(|t| t.object.clone())
            .chain(context_objects.iter().cloned())
            .collect(),
        images: context_images,
    });
    request.cel_authorizer = Some(crate::cel::authz::answers(
        vigie_rbac::Rbac::from_resources(targets.iter().filter_map(|t| t.resource.as_ref())),
    ));
    TestInputs {
        name,
        loaded,
        targets,
        target_resources,
        request,
        has_values: values_file.is_some() || test.get("values").is_some_and(Json::is_object),
        missing_files,
        exceptions,
        context_objects,
    }
}

/// The objects of a Test's `targetResources` files; a file that is missing or
/// unreadable is an error of the suite (the rest still load).
fn load_target_resources(
    paths: &[String],
    max_file_bytes: u64,
    report: &mut SuiteReport,
) -> Vec<Target> {
    if paths.is_empty() {
        return Vec::new();
    }
    load_resources(paths, max_file_bytes, "targetResources: ", report).0
}

/// The objects of the resource files and folders `paths`, and the files that
/// are missing. Each problem is one of `report`, the file's problems and the
/// loader's errors after `prefix` (which says what the files were for).
fn load_resources(
    paths: &[String],
    max_file_bytes: u64,
    prefix: &str,
    report: &mut SuiteReport,
) -> (Vec<Target>, Vec<String>) {
    let gathered = gather(paths, max_file_bytes, false);
    let mut missing = Vec::new();
    for e in gathered.errors {
        if e.is_not_found() {
            missing.push(e.file().to_string());
        }
        report.file_problem(e.is_not_found(), format!("{prefix}{e}"));
    }
    let loaded = load(&gathered.paths, &LoadOptions::plain_files(max_file_bytes));
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        report.errors.push(format!("{prefix}{}", d.located()));
    }
    let mut resources = loaded.resources;
    for (name, text) in &gathered.texts {
        let (more, errors) = resources_of_text(name, text);
        resources.extend(more);
        for (line, reason) in errors {
            report.errors.push(format!("{name}:{line}: {reason}"));
        }
    }
    let targets = resources.into_iter().map(Target::from_resource).collect();
    (targets, missing)
}

fn run_test(test: &Json, dir: &Path, max_file_bytes: u64, report: &mut SuiteReport) {
    let TestInputs {
        loaded,
        targets,
        target_resources,
        request,
        missing_files,
        exceptions,
        context_objects,
        ..
    } = read_inputs(test, dir, max_file_bytes, report);
    // Each policy as the exceptions leave it for each resource (the policy itself
    // when none applies), and a skip result for each rule they exempt.
    let exempted: Vec<Vec<Exempted<'_>>> = targets
        .iter()
        .map(|t| {
            loaded
                .policies
                .iter()
                .map(|p| exempt(&exceptions, p, t, &request))
                .collect()
        })
        .collect();

    // (policy, kind, namespace, name) -> rule -> status
    type Key = (String, String, String, String);
    let key = |policy: &Policy, t: &Target| {
        (
            policy.name.clone(),
            t.kind.clone(),
            t.namespace.clone(),
            t.name.clone(),
        )
    };
    let mut actual: HashMap<Key, Vec<(String, Status, String)>> = HashMap::new();
    // Each object as each policy's mutations left it (keyed by the object as loaded).
    let mut patched: HashMap<Key, Json> = HashMap::new();
    // Mutations run first, policy after policy; validation then sees the mutated
    // objects, as in Kyverno's CLI.
    for (t, policies) in targets.iter().zip(&exempted) {
        for e in policies {
            for r in &e.skipped {
                actual.entry(key(&e.policy, t)).or_default().push((
                    r.rule.clone(),
                    r.status,
                    r.message.clone(),
                ));
            }
        }
    }
    let mutated: Vec<Cow<'_, Target>> = targets
        .iter()
        .zip(&exempted)
        .map(|(t, policies)| {
            let mut current = Cow::Borrowed(t);
            for policy in policies
                .iter()
                .map(|e| &*e.policy)
                .filter(|p| has_mutate_rules(p))
            {
                let outcome = mutate(std::slice::from_ref(policy), &current, &request);
                let results = actual.entry(key(policy, t)).or_default();
                for (_, r) in outcome.results {
                    results.push((r.rule, r.status, r.message));
                }
                if outcome.changed {
                    current = Cow::Owned(Target::from_json(outcome.object));
                }
                patched.insert(key(policy, t), current.object.clone());
            }
            current
        })
        .collect();
    for (i, (t, m)) in targets.iter().zip(&mutated).enumerate() {
        // One context per resource: ImageValidatingPolicies settle
        // `required` across all the policies of the request.
        let context = PolicyContext::new(m, &request);
        for e in &exempted[i] {
            let policy = &*e.policy;
            for r in evaluate_in(&context, policy) {
                let status = scored(policy, r.status);
                actual
                    .entry(key(policy, t))
                    .or_default()
                    .push((r.rule, status, r.message));
            }
        }
        for settled in context.settle_image_requirements() {
            let Some(policy) = exempted[i]
                .iter()
                .map(|e| &*e.policy)
                .find(|p| p.name == settled.policy)
            else {
                continue;
            };
            let entry = actual
                .get_mut(&key(policy, t))
                .and_then(|results| results.iter_mut().find(|r| r.0 == settled.rule));
            if let Some(entry) = entry {
                entry.1 = scored(policy, settled.status);
                entry.2 = settled.message;
            }
        }
    }
    // Mutate-existing rules: each trigger (as mutated) patches the target
    // resources its rules select; results and patched targets are the targets'.
    let mut patched_targets: HashMap<Key, Json> = HashMap::new();
    for (i, (t, m)) in targets.iter().zip(&mutated).enumerate() {
        let policies: Vec<&Policy> = exempted[i]
            .iter()
            .map(|e| &*e.policy)
            .filter(|p| mutates_existing(p))
            .collect();
        if policies.is_empty() {
            continue;
        }
        for outcome in mutate_existing(&policies, m, &target_resources, &request) {
            let policy = policies[outcome.policy];
            let on = outcome.target.map_or(t, |i| &target_resources[i]);
            let r = outcome.result;
            actual
                .entry(key(policy, on))
                .or_default()
                .push((r.rule, r.status, r.message));
            if let Some(object) = outcome.patched {
                patched_targets.insert(key(policy, on), object);
            }
        }
    }
    // Generate rules see the objects as mutated; clone sources come from the
    // resources, the entries' cloneSourceResource files and Context files.
    let mut sources = clone_sources(test, dir, max_file_bytes, &targets, report);
    sources.extend(context_objects);
    let mut generated: HashMap<Key, Vec<(String, Vec<Json>)>> = HashMap::new();
    for (i, (t, m)) in targets.iter().zip(&mutated).enumerate() {
        let generating: Vec<&Policy> = exempted[i]
            .iter()
            .map(|e| &*e.policy)
            .filter(|p| {
                p.rules
                    .iter()
                    .any(|r| matches!(r.action, RuleAction::Generate(_)))
            })
            .collect();
        if !generating.is_empty() {
            for outcome in generate(&generating, m, &request, &sources) {
                let policy = generating[outcome.policy];
                let r = outcome.result;
                generated
                    .entry(key(policy, t))
                    .or_default()
                    .push((r.rule.clone(), outcome.resources));
                actual
                    .entry(key(policy, t))
                    .or_default()
                    .push((r.rule, r.status, r.message));
            }
        }
    }
    let unsupported_kinds: Vec<&str> = loaded
        .unsupported
        .iter()
        .map(|(_, _, name)| name.as_str())
        .collect();

    for entry in array_items(test.get("results")).iter() {
        let policy_ref = str_of(entry, "policy");
        let policy_name = policy_ref.rsplit('/').next().unwrap_or(policy_ref);
        let rule = str_of(entry, "rule");
        let kind = str_of(entry, "kind");
        let expected = renamed_str(entry.get("result"), entry.get("status"))
            .unwrap_or_default()
            .to_lowercase();
        let entry_namespace = entry.get("namespace").and_then(Json::as_str);
        let mut names = string_list(entry.get("resources"));
        names.extend(string_list(entry.get("resource")));
        let policy = loaded.policies.iter().find(|p| p.name == policy_name);
        let unsupported = unsupported_reason(entry, policy, policy_name, rule, &unsupported_kinds);
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
                .chain(&target_resources)
                .any(|t| t.name == res_name && (kind.is_empty() || t.kind == kind));
            if !resource_loaded && !missing_files.is_empty() {
                outcome.verdict = Verdict::Unrunnable(format!(
                    "resource file missing: {}",
                    missing_files.join(", ")
                ));
                report.entries.push(outcome);
                continue;
            }
            // A suite that names what is not there fails, saying what is missing:
            // never a skip that agrees by accident.
            let Some(policy) = policy else {
                let failed_to_load = loaded.errors.iter().any(|e| e.policy == policy_name);
                outcome.message = if failed_to_load {
                    format!("policy {policy_ref} did not load")
                } else {
                    format!("policy {policy_ref} is not among the suite's policies")
                };
                report.entries.push(outcome);
                continue;
            };
            if !resource_loaded {
                outcome.message = format!(
                    "resource {}{name} is not among the suite's resources",
                    if kind.is_empty() {
                        String::new()
                    } else {
                        format!("{kind} ")
                    }
                );
                report.entries.push(outcome);
                continue;
            }
            let has_rule = policy
                .rules
                .iter()
                .any(|r| r.name == rule || base_rule_name(&r.name) == rule);
            // Entries for the CEL kinds (ValidatingPolicy, VAP) name no rule:
            // the policy is their rule.
            if !has_rule && !rule.is_empty() {
                outcome.message = format!("policy {policy_ref} has no rule {rule}");
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
                    // CEL policy kinds have one rule; their entries name none.
                    rule.is_empty()
                        || r == rule
                        || *r == format!("autogen-{rule}")
                        || *r == format!("autogen-cronjob-{rule}")
                })
            });
            let patched_file =
                renamed_str(entry.get("patchedResources"), entry.get("patchedResource"));
            if let (Some(file), Some((_, status, _))) = (patched_file, found) {
                outcome.actual = Some(*status);
                // A trigger's own mutation first, then a target's, as Kyverno's
                // CLI looks them up.
                let object =
                    patched
                        .iter()
                        .chain(&patched_targets)
                        .find_map(|((p, k, n_ns, n), o)| {
                            (p == policy_name
                                && (kind.is_empty() || k == kind)
                                && n == res_name
                                && ns.is_none_or(|ns| {
                                    ns == n_ns || (n_ns.is_empty() && ns == "default")
                                }))
                            .then_some(o)
                        });
                if let Some(object) = object {
                    let path = dir.join(file);
                    let comparison = read_yaml_docs(&path, max_file_bytes)
                        .map(|docs| patched::compare(object, &docs));
                    match comparison {
                        Err(e) => {
                            outcome.message = format!("patchedResources: {}", e.message);
                            report.entries.push(outcome);
                            continue;
                        }
                        Ok(PatchedComparison::NotInFile) => {
                            outcome.verdict = Verdict::Unrunnable(format!(
                                "the mutated resource is not in {} (kyverno test leaves this entry out)",
                                path.display()
                            ));
                            report.entries.push(outcome);
                            continue;
                        }
                        Ok(PatchedComparison::Differs(d)) => {
                            outcome.message = format!(
                                "the mutated resource differs from {}: {d}",
                                path.display()
                            );
                            report.entries.push(outcome);
                            continue;
                        }
                        Ok(PatchedComparison::Same) => {}
                    }
                }
            }
            if let Some(file) = entry.get("generatedResource").and_then(Json::as_str) {
                let objects: Vec<&Json> = generated
                    .iter()
                    .filter(|((p, k, n_ns, n), _)| {
                        p == policy_name
                            && (kind.is_empty() || k == kind)
                            && n == res_name
                            && ns
                                .is_none_or(|ns| ns == n_ns || (n_ns.is_empty() && ns == "default"))
                    })
                    .flat_map(|(_, rules)| rules.iter())
                    // CEL policy kinds have one rule; their entries name none.
                    .filter(|(r, _)| rule.is_empty() || r == rule || base_rule_name(r) == rule)
                    .flat_map(|(_, objects)| objects.iter())
                    .collect();
                let path = dir.join(file);
                match read_yaml_docs(&path, max_file_bytes) {
                    Err(e) => {
                        outcome.message = format!("generatedResource: {}", e.message);
                        report.entries.push(outcome);
                        continue;
                    }
                    Ok(docs) => {
                        if let Err(problem) = compare_generated(&objects, &docs) {
                            outcome.actual = found.map(|(_, s, _)| *s);
                            let why = found
                                .filter(|_| objects.is_empty())
                                .map(|(_, s, m)| {
                                    format!(" (the rule's result: {}: {m})", s.as_str())
                                })
                                .unwrap_or_default();
                            outcome.message =
                                format!("generatedResource {}: {problem}{why}", path.display());
                            report.entries.push(outcome);
                            continue;
                        }
                    }
                }
            }
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

/// Checks that every object of a `generatedResource` file was generated, as it is.
fn compare_generated(generated: &[&Json], expected: &[Json]) -> Result<(), String> {
    if expected.is_empty() {
        return Err("the file holds no resource".into());
    }
    if generated.is_empty() {
        return Err("the rule generated no resource".into());
    }
    for doc in expected {
        let mut difference = None;
        let mut same = false;
        for object in generated {
            match patched::compare(object, std::slice::from_ref(doc)) {
                PatchedComparison::Same => {
                    same = true;
                    break;
                }
                PatchedComparison::Differs(d) => difference = Some(d),
                PatchedComparison::NotInFile => {}
            }
        }
        if same {
            continue;
        }
        let t = |p: &str| doc.pointer(p).and_then(Json::as_str).unwrap_or_default();
        return Err(match difference {
            Some(d) => format!("the generated resource differs: {d}"),
            None => format!(
                "{} {} {} was not generated (generated: {})",
                t("/apiVersion"),
                t("/kind"),
                t("/metadata/name"),
                generated
                    .iter()
                    .map(|o| {
                        let t = |p: &str| o.pointer(p).and_then(Json::as_str).unwrap_or_default();
                        format!(
                            "{} {} {}",
                            t("/apiVersion"),
                            t("/kind"),
                            t("/metadata/name")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok(())
}

/// What `clone` and `cloneList` rules may copy: the suite's resources and the
/// objects of every `cloneSourceResource` file its results name.
fn clone_sources(
    test: &Json,
    dir: &Path,
    max_file_bytes: u64,
    targets: &[Target],
    report: &mut SuiteReport,
) -> Vec<Json> {
    let mut sources: Vec<Json> = targets.iter().map(|t| t.object.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    for file in array_items(test.get("results"))
        .iter()
        .filter_map(|e| e.get("cloneSourceResource").and_then(Json::as_str))
    {
        if !seen.insert(file) {
            continue;
        }
        match read_yaml_docs(&dir.join(file), max_file_bytes) {
            Ok(docs) => sources.extend(docs.into_iter().filter(Json::is_object)),
            Err(e) => report.file_problem(e.missing, format!("cloneSourceResource: {}", e.message)),
        }
    }
    sources
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
) -> Option<String> {
    if policy.is_none()
        && (entry
            .get("isValidatingAdmissionPolicy")
            .and_then(Json::as_bool)
            == Some(true)
            || entry.get("isValidatingPolicy").and_then(Json::as_bool) == Some(true)
            || entry.get("isImageValidatingPolicy").and_then(Json::as_bool) == Some(true))
    {
        return Some("CEL policy".into());
    }
    if policy.is_none() && unsupported_kinds.contains(&policy_name) {
        return Some("CEL or later policy kind".into());
    }
    let policy = policy?;
    let rule = policy
        .rules
        .iter()
        .find(|r| r.name == rule || rule.is_empty())?;
    match &rule.action {
        RuleAction::Unsupported(kind) => Some(kind.to_string()),
        RuleAction::Validate(_) | RuleAction::Mutate(_) | RuleAction::Generate(_) => None,
        // `kyverno test` has no result for what a cleanup policy deletes.
        RuleAction::Delete(_) => Some("cleanup policy (CleanupPolicy, DeletingPolicy)".into()),
    }
}

fn has_mutate_rules(policy: &Policy) -> bool {
    policy
        .rules
        .iter()
        .any(|r| matches!(&r.action, RuleAction::Mutate(m) if !matches!(m, Mutation::Existing(_))))
}

/// Agreement figures for a group of suites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Suites run.
    pub suites: usize,
    /// Entries that agree.
    pub agree: usize,
    /// Entries that disagree.
    pub disagree: usize,
    /// Entries that need a feature vigie does not have.
    pub unsupported: usize,
    /// Entries no engine could run (a named file is missing).
    pub unrunnable: usize,
    /// Suites with at least one error.
    pub suite_errors: usize,
}

impl Summary {
    /// Adds one suite's figures.
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
