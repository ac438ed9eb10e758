//! Listing every type, a page at a time, several lists at once, the objects
//! handed over as they come.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use vigie_resource::Resource;

use crate::connect::{describe, Cluster};
use crate::convert::read_page;
use crate::discovery::ApiType;
use crate::kubelet::{configz_path, configz_resource};
use crate::{source_name, ClusterOptions, ReadProgress, ReadSummary, Warning};

/// The `Accept` of a metadata-only list: the server sends each object's
/// metadata and nothing else.
pub(crate) const METADATA_ONLY: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Pages waiting for the scan: with the pages being read, what memory holds
/// of the cluster at once.
const PAGES_WAITING: usize = 8;

/// A list started again after its continue token expired more than this many
/// times is given up, with an error.
const MAX_RESTARTS: usize = 5;

/// The objects of a cluster as they are read, in no set order between types.
/// Iterate it (on a thread outside the runtime), then call [`ObjectStream::finish`].
pub struct ObjectStream<'c> {
    cluster: &'c Cluster,
    receiver: mpsc::Receiver<Vec<Resource>>,
    page: std::vec::IntoIter<Resource>,
    task: tokio::task::JoinHandle<ReadSummary>,
}

impl Iterator for ObjectStream<'_> {
    type Item = Resource;

    fn next(&mut self) -> Option<Resource> {
        loop {
            if let Some(resource) = self.page.next() {
                return Some(resource);
            }
            self.page = self.receiver.blocking_recv()?.into_iter();
        }
    }
}

impl ObjectStream<'_> {
    /// Waits for reading to end (dropping what was not taken) and says what it did.
    pub fn finish(self) -> ReadSummary {
        drop(self.receiver);
        self.cluster
            .runtime
            .block_on(self.task)
            .unwrap_or_else(|e| ReadSummary {
                errors: vec![format!("reading the cluster stopped: {e}")],
                ..ReadSummary::default()
            })
    }
}

/// One list to read: a type, cluster-wide or in one namespace.
struct Job {
    api_type: ApiType,
    namespace: Option<String>,
}

/// What the lists read at once share.
struct Reader {
    client: kube::Client,
    options: ClusterOptions,
    context: Arc<str>,
    source: String,
    jobs: Mutex<VecDeque<Job>>,
    summary: Mutex<ReadSummary>,
    objects: AtomicUsize,
    /// Set when reading must stop (a limit reached, the scan gone).
    stop: AtomicBool,
    /// The names of the nodes listed, whose kubelet configurations are read
    /// once the lists are done.
    nodes: Mutex<Vec<String>>,
    progress: Arc<ReadProgress>,
}

impl Cluster {
    /// Starts reading every discovered type; the objects come out of the
    /// returned stream as the pages arrive.
    pub fn read(&self, progress: Arc<ReadProgress>) -> ObjectStream<'_> {
        let options = &self.options;
        let mut jobs = VecDeque::new();
        for api_type in &self.types {
            if api_type.namespaced && !options.namespaces.is_empty() {
                for namespace in &options.namespaces {
                    jobs.push_back(Job {
                        api_type: api_type.clone(),
                        namespace: Some(namespace.clone()),
                    });
                }
            } else {
                jobs.push_back(Job {
                    api_type: api_type.clone(),
                    namespace: None,
                });
            }
        }
        progress.lists_total.store(jobs.len(), Ordering::Relaxed);
        let reader = Arc::new(Reader {
            client: self.client.clone(),
            options: options.clone(),
            context: self.context.clone(),
            source: source_name(&self.context),
            jobs: Mutex::new(jobs),
            summary: Mutex::new(ReadSummary::default()),
            objects: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            nodes: Mutex::new(Vec::new()),
            progress,
        });
        let (sender, receiver) = mpsc::channel(PAGES_WAITING);
        let workers = options.concurrent_lists.max(1);
        let task = self.runtime.spawn(async move {
            let mut running = Vec::with_capacity(workers);
            for _ in 0..workers {
                let reader = reader.clone();
                let sender = sender.clone();
                running.push(tokio::spawn(async move {
                    while let Some(job) = reader.next_job() {
                        reader.read_list(job, &sender).await;
                        reader.progress.lists_done.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
            for worker in running.drain(..) {
                let _ = worker.await;
            }
            // The nodes are known once their list is done: their kubelets are
            // read last, as many at once as lists were.
            for _ in 0..workers {
                let reader = reader.clone();
                let sender = sender.clone();
                running.push(tokio::spawn(async move {
                    while let Some(node) = reader.next_node() {
                        reader.read_kubelet_config(&node, &sender).await;
                    }
                }));
            }
            drop(sender);
            for worker in running {
                let _ = worker.await;
            }
            let mut summary = std::mem::take(&mut *reader.summary.lock().expect("not poisoned"));
            summary.objects = reader.objects.load(Ordering::Relaxed);
            summary
        });
        ObjectStream {
            cluster: self,
            receiver,
            page: Vec::new().into_iter(),
            task,
        }
    }
}

impl Reader {
    fn next_job(&self) -> Option<Job> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        self.jobs.lock().expect("not poisoned").pop_front()
    }

    fn next_node(&self) -> Option<String> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        self.nodes.lock().expect("not poisoned").pop()
    }

    /// Reads the kubelet configuration of `node` and hands it over. A refusal
    /// (403 on `nodes/proxy`) is a warning, given once for all nodes; a node
    /// whose kubelet does not answer is an error, and the others are read.
    async fn read_kubelet_config(&self, node: &str, sender: &mpsc::Sender<Vec<Resource>>) {
        let path = configz_path(node);
        let text = match self.get(&path, "application/json").await {
            Ok(text) => text,
            Err(Failure::Status(403, reason)) => {
                let mut summary = self.summary();
                if !summary.warnings.iter().any(|w| w.resource == "nodes/proxy") {
                    summary.warnings.push(Warning {
                        resource: "nodes/proxy".into(),
                        api_version: crate::kubelet::API_VERSION.into(),
                        kind: crate::kubelet::KIND.into(),
                        reason,
                    });
                }
                return;
            }
            Err(Failure::Status(_, reason)) | Err(Failure::Other(reason)) => {
                self.summary().errors.push(format!(
                    "cannot read the kubelet configuration of node {node}: {path}: {reason}"
                ));
                return;
            }
        };
        let resource = match configz_resource(&text, node, &self.context, &self.source) {
            Ok(resource) => resource,
            Err(reason) => {
                self.summary().errors.push(format!(
                    "cannot read the kubelet configuration of node {node}: {path}: {reason}"
                ));
                return;
            }
        };
        self.summary().kubelet_configs += 1;
        self.objects.fetch_add(1, Ordering::Relaxed);
        self.progress.objects.fetch_add(1, Ordering::Relaxed);
        if sender.send(vec![resource]).await.is_err() {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn summary(&self) -> std::sync::MutexGuard<'_, ReadSummary> {
        self.summary.lock().expect("not poisoned")
    }

    /// Reads one list to its end, starting it again when its continue token
    /// expires: the list comes in key order (namespace, name), so the objects
    /// up to the last one handed over are skipped the second time.
    async fn read_list(&self, job: Job, sender: &mpsc::Sender<Vec<Resource>>) {
        let api_type = &job.api_type;
        let path = api_type.list_path(job.namespace.as_deref());
        let accept = if api_type.metadata_only() {
            METADATA_ONLY
        } else {
            "application/json"
        };
        let mut token: Option<String> = None;
        let mut restarts = 0;
        let mut last_key: Option<(String, String)> = None;
        let mut skip_through: Option<(String, String)> = None;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let mut uri = format!("{path}?limit={}", self.options.page_size);
            if let Some(token) = &token {
                uri.push_str("&continue=");
                uri.push_str(&percent_encode(token));
            }
            let text = match self.get(&uri, accept).await {
                Ok(text) => text,
                Err(Failure::Status(410, _)) if token.is_some() && restarts < MAX_RESTARTS => {
                    restarts += 1;
                    self.summary().restarts += 1;
                    token = None;
                    skip_through = last_key.clone();
                    continue;
                }
                Err(Failure::Status(403, reason)) => {
                    self.summary().warnings.push(Warning {
                        resource: api_type.qualified(),
                        api_version: api_type.api_version(),
                        kind: api_type.kind.clone(),
                        reason,
                    });
                    return;
                }
                Err(Failure::Status(_, reason)) | Err(Failure::Other(reason)) => {
                    self.summary().errors.push(format!(
                        "cannot list {}: {path}: {reason}",
                        api_type.qualified()
                    ));
                    return;
                }
            };
            self.summary().pages += 1;
            let page = match read_page(&text, api_type, &self.context, &self.source) {
                Ok(page) => page,
                Err(reason) => {
                    self.summary().errors.push(format!(
                        "cannot read the list of {}: {reason}",
                        api_type.qualified()
                    ));
                    return;
                }
            };
            self.summary().errors.extend(page.problems);
            let mut resources: Vec<Resource> = page
                .resources
                .into_iter()
                .filter(|r| {
                    let key = (r.namespace.clone().unwrap_or_default(), r.name.clone());
                    skip_through.as_ref().is_none_or(|through| key > *through)
                })
                .collect();
            if let Some(r) = resources.last() {
                last_key = Some((r.namespace.clone().unwrap_or_default(), r.name.clone()));
            }
            if self.options.kubelet_configs
                && api_type.group.is_empty()
                && api_type.plural == "nodes"
            {
                let mut nodes = self.nodes.lock().expect("not poisoned");
                nodes.extend(resources.iter().map(|r| r.name.clone()));
            }
            resources.retain(|r| self.options.keeps(r));
            if !resources.is_empty() {
                let before = self.objects.fetch_add(resources.len(), Ordering::Relaxed);
                if before + resources.len() > self.options.max_objects {
                    self.stop.store(true, Ordering::Relaxed);
                    self.summary().errors.push(format!(
                        "the cluster holds more than {} objects (--max-objects): the rest is not read",
                        self.options.max_objects
                    ));
                    return;
                }
                self.progress
                    .objects
                    .fetch_add(resources.len(), Ordering::Relaxed);
                if sender.send(resources).await.is_err() {
                    // The scan stopped taking objects.
                    self.stop.store(true, Ordering::Relaxed);
                    return;
                }
            }
            match page.continue_token {
                Some(next) => token = Some(next),
                None => return,
            }
        }
    }

    async fn get(&self, uri: &str, accept: &str) -> Result<String, Failure> {
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, accept)
            .body(Vec::new())
            .map_err(|e| Failure::Other(e.to_string()))?;
        let timeout = self.options.request_timeout;
        match tokio::time::timeout(timeout, self.client.request_text(request)).await {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(kube::Error::Api(status))) => Err(Failure::Status(
                status.code,
                describe(&kube::Error::Api(status)),
            )),
            Ok(Err(e)) => Err(Failure::Other(describe(&e))),
            Err(_) => Err(Failure::Other(format!(
                "no answer within {} s (--request-timeout)",
                timeout.as_secs_f64()
            ))),
        }
    }
}

/// Why a request failed.
enum Failure {
    /// The server answered with this status.
    Status(u16, String),
    /// No answer, or one that could not be read.
    Other(String),
}

/// A query parameter value with everything but unreserved characters escaped
/// (continue tokens are base64: `+`, `/` and `=` must not reach the server raw).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn continue_tokens_are_escaped() {
        assert_eq!(percent_encode("eyJ2Ijo+/="), "eyJ2Ijo%2B%2F%3D");
    }
}
