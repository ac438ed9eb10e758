//! Writing policy reports to the cluster.
//!
//! A [`ReportWriter`] makes the cluster's reports those of a
//! [`vigie_report::policy_report::ReportSet`]: one report per namespace that has
//! results and one cluster report, each written with server-side apply (field
//! manager `vigie`, forced: vigie owns what it writes), and the reports it wrote
//! before for namespaces that no longer have results deleted. Each writer has a
//! name, which is the reports' `metadata.name` and the value of their
//! [`WRITER_LABEL`]: writers of different names (the scanner's `vigie-scan`,
//! the admission webhook's `vigie-admission`) never touch each other's reports.
//!
//! Writers of the same name in several replicas (the webhook's, each seeing
//! part of the requests) use [`ReportWriter::shared_between_replicas`]: each
//! report is then read, merged and written back with its `resourceVersion`
//! (a `409 Conflict`, another replica having written meanwhile, starts the
//! turn again), so that no replica's results overwrite another's.
//!
//! ```no_run
//! # fn demo(cluster: &vigie_cluster::Cluster, set: &vigie_report::policy_report::ReportSet) {
//! use vigie_cluster::reports::ReportWriter;
//! let writer = ReportWriter::new(set.api(), "vigie-admission");
//! match writer.write(cluster, set) {
//!     Ok(written) => eprintln!("{} reports applied, {} deleted", written.applied, written.deleted),
//!     Err(e) => eprintln!("reports not written: {e}"),
//! }
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
    Preconditions,
};
use kube::core::GroupVersionKind;
use serde_json::{json, Value};
use vigie_report::policy_report::{ReportApi, ReportSet};

use crate::connect::describe;
use crate::report_merge::{merge_results, result_key, summarize};
use crate::Cluster;

/// The label naming the writer of a report; its value is the writer's name.
pub const WRITER_LABEL: &str = "reports.vigie.dev/writer";
/// The annotation counting the results left out of a report to keep it under
/// the writer's size cap (`ReportWriter::max_report_bytes`).
pub const LEFT_OUT_ANNOTATION: &str = "reports.vigie.dev/results-left-out";
/// The field manager of vigie's server-side applies.
pub const FIELD_MANAGER: &str = "vigie";

/// Why reports could not be written at all.
#[derive(Debug, thiserror::Error)]
pub enum ReportWriteError {
    /// The cluster does not serve the report type (its CRD is not installed).
    #[error("the cluster does not serve {api_version} {kind} (is its CRD installed?): {reason}")]
    NotServed {
        /// The report type's `apiVersion`.
        api_version: &'static str,
        /// The report type's kind.
        kind: &'static str,
        /// What the server answered.
        reason: String,
    },
    /// The writer's name cannot be an object's name or a label's value.
    #[error("`{0}` cannot name reports (lower-case letters, digits and `-`, at most 63)")]
    BadName(String),
    /// The existing reports could not be listed (so stale ones cannot be found).
    #[error("cannot list the reports already written: {0}")]
    List(String),
}

/// What one [`ReportWriter::write`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportsWritten {
    /// Reports applied (created or updated).
    pub applied: usize,
    /// Reports of this writer deleted because their namespace has no result any more.
    pub deleted: usize,
    /// Results left out of reports to keep each under the size bound.
    pub results_left_out: usize,
    /// Reports that could not be applied or deleted, each with the reason; the
    /// others were still written.
    pub errors: Vec<String>,
}

/// Writes a [`ReportSet`] to the cluster. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct ReportWriter {
    api: ReportApi,
    name: String,
    max_report_bytes: usize,
    timeout: Duration,
    /// Set by [`ReportWriter::shared_between_replicas`]: the keys of the
    /// results this writer last wrote, by report namespace (`None`: the
    /// cluster report), so that it can take back those it no longer has.
    shared: Option<Arc<Mutex<WrittenKeys>>>,
}

/// Result keys by report namespace (`None`: the cluster report).
type WrittenKeys = BTreeMap<Option<String>, BTreeSet<String>>;

/// Turns of a shared write given up after this many conflicts in a row.
const MAX_CONFLICTS: usize = 20;

impl ReportWriter {
    /// 1 MiB: under etcd's default object limit (1.5 MiB) with room for the
    /// metadata the API server adds (managedFields).
    pub const DEFAULT_MAX_REPORT_BYTES: usize = 1024 * 1024;

    /// A writer of `api` reports named `name` (`vigie-scan`, `vigie-admission`).
    pub fn new(api: ReportApi, name: impl Into<String>) -> Self {
        ReportWriter {
            api,
            name: name.into(),
            max_report_bytes: Self::DEFAULT_MAX_REPORT_BYTES,
            timeout: Duration::from_secs(60),
            shared: None,
        }
    }

    /// Makes the writer one of several (one per replica) writing the same
    /// reports: instead of applying its own results over the report, it reads
    /// the report, replaces the results of the same policy, rule and object
    /// with its own, takes back the ones it wrote before and no longer has,
    /// keeps everyone else's, and writes the report back with the
    /// `resourceVersion` it read, starting over on `409 Conflict`. A report
    /// left with no result is deleted. Reports other writers hold that this
    /// one never wrote are left alone.
    pub fn shared_between_replicas(mut self) -> Self {
        self.shared = Some(Arc::default());
        self
    }

    /// Sets the bound on one report's JSON size: results past it are left out
    /// (the last ones, in the report's order) and counted in the report's
    /// [`LEFT_OUT_ANNOTATION`].
    pub fn with_max_report_bytes(mut self, bytes: usize) -> Self {
        self.max_report_bytes = bytes;
        self
    }

    /// Sets the time one request may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The reports' name and writer label value.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The report objects as they are applied: renamed, labelled, bounded.
    /// Returns them with the number of results left out.
    pub fn prepare(&self, set: &ReportSet) -> (Vec<Value>, usize) {
        let mut left_out = 0;
        let reports = set
            .iter_reports()
            .map(|mut report| {
                report["apiVersion"] = json!(self.api.api_version());
                report["kind"] = json!(if report["metadata"]["namespace"].is_string() {
                    self.api.namespaced_kind()
                } else {
                    self.api.cluster_kind()
                });
                report["metadata"]["name"] = json!(self.name);
                report["metadata"]["labels"][WRITER_LABEL] = json!(self.name);
                left_out += bound(&mut report, self.max_report_bytes);
                report
            })
            .collect();
        (reports, left_out)
    }

    /// Applies the set's reports and deletes this writer's reports that the set
    /// no longer has. Callable from any thread, async runtime or not: the work
    /// runs on the cluster's own runtime.
    pub fn write(
        &self,
        cluster: &Cluster,
        set: &ReportSet,
    ) -> Result<ReportsWritten, ReportWriteError> {
        if !valid_name(&self.name) {
            return Err(ReportWriteError::BadName(self.name.clone()));
        }
        let (reports, left_out) = self.prepare(set);
        let client = cluster.client.clone();
        let writer = self.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        cluster.runtime.spawn(async move {
            let _ = tx.send(writer.write_async(client, reports, left_out).await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(ReportWriteError::List(
                "the cluster's runtime stopped".into(),
            ))
        })
    }

    fn resources(&self) -> [(ApiResource, &'static str); 2] {
        let (group, version) = self
            .api
            .api_version()
            .split_once('/')
            .expect("report API versions have a group");
        [self.api.namespaced_kind(), self.api.cluster_kind()].map(|kind| {
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let plural = format!("{}s", kind.to_ascii_lowercase());
            (ApiResource::from_gvk_with_plural(&gvk, &plural), kind)
        })
    }

    async fn write_async(
        &self,
        client: kube::Client,
        reports: Vec<Value>,
        left_out: usize,
    ) -> Result<ReportsWritten, ReportWriteError> {
        if let Some(written_keys) = &self.shared {
            return self
                .write_shared(client, reports, left_out, written_keys)
                .await;
        }
        let [(namespaced, namespaced_kind), (cluster_wide, cluster_kind)] = self.resources();
        let selector = format!("{WRITER_LABEL}={}", self.name);
        // What this writer wrote before: the namespaces of its reports, and
        // whether it wrote a cluster report.
        let mut existing: BTreeSet<Option<String>> = BTreeSet::new();
        for (resource, kind) in [
            (&namespaced, namespaced_kind),
            (&cluster_wide, cluster_kind),
        ] {
            let api: Api<DynamicObject> = Api::all_with(client.clone(), resource);
            let listed = tokio::time::timeout(
                self.timeout,
                api.list_metadata(&ListParams::default().labels(&selector)),
            )
            .await
            .map_err(|_| ReportWriteError::List(format!("no answer within {:?}", self.timeout)))?;
            match listed {
                Ok(list) => existing.extend(
                    list.items
                        .into_iter()
                        .filter(|o| o.metadata.name.as_deref() == Some(self.name.as_str()))
                        .map(|o| o.metadata.namespace),
                ),
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    return Err(ReportWriteError::NotServed {
                        api_version: self.api.api_version(),
                        kind,
                        reason: format!("{} {}", status.code, status.message),
                    })
                }
                Err(e) => return Err(ReportWriteError::List(describe(&e))),
            }
        }
        let mut written = ReportsWritten {
            results_left_out: left_out,
            ..ReportsWritten::default()
        };
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut kept: BTreeSet<Option<String>> = BTreeSet::new();
        for report in reports {
            let namespace = report["metadata"]["namespace"].as_str().map(str::to_string);
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &namespaced),
                None => Api::all_with(client.clone(), &cluster_wide),
            };
            let object: DynamicObject = match serde_json::from_value(report) {
                Ok(object) => object,
                Err(e) => {
                    written.errors.push(format!("{}: {e}", where_(&namespace)));
                    continue;
                }
            };
            kept.insert(namespace.clone());
            let applied = tokio::time::timeout(
                self.timeout,
                api.patch(&self.name, &params, &Patch::Apply(&object)),
            )
            .await;
            match applied {
                Ok(Ok(_)) => written.applied += 1,
                Ok(Err(e)) => written.errors.push(format!(
                    "applying {}: {}",
                    where_(&namespace),
                    describe(&e)
                )),
                Err(_) => written.errors.push(format!(
                    "applying {}: no answer within {:?}",
                    where_(&namespace),
                    self.timeout
                )),
            }
        }
        for stale in existing.difference(&kept) {
            let api: Api<DynamicObject> = match stale {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &namespaced),
                None => Api::all_with(client.clone(), &cluster_wide),
            };
            let deleted = tokio::time::timeout(
                self.timeout,
                api.delete(&self.name, &DeleteParams::default()),
            )
            .await;
            match deleted {
                Ok(Ok(_)) => written.deleted += 1,
                // Deleted meanwhile by someone else: the goal is reached.
                Ok(Err(kube::Error::Api(status))) if status.code == 404 => {}
                Ok(Err(e)) => {
                    written
                        .errors
                        .push(format!("deleting {}: {}", where_(stale), describe(&e)))
                }
                Err(_) => written.errors.push(format!(
                    "deleting {}: no answer within {:?}",
                    where_(stale),
                    self.timeout
                )),
            }
        }
        Ok(written)
    }
}

impl ReportWriter {
    /// A shared writer's turn: each report this writer has results for now or
    /// had before, read, merged and written back (see
    /// [`ReportWriter::shared_between_replicas`]).
    async fn write_shared(
        &self,
        client: kube::Client,
        reports: Vec<Value>,
        left_out: usize,
        written_keys: &Mutex<WrittenKeys>,
    ) -> Result<ReportsWritten, ReportWriteError> {
        let [(namespaced, _), (cluster_wide, _)] = self.resources();
        let before = written_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut ours: BTreeMap<Option<String>, Value> = reports
            .into_iter()
            .map(|r| (r["metadata"]["namespace"].as_str().map(str::to_string), r))
            .collect();
        // Reports this writer wrote to before and has nothing for now: its
        // results there are taken back.
        for namespace in before.keys() {
            ours.entry(namespace.clone()).or_insert(Value::Null);
        }
        let mut written = ReportsWritten {
            results_left_out: left_out,
            ..ReportsWritten::default()
        };
        let mut now = WrittenKeys::new();
        for (namespace, report) in ours {
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &namespaced),
                None => Api::all_with(client.clone(), &cluster_wide),
            };
            let results: &[Value] = report["results"].as_array().map_or(&[], Vec::as_slice);
            let keys: BTreeSet<String> = results.iter().map(result_key).collect();
            let retracted: BTreeSet<String> = before
                .get(&namespace)
                .map(|old| old.difference(&keys).cloned().collect())
                .unwrap_or_default();
            match self.merge_into(&api, &report, results, &retracted).await {
                Ok(Merged::Written) => written.applied += 1,
                Ok(Merged::Deleted) => written.deleted += 1,
                Ok(Merged::Nothing) => {}
                Err(reason) => {
                    written
                        .errors
                        .push(format!("writing {}: {reason}", where_(&namespace)));
                    // Not written: what it wrote before still stands.
                    if let Some(old) = before.get(&namespace) {
                        now.insert(namespace.clone(), old.clone());
                    }
                    continue;
                }
            }
            if !keys.is_empty() {
                now.insert(namespace, keys);
            }
        }
        *written_keys.lock().unwrap_or_else(|e| e.into_inner()) = now;
        Ok(written)
    }

    /// Reads one report, merges `results` into it and writes it back, until
    /// no other writer came between the read and the write.
    async fn merge_into(
        &self,
        api: &Api<DynamicObject>,
        report: &Value,
        results: &[Value],
        retracted: &BTreeSet<String>,
    ) -> Result<Merged, String> {
        let timed = |what: &'static str| format!("{what}: no answer within {:?}", self.timeout);
        for _ in 0..MAX_CONFLICTS {
            let current = tokio::time::timeout(self.timeout, api.get_opt(&self.name))
                .await
                .map_err(|_| timed("reading"))?
                .map_err(|e| format!("reading: {}", describe(&e)))?;
            let outcome = match current {
                None if results.is_empty() => return Ok(Merged::Nothing),
                None => {
                    let object = self.object(report, results.to_vec(), None)?;
                    tokio::time::timeout(self.timeout, api.create(&PostParams::default(), &object))
                        .await
                        .map_err(|_| timed("creating"))?
                        .map(|_| Merged::Written)
                }
                Some(current) => {
                    let version = current.metadata.resource_version.clone();
                    let existing: &[Value] = current.data["results"]
                        .as_array()
                        .map_or(&[], Vec::as_slice);
                    let merged = merge_results(existing, retracted, results);
                    if merged.is_empty() {
                        let params = DeleteParams {
                            preconditions: Some(Preconditions {
                                resource_version: version,
                                uid: None,
                            }),
                            ..DeleteParams::default()
                        };
                        match tokio::time::timeout(self.timeout, api.delete(&self.name, &params))
                            .await
                            .map_err(|_| timed("deleting"))?
                        {
                            Err(kube::Error::Api(status)) if status.code == 404 => {
                                return Ok(Merged::Nothing)
                            }
                            other => other.map(|_| Merged::Deleted),
                        }
                    } else {
                        let template = if report.is_null() {
                            serde_json::to_value(&current).map_err(|e| e.to_string())?
                        } else {
                            report.clone()
                        };
                        let object = self.object(&template, merged, version)?;
                        tokio::time::timeout(
                            self.timeout,
                            api.replace(&self.name, &PostParams::default(), &object),
                        )
                        .await
                        .map_err(|_| timed("writing"))?
                        .map(|_| Merged::Written)
                    }
                }
            };
            match outcome {
                Ok(merged) => return Ok(merged),
                // Another replica wrote (or created) the report meanwhile.
                Err(kube::Error::Api(status)) if status.code == 409 => continue,
                Err(e) => return Err(describe(&e)),
            }
        }
        Err(format!(
            "{MAX_CONFLICTS} conflicts in a row with other writers; the next write tries again"
        ))
    }

    /// The report to write: `template`'s identity and fields with `results`,
    /// their summary, bounded in size, at `resource_version` when it replaces one.
    fn object(
        &self,
        template: &Value,
        results: Vec<Value>,
        resource_version: Option<String>,
    ) -> Result<DynamicObject, String> {
        let mut report = template.clone();
        if let Some(metadata) = report["metadata"].as_object_mut() {
            // What the server keeps of its own (managedFields, uid, ...) is
            // not sent back; the version is the one read.
            metadata.retain(|key, _| {
                matches!(
                    key.as_str(),
                    "name" | "namespace" | "labels" | "annotations"
                )
            });
            if let Some(annotations) = metadata
                .get_mut("annotations")
                .and_then(Value::as_object_mut)
            {
                annotations.remove(LEFT_OUT_ANNOTATION);
            }
        }
        report["summary"] = summarize(&results);
        report["results"] = Value::Array(results);
        bound(&mut report, self.max_report_bytes);
        if let Some(version) = resource_version {
            report["metadata"]["resourceVersion"] = json!(version);
        }
        serde_json::from_value(report).map_err(|e| e.to_string())
    }
}

/// What a shared write did to one report.
enum Merged {
    /// Created or replaced.
    Written,
    /// Left with no result, deleted.
    Deleted,
    /// Nothing to write, no report there.
    Nothing,
}

fn where_(namespace: &Option<String>) -> String {
    match namespace {
        Some(ns) => format!("the report of namespace {ns}"),
        None => "the cluster report".to_string(),
    }
}

/// A DNS-1123 label: what both an object name and a label value accept.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Cuts a report's results until its JSON fits in `max_bytes`, recounts its
/// summary from the results kept, and records how many were left out.
fn bound(report: &mut Value, max_bytes: usize) -> usize {
    let size = |r: &Value| serde_json::to_vec(r).map(|b| b.len()).unwrap_or(usize::MAX);
    let total = size(report);
    if total <= max_bytes {
        return 0;
    }
    let Some(results) = report["results"].as_array_mut() else {
        return 0;
    };
    let count = results.len();
    let sizes: Vec<usize> = results.iter().map(|r| size(r) + 1).collect();
    // Bytes to shed, taken from the end of the results.
    let mut excess = total - max_bytes + 128;
    let mut keep = count;
    while keep > 0 && excess > 0 {
        keep -= 1;
        excess = excess.saturating_sub(sizes[keep]);
    }
    results.truncate(keep);
    report["summary"] = summarize(results);
    let left_out = count - keep;
    report["metadata"]["annotations"][LEFT_OUT_ANNOTATION] = json!(left_out.to_string());
    left_out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_dns_labels() {
        assert!(valid_name("vigie-scan"));
        for bad in ["", "Vigie", "a_b", "-a", &"a".repeat(64)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_report_too_large_loses_its_last_results_and_says_so() {
        let results: Vec<Value> = (0..100)
            .map(|i| json!({"policy": format!("p{i:03}"), "result": if i < 50 {"fail"} else {"pass"}, "message": "x".repeat(100)}))
            .collect();
        let mut report = json!({"metadata": {"name": "vigie"}, "summary": {"fail": 50, "pass": 50}, "results": results});
        let left_out = bound(&mut report, 5_000);
        let kept = report["results"].as_array().unwrap();
        assert!(serde_json::to_vec(&report).unwrap().len() <= 5_000);
        assert_eq!(kept.len() + left_out, 100);
        assert_eq!(kept[0]["policy"], "p000");
        assert_eq!(report["summary"]["fail"], kept.len() as u64);
        assert_eq!(
            report["metadata"]["annotations"][LEFT_OUT_ANNOTATION],
            left_out.to_string()
        );
        let mut small = json!({"results": [1]});
        assert_eq!(bound(&mut small, 5_000), 0);
    }
}
