//! The aggregator: results grouped by (resource, policy), one bucket per report.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{render, ReportApi, ReportEntry};

/// Results aggregated into one report per namespace plus one cluster report,
/// bounded in size. See the [module documentation](super) for the eviction rule.
#[derive(Clone, Debug)]
pub struct ReportSet {
    api: ReportApi,
    source: String,
    max_results_per_report: usize,
    max_reports: usize,
    /// Keyed by namespace; `""` is the cluster report.
    buckets: BTreeMap<String, Bucket>,
    /// Orders evaluations by when they were recorded, across every bucket.
    next_sequence: u64,
    dropped: u64,
}

/// The results of one report.
#[derive(Clone, Debug, Default)]
pub(super) struct Bucket {
    /// In output order: by resource, then policy.
    pub(super) groups: BTreeMap<GroupKey, Group>,
    /// The same groups by age, oldest first, for eviction.
    by_age: BTreeMap<u64, GroupKey>,
    results: usize,
}

/// What one evaluation is about: a resource (within its report's namespace) and a
/// policy. The uid is left out on purpose: an object deleted and created again
/// under the same name replaces its old results.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct GroupKey {
    kind: String,
    name: String,
    api_version: String,
    policy: String,
}

/// The results of the latest evaluation of one (resource, policy).
#[derive(Clone, Debug)]
pub(super) struct Group {
    sequence: u64,
    pub(super) entries: Vec<ReportEntry>,
}

impl ReportSet {
    /// The default bound on the number of reports (namespaces plus the cluster one).
    pub const DEFAULT_MAX_REPORTS: usize = 10_000;

    /// Messages longer than this many bytes are cut (at a character boundary) and
    /// end with `…`, so that one verbose rule cannot make a report too large for
    /// the API server (which refuses objects over about 1.5 MiB).
    pub const MAX_MESSAGE_BYTES: usize = 1024;

    /// An empty set writing reports of `api`, each holding at most
    /// `max_results_per_report` results. The `source` of the results is `vigie`.
    pub fn new(api: ReportApi, max_results_per_report: usize) -> Self {
        ReportSet {
            api,
            source: "vigie".to_string(),
            max_results_per_report,
            max_reports: Self::DEFAULT_MAX_REPORTS,
            buckets: BTreeMap::new(),
            next_sequence: 0,
            dropped: 0,
        }
    }

    /// Sets the `source` field of the reports and their results (the policy engine
    /// that produced them: `vigie`, or `kyverno` for tools that filter on it).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Sets the bound on the number of reports. Results for a namespace that would
    /// need one more report are refused and counted in [`ReportSet::dropped`].
    pub fn with_max_reports(mut self, max_reports: usize) -> Self {
        self.max_reports = max_reports;
        self
    }

    /// The report API the set renders.
    pub fn api(&self) -> ReportApi {
        self.api
    }

    /// Records the results of evaluations. The entries of one (resource, policy)
    /// replace whatever was recorded for that pair before: the latest evaluation
    /// wins. When a report would hold more than its bound, the evaluations recorded
    /// longest ago are evicted, whole, and their results counted as dropped; an
    /// evaluation larger than the bound by itself keeps its first results.
    /// Entries whose namespace is not a valid Kubernetes namespace name are
    /// dropped too (they cannot name a report).
    pub fn record(&mut self, entries: Vec<ReportEntry>) {
        let mut evaluations: BTreeMap<(String, GroupKey), Vec<ReportEntry>> = BTreeMap::new();
        for mut entry in entries {
            shorten(&mut entry.message, Self::MAX_MESSAGE_BYTES);
            let key = GroupKey {
                kind: entry.resource.kind.clone(),
                name: entry.resource.name.clone(),
                api_version: entry.resource.api_version.clone(),
                policy: entry.policy.clone(),
            };
            evaluations
                .entry((entry.resource.namespace.clone(), key))
                .or_default()
                .push(entry);
        }
        for ((namespace, key), entries) in evaluations {
            let count = entries.len() as u64;
            if !namespace.is_empty() && !is_namespace_name(&namespace) {
                self.dropped += count;
                continue;
            }
            if !self.buckets.contains_key(&namespace) && self.buckets.len() >= self.max_reports {
                self.dropped += count;
                continue;
            }
            let sequence = self.next_sequence;
            self.next_sequence += 1;
            let bucket = self.buckets.entry(namespace).or_default();
            self.dropped += bucket.replace(key, entries, sequence, self.max_results_per_report);
        }
    }

    /// The report objects, namespaced reports by namespace then the cluster report,
    /// each with its results ordered by resource, then policy.
    pub fn reports(&self) -> Vec<Value> {
        self.iter_reports().collect()
    }

    /// The report objects in the order of [`ReportSet::reports`], each rendered
    /// when it is reached, so that a writer holds one report's JSON at a time.
    pub fn iter_reports(&self) -> impl Iterator<Item = Value> + '_ {
        let namespaced = self
            .buckets
            .iter()
            .filter(|(namespace, _)| !namespace.is_empty());
        let cluster = self.buckets.get_key_value("");
        namespaced
            .chain(cluster)
            .map(|(namespace, bucket)| self.render(namespace, bucket))
    }

    /// Writes every report to `dir` (created if missing) as one JSON file each
    /// (`report-NAMESPACE.json`, `clusterreport.json`, or the wgpolicyk8s.io
    /// kinds), each replaced atomically: a reader sees the old file or the new one.
    /// Returns the number of files written.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<usize> {
        let mut written = 0;
        std::fs::create_dir_all(dir)?;
        for (namespace, bucket) in &self.buckets {
            let name = super::files::file_name(self.api, namespace);
            super::files::write_atomically(dir, &name, &self.render(namespace, bucket))?;
            written += 1;
        }
        Ok(written)
    }

    /// Results not kept: evicted or refused because of a bound, or with an invalid
    /// namespace. Counted since the set was made.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Results held now, over every report.
    pub fn len(&self) -> usize {
        self.buckets.values().map(|b| b.results).sum()
    }

    /// Whether no result is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn render(&self, namespace: &str, bucket: &Bucket) -> Value {
        render::report(
            self.api,
            &self.source,
            namespace,
            self.max_results_per_report,
            bucket,
        )
    }
}

impl Bucket {
    /// Puts `entries` in place of the group `key`, then evicts the oldest groups
    /// until the bucket fits in `max`. Returns the number of results dropped.
    fn replace(
        &mut self,
        key: GroupKey,
        mut entries: Vec<ReportEntry>,
        sequence: u64,
        max: usize,
    ) -> u64 {
        let mut dropped = 0;
        if let Some(old) = self.groups.remove(&key) {
            self.by_age.remove(&old.sequence);
            self.results -= old.entries.len();
        }
        if entries.len() > max {
            dropped += (entries.len() - max) as u64;
            entries.truncate(max);
        }
        while self.results + entries.len() > max {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            if let Some(group) = self.groups.remove(&oldest) {
                self.results -= group.entries.len();
                dropped += group.entries.len() as u64;
            }
        }
        if !entries.is_empty() {
            self.results += entries.len();
            self.by_age.insert(sequence, key.clone());
            self.groups.insert(key, Group { sequence, entries });
        }
        dropped
    }
}

/// Whether `name` is a Kubernetes namespace name (an RFC 1123 label): what keeps a
/// namespace from naming a file outside the report directory.
fn is_namespace_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Cuts `message` to at most `max` bytes, at a character boundary, marking the cut.
fn shorten(message: &mut String, max: usize) {
    if message.len() <= max {
        return;
    }
    let mark = '…';
    let mut end = max - mark.len_utf8();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push(mark);
}
