//! The policy set being served, swapped whole on reload: a request holds the set
//! it started with, so it sees the old set or the new one, never a mix.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use vigie_policy::load_policies_and_objects;
use vigie_resource::Resource;

use crate::metrics::AdmissionMetrics;
use crate::policy_set::PolicySet;

/// The most files and directories looked at when checking for changes: a
/// policies directory is small; a mistaken `--policies /` must not be walked.
pub const MAX_WATCHED_ENTRIES: usize = 100_000;

/// The policy kinds the webhook follows in a cluster, by API group and kind
/// (what [`PolicyStore::set_objects`] is given): Kyverno's ClusterPolicy and
/// Policy, its CEL ValidatingPolicy kinds, and ValidatingAdmissionPolicy with
/// its bindings.
pub const POLICY_KINDS: &[(&str, &str)] = &[
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "Policy"),
    ("policies.kyverno.io", "ValidatingPolicy"),
    ("policies.kyverno.io", "NamespacedValidatingPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
];

/// A policy set that could not be loaded; the set served before stays.
#[derive(Debug, thiserror::Error)]
#[error("the policies could not be loaded ({} problem(s)):\n  {}", problems.len(), problems.join("\n  "))]
pub struct LoadError {
    /// Each problem, naming its file and line.
    pub problems: Vec<String>,
}

/// What a successful load says besides the set: rules not run and notes.
#[derive(Debug, Default)]
pub struct LoadNotes {
    /// Rules and policy kinds not supported yet (never silently skipped).
    pub unsupported: Vec<String>,
    /// Files passed over on purpose.
    pub notes: Vec<String>,
}

/// Loads the policies of `paths` into a set numbered `generation`. Any policy
/// that does not load refuses the whole set: serving part of what the user wrote
/// would silently drop a policy.
pub fn load_set(
    paths: &[String],
    max_file_bytes: u64,
    generation: u64,
) -> Result<(PolicySet, LoadNotes), LoadError> {
    load_set_with_objects(paths, &[], max_file_bytes, generation)
}

/// Like [`load_set`], the policies of `paths` merged with policy `objects`
/// read elsewhere (a cluster's ClusterPolicies, ValidatingAdmissionPolicies and
/// their bindings): one set, refused whole when any of them does not load.
pub fn load_set_with_objects(
    paths: &[String],
    objects: &[Resource],
    max_file_bytes: u64,
    generation: u64,
) -> Result<(PolicySet, LoadNotes), LoadError> {
    let loaded = load_policies_and_objects(paths, max_file_bytes, objects);
    let mut problems: Vec<String> = loaded.unreadable.iter().map(|e| e.to_string()).collect();
    problems.extend(loaded.errors.iter().map(|e| e.to_string()));
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    let mut notes = LoadNotes {
        notes: loaded.notes,
        ..LoadNotes::default()
    };
    notes
        .unsupported
        .extend(loaded.unsupported_rules.iter().map(|e| {
            if e.reason.starts_with("mutate ") {
                format!(
                    "{}: mutate rules not supported yet; the rule is not applied",
                    e.file
                )
            } else {
                e.to_string()
            }
        }));
    // Said once at load: the webhook answers without these rules, as Kyverno's
    // does (its background controller patches the targets afterwards).
    for policy in &loaded.policies {
        for rule in policy
            .rules
            .iter()
            .filter(|r| crate::policy_set::is_verify_images(r))
        {
            notes.notes.push(format!(
                "{}: policy {}, rule {}: verifyImages is answered offline from a Context file's image facts, which the webhook does not have; the webhook does not apply it",
                policy.source,
                policy.qualified_name(),
                rule.name
            ));
        }
        for rule in policy.rules.iter().filter(|r| r.mutates_existing()) {
            notes.notes.push(format!(
                "{}: policy {}, rule {}: mutate.targets (mutate existing resources) runs after admission in Kyverno's background controller; the webhook does not apply it",
                policy.source,
                policy.qualified_name(),
                rule.name
            ));
        }
    }
    notes
        .unsupported
        .extend(loaded.unsupported.iter().map(|(file, kind, name)| {
            format!("{file}: {kind} {name}: not supported yet; not applied")
        }));
    Ok((
        PolicySet::new(loaded.policies, generation).with_exceptions(loaded.exceptions),
        notes,
    ))
}

/// The served set and how to reload it.
pub struct PolicyStore {
    paths: Vec<String>,
    /// Policy objects from elsewhere than the files (a cluster), merged with
    /// theirs at every load.
    objects: std::sync::Mutex<Arc<Vec<Resource>>>,
    max_file_bytes: u64,
    current: ArcSwap<PolicySet>,
    metrics: Arc<AdmissionMetrics>,
}

impl PolicyStore {
    /// A store serving `set`, which was loaded from `paths`.
    pub fn new(
        paths: Vec<String>,
        max_file_bytes: u64,
        set: PolicySet,
        metrics: Arc<AdmissionMetrics>,
    ) -> Self {
        metrics.set_loaded(set.generation(), set.len());
        Self {
            paths,
            objects: std::sync::Mutex::default(),
            max_file_bytes,
            current: ArcSwap::from_pointee(set),
            metrics,
        }
    }

    /// The set to evaluate a request with (kept by the caller for the whole request).
    pub fn current(&self) -> Arc<PolicySet> {
        self.current.load_full()
    }

    /// Serves `set` from now on (tests and conformance swap sets this way).
    pub fn replace(&self, set: PolicySet) {
        self.metrics.set_loaded(set.generation(), set.len());
        self.current.store(Arc::new(set));
    }

    /// Serves the files' policies merged with `objects` (the policy objects of
    /// a cluster, all of them, as they are now): [`PolicyStore::reload`] with
    /// them. When the merged set does not load, the objects are kept (the next
    /// file change tries them again) and the old set keeps serving.
    pub fn set_objects(&self, objects: Vec<Resource>) -> Result<(), LoadError> {
        *self.objects.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(objects);
        self.reload()
    }

    /// Loads the policy files again, merged with the policy objects, and serves
    /// the new set; when it does not load, logs why, counts it, and keeps
    /// serving the old one.
    pub fn reload(&self) -> Result<(), LoadError> {
        let generation = self.current.load().generation() + 1;
        let objects = self
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match load_set_with_objects(&self.paths, &objects, self.max_file_bytes, generation) {
            Ok((set, notes)) => {
                for line in notes.unsupported.iter().chain(&notes.notes) {
                    log(format_args!("{line}"));
                }
                log(format_args!(
                    "policies reloaded: generation {generation}, {} policies served",
                    set.len()
                ));
                self.metrics.reload(true);
                self.replace(set);
                Ok(())
            }
            Err(e) => {
                self.metrics.reload(false);
                log(format_args!(
                    "policy reload refused, generation {} keeps serving: {e}",
                    generation - 1
                ));
                Err(e)
            }
        }
    }

    /// Watches the policy files (their paths, sizes and modification times, every
    /// `interval`) and reloads when they change, until `stop` says so.
    pub fn watch(self: &Arc<Self>, interval: Duration, stop: impl Fn() -> bool + Send + 'static) {
        let store = self.clone();
        std::thread::Builder::new()
            .name("vigie-policy-watch".into())
            .spawn(move || {
                let mut seen = fingerprint(&store.paths);
                loop {
                    std::thread::sleep(interval);
                    if stop() {
                        return;
                    }
                    let now = fingerprint(&store.paths);
                    if now != seen {
                        seen = now;
                        let _ = store.reload();
                    }
                }
            })
            .ok();
    }
}

fn log(message: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "vigie admission: {message}");
}

/// (path, size, modification time) of every file under `paths`, sorted.
pub fn fingerprint(paths: &[String]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let mut seen = 0;
    while let Some(path) = stack.pop() {
        seen += 1;
        if seen > MAX_WATCHED_ENTRIES {
            break;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            out.push((path, u64::MAX, None));
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| !hidden(p)),
                );
            }
        } else {
            out.push((path, meta.len(), meta.modified().ok()));
        }
    }
    out.sort();
    out
}

fn hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}
