//! An informer-fed copy of every object a scan reads, for the continuous scan.
//!
//! [`Cluster::inventory`] lists each type the scan reads (a page at a time),
//! then watches it from the list's `resourceVersion` with bookmarks, applying
//! each event to its copy; a watch whose version has expired (`410 Gone`) or
//! that fails starts over with a new list. Secrets are listed and watched as
//! `PartialObjectMetadata`, and whatever a server sends for them, only their
//! metadata is kept. Each node's kubelet configuration (configz, which cannot
//! be watched) is read once the Nodes are listed and again every 5 minutes, and
//! kept as a `KubeletConfiguration` named after the node. The copy is held as each object's JSON text (compact, and
//! read again by vigie's own loader at each scan, so that a scan of the copy is
//! the scan of the same objects read from a list). [`Inventory::resources`]
//! hands a snapshot to the scan; [`Inventory::generation`] says whether
//! anything changed since.
//!
//! Policy reports (`openreports.io`, `wgpolicyk8s.io`) are not followed: no
//! control reads them, and vigie's own report writes would otherwise make
//! changes that trigger scans that write reports.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigie_report::prometheus::{write_header, write_sample};

use futures_util::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, WatchEvent, WatchParams};
use kube::core::GroupVersionKind;
use serde_json::{json, Value};
use vigie_resource::Resource;

use crate::connect::describe;
use crate::convert::read_page;
use crate::discovery::ApiType;
use crate::read::{percent_encode, METADATA_ONLY};
use crate::{source_name, Cluster, ClusterOptions};

/// Groups whose types the inventory does not follow.
const NOT_FOLLOWED: &[&str] = &["openreports.io", "wgpolicyk8s.io"];
/// Wait before listing again after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// Objects read back into resources at once.
const CHUNK: usize = 500;
/// How often the nodes' kubelet configurations are read again.
const KUBELET_POLL: Duration = Duration::from_secs(300);

/// What the inventory knows of one type.
#[derive(Default)]
struct TypeState {
    /// `namespace/name` to the object's JSON.
    objects: BTreeMap<String, Arc<str>>,
    /// Listed once at least.
    listed: bool,
    /// The type may not be listed (403): followed no more, the scan goes without it.
    forbidden: Option<String>,
    /// When the copy was last known current: a list, an event or a bookmark.
    fresh_at: Option<Instant>,
}

/// Shared between the followers and the scan loop.
struct Shared {
    types: Vec<ApiType>,
    states: Vec<Mutex<TypeState>>,
    generation: AtomicU64,
    relists: AtomicU64,
    failures: AtomicU64,
    last_failure: Mutex<Option<String>>,
    stop: AtomicBool,
    options: ClusterOptions,
    objects: AtomicU64,
}

/// A live copy of the cluster's objects. Stops following when dropped.
pub struct Inventory {
    shared: Arc<Shared>,
    context: Arc<str>,
}

/// What the inventory has done, for metrics and messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InventoryStats {
    /// Objects held, by `apiVersion` and kind.
    pub objects_by_kind: Vec<(String, String, usize)>,
    /// Seconds since each followed type's copy was last known current
    /// (`resource` as RBAC names it); types not listed yet are left out.
    pub staleness: Vec<(String, f64)>,
    /// Lists made again after an expired watch or a failure.
    pub relists: u64,
    /// Failed lists and watches.
    pub failures: u64,
    /// The last failure, in words.
    pub last_failure: Option<String>,
    /// Types the user may not list, with the server's reason.
    pub forbidden: Vec<(String, String)>,
}

impl Drop for Inventory {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl Cluster {
    /// Starts following every type a scan reads (policy reports aside). The
    /// copy is complete once [`Inventory::ready`] says so.
    pub fn inventory(&self) -> Inventory {
        self.follow_types(
            |t| !NOT_FOLLOWED.contains(&t.group.as_str()),
            self.options.kubelet_configs,
        )
    }

    /// Starts following the types of these kinds, named by API group and kind
    /// (`("kyverno.io", "ClusterPolicy")`, `("", "ConfigMap")`), custom
    /// resources included, in the version the cluster prefers; kinds the
    /// cluster does not serve are left out (an Inventory without them is
    /// ready at once).
    pub fn inventory_of(&self, kinds: &[(&str, &str)]) -> Inventory {
        self.follow_types(
            |t| {
                kinds
                    .iter()
                    .any(|(group, kind)| t.group == *group && t.kind == *kind)
            },
            false,
        )
    }

    fn follow_types(&self, wanted: impl Fn(&ApiType) -> bool, kubelet_configs: bool) -> Inventory {
        let mut types: Vec<ApiType> = self.types.iter().filter(|t| wanted(t)).cloned().collect();
        let followed_types = types.len();
        // The nodes' kubelet configurations, polled (configz cannot be
        // watched), as a type of its own after the listed ones.
        let nodes = types
            .iter()
            .position(|t| t.group.is_empty() && t.plural == "nodes")
            .filter(|_| kubelet_configs);
        if nodes.is_some() {
            types.push(kubelet_type());
        }
        let shared = Arc::new(Shared {
            states: types.iter().map(|_| Mutex::default()).collect(),
            types,
            generation: AtomicU64::new(0),
            relists: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            stop: AtomicBool::new(false),
            options: self.options.clone(),
            objects: AtomicU64::new(0),
        });
        for index in 0..followed_types {
            self.runtime
                .spawn(follow(self.client.clone(), shared.clone(), index));
        }
        if let Some(nodes) = nodes {
            self.runtime.spawn(poll_kubelet_configs(
                self.client.clone(),
                shared.clone(),
                nodes,
                followed_types,
            ));
        }
        Inventory {
            shared,
            context: self.context.clone(),
        }
    }
}

fn lock(state: &Mutex<TypeState>) -> std::sync::MutexGuard<'_, TypeState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inventory {
    /// Whether every followed type has been listed (or found forbidden).
    pub fn ready(&self) -> bool {
        self.shared.states.iter().all(|s| {
            let s = lock(s);
            s.listed || s.forbidden.is_some()
        })
    }

    /// A number that changes whenever the copy changes.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Relaxed)
    }

    /// The objects of the copy now, as the scan reads them (the namespace
    /// selection of the cluster options applied), read a chunk at a time as
    /// the iterator is advanced, so that memory holds the copy's text and one
    /// chunk of resources, not every resource at once. Objects that could not
    /// be read are in [`InventoryResources::problems`] once it is done.
    pub fn resources(&self) -> InventoryResources<'_> {
        // The texts are shared (`Arc`), not copied: a snapshot is cheap, and
        // changes that come meanwhile do not tear it.
        let texts = self
            .shared
            .types
            .iter()
            .zip(&self.shared.states)
            .map(|(api_type, state)| {
                let texts: Vec<Arc<str>> = lock(state).objects.values().cloned().collect();
                (api_type.clone(), texts)
            })
            .collect();
        InventoryResources {
            inventory: self,
            source: source_name(&self.context),
            texts,
            next_type: 0,
            next_object: 0,
            chunk: Vec::new().into_iter(),
            problems: Vec::new(),
        }
    }

    /// Counts for metrics: objects by kind, staleness, relists, failures.
    pub fn stats(&self) -> InventoryStats {
        let mut stats = InventoryStats {
            relists: self.shared.relists.load(Ordering::Relaxed),
            failures: self.shared.failures.load(Ordering::Relaxed),
            last_failure: self
                .shared
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            ..InventoryStats::default()
        };
        for (api_type, state) in self.shared.types.iter().zip(&self.shared.states) {
            let state = lock(state);
            if let Some(reason) = &state.forbidden {
                stats.forbidden.push((api_type.qualified(), reason.clone()));
                continue;
            }
            stats.objects_by_kind.push((
                api_type.api_version(),
                api_type.kind.clone(),
                state.objects.len(),
            ));
            if let Some(at) = state.fresh_at {
                stats
                    .staleness
                    .push((api_type.qualified(), at.elapsed().as_secs_f64()));
            }
        }
        stats
    }
}

/// The resources of an [`Inventory`] snapshot, read a chunk at a time.
pub struct InventoryResources<'i> {
    inventory: &'i Inventory,
    source: String,
    texts: Vec<(ApiType, Vec<Arc<str>>)>,
    next_type: usize,
    next_object: usize,
    chunk: std::vec::IntoIter<Resource>,
    problems: Vec<String>,
}

impl InventoryResources<'_> {
    /// Objects that could not be read so far, in words.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Reads the next chunk of objects; `false` once every one is read.
    fn fill(&mut self) -> bool {
        while let Some((api_type, texts)) = self.texts.get(self.next_type) {
            if self.next_object >= texts.len() {
                self.next_type += 1;
                self.next_object = 0;
                continue;
            }
            let end = (self.next_object + CHUNK).min(texts.len());
            let mut list = String::from("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
            for (i, text) in texts[self.next_object..end].iter().enumerate() {
                if i > 0 {
                    list.push(',');
                }
                list.push_str(text);
            }
            list.push_str("]}");
            self.next_object = end;
            let options = &self.inventory.shared.options;
            match read_page(&list, api_type, &self.inventory.context, &self.source) {
                Ok(page) => {
                    self.problems.extend(page.problems);
                    let wanted: Vec<Resource> = page
                        .resources
                        .into_iter()
                        .filter(|r| options.keeps(r))
                        .collect();
                    self.chunk = wanted.into_iter();
                    return true;
                }
                Err(reason) => self
                    .problems
                    .push(format!("{}: {reason}", api_type.qualified())),
            }
        }
        false
    }
}

impl Iterator for InventoryResources<'_> {
    type Item = Resource;

    fn next(&mut self) -> Option<Resource> {
        loop {
            if let Some(resource) = self.chunk.next() {
                return Some(resource);
            }
            if !self.fill() {
                return None;
            }
        }
    }
}

impl InventoryStats {
    /// The metrics [`InventoryStats::render`] writes: name, type, help.
    pub const METRICS: &'static [(&'static str, &'static str, &'static str)] = &[
        ("vigie_inventory_objects", "gauge", "Objects held in the scanner's copy of the cluster, by apiVersion and kind."),
        ("vigie_inventory_staleness_seconds", "gauge", "Seconds since the copy of a type was last known current (a list, a watch event or a bookmark), by resource."),
        ("vigie_inventory_relists_total", "counter", "Lists made again after a watch expired (410) or failed."),
        ("vigie_inventory_failures_total", "counter", "Lists and watches of the cluster that failed."),
        ("vigie_inventory_forbidden", "gauge", "1 for each resource type the scanner may not list (the scan goes without it)."),
    ];

    /// Appends the Prometheus text exposition.
    pub fn render(&self, out: &mut String) {
        let header = |out: &mut String, index: usize| {
            let (name, kind, help) = Self::METRICS[index];
            write_header(out, name, kind, help);
        };
        header(out, 0);
        for (api_version, kind, count) in &self.objects_by_kind {
            let labels = [("api_version", api_version.as_str()), ("kind", kind)];
            write_sample(out, "vigie_inventory_objects", &labels, count);
        }
        header(out, 1);
        for (resource, seconds) in &self.staleness {
            let labels = [("resource", resource.as_str())];
            write_sample(
                out,
                "vigie_inventory_staleness_seconds",
                &labels,
                format_args!("{seconds:.3}"),
            );
        }
        header(out, 2);
        write_sample(out, "vigie_inventory_relists_total", &[], self.relists);
        header(out, 3);
        write_sample(out, "vigie_inventory_failures_total", &[], self.failures);
        header(out, 4);
        for (resource, _) in &self.forbidden {
            write_sample(
                out,
                "vigie_inventory_forbidden",
                &[("resource", resource)],
                1,
            );
        }
    }
}

fn key(object: &Value) -> String {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!("{}/{}", text("/metadata/namespace"), text("/metadata/name"))
}

/// An object as kept: with its type, and for metadata-only types nothing but metadata.
fn kept(api_type: &ApiType, object: Value) -> Value {
    if api_type.metadata_only() {
        return json!({
            "apiVersion": api_type.api_version(),
            "kind": api_type.kind,
            "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
        });
    }
    let mut object = object;
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), json!(api_type.api_version()));
        map.insert("kind".into(), json!(api_type.kind));
    }
    object
}

/// What a watch stream says, whatever the form of its objects.
enum Change {
    Put(Value),
    Delete(Value),
    Bookmark(String),
    Expired,
    Failed(String),
}

impl Shared {
    /// Type `index` may not be read: followed no more, the scan goes without it.
    fn forbid(&self, index: usize, status: &kube::core::Status) {
        lock(&self.states[index]).forbidden = Some(format!(
            "{} {}: {}",
            status.code, status.reason, status.message
        ));
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Makes `objects` the copy of type `index`, now current; says whether it
    /// differs from the copy it replaces.
    fn replace_objects(&self, index: usize, objects: Objects) -> bool {
        let mut state = lock(&self.states[index]);
        let changed = state.objects != objects;
        let before = state.objects.len() as u64;
        state.objects = objects;
        self.objects
            .fetch_add(state.objects.len() as u64, Ordering::Relaxed);
        self.objects.fetch_sub(before, Ordering::Relaxed);
        state.listed = true;
        state.fresh_at = Some(Instant::now());
        changed
    }

    fn failed(&self, reason: String) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
    }
}

/// Lists then watches one type into its copy, until the inventory is dropped.
async fn follow(client: kube::Client, shared: Arc<Shared>, index: usize) {
    let api_type = shared.types[index].clone();
    let gvk = GroupVersionKind::gvk(&api_type.group, &api_type.version, &api_type.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, &api_type.plural);
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let timeout = shared.options.request_timeout;
    // A watch is ended by the server before the client's read timeout (the
    // request timeout) would cut it as silent; bookmarks keep it talking.
    let watch_seconds = (timeout.as_secs().saturating_sub(5)).clamp(1, 290) as u32;
    let name = api_type.qualified();
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        if !first {
            shared.relists.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        let listed = tokio::time::timeout(timeout * 4, list(&client, &api_type, &shared)).await;
        let (objects, mut version) = match listed {
            Ok(Ok(listed)) => listed,
            Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
                return shared.forbid(index, &status);
            }
            Ok(Err(e)) => {
                shared.failed(format!("listing {name}: {}", describe(&e)));
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
            Err(_) => {
                shared.failed(format!(
                    "listing {name}: no answer within {:?}",
                    timeout * 4
                ));
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        shared.replace_objects(index, objects);
        shared.generation.fetch_add(1, Ordering::Relaxed);
        // Watch from the list's version until it expires or fails.
        'watching: loop {
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            // Bookmarks are asked for (`allowWatchBookmarks`) by default.
            let params = WatchParams::default().timeout(watch_seconds);
            let mut changes = match watch(&api, &api_type, &params, &version).await {
                Ok(changes) => changes,
                Err(e) => {
                    shared.failed(format!("watching {name}: {}", describe(&e)));
                    tokio::time::sleep(RETRY_AFTER).await;
                    break 'watching;
                }
            };
            while let Some(change) = changes.next().await {
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                let (object, present) = match change {
                    Change::Put(object) => (object, true),
                    Change::Delete(object) => (object, false),
                    Change::Bookmark(v) => {
                        version = v;
                        lock(&shared.states[index]).fresh_at = Some(Instant::now());
                        continue;
                    }
                    Change::Expired => break 'watching,
                    Change::Failed(reason) => {
                        shared.failed(format!("watching {name}: {reason}"));
                        tokio::time::sleep(RETRY_AFTER).await;
                        break 'watching;
                    }
                };
                if let Some(v) = object
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                {
                    version = v.to_string();
                }
                apply(&shared, index, &api_type, object, present);
            }
            // The server ended the watch (its timeout): watch again from the
            // last version seen.
        }
    }
}

/// One watch event into the copy of type `index`.
fn apply(shared: &Shared, index: usize, api_type: &ApiType, object: Value, present: bool) {
    let object = kept(api_type, object);
    let key = key(&object);
    let mut state = lock(&shared.states[index]);
    state.fresh_at = Some(Instant::now());
    if present {
        let full = shared.objects.load(Ordering::Relaxed) as usize >= shared.options.max_objects;
        if full && !state.objects.contains_key(&key) {
            drop(state);
            shared.failed(format!(
                "the cluster holds more than {} objects (--max-objects): {} {key} is not followed",
                shared.options.max_objects,
                api_type.qualified()
            ));
            return;
        }
        let text: Arc<str> = object.to_string().into();
        if state.objects.insert(key, text).is_none() {
            shared.objects.fetch_add(1, Ordering::Relaxed);
        }
    } else if state.objects.remove(&key).is_some() {
        shared.objects.fetch_sub(1, Ordering::Relaxed);
    }
    shared.generation.fetch_add(1, Ordering::Relaxed);
}

type Objects = BTreeMap<String, Arc<str>>;

/// Every object of a type, a page at a time, and the version to watch from.
///
/// The pages are asked for raw and each item is parsed once, into the JSON
/// value it is kept as: going through kube's typed objects (`DynamicObject`,
/// then a value again) took more time than the rest of the list.
async fn list(
    client: &kube::Client,
    api_type: &ApiType,
    shared: &Shared,
) -> Result<(Objects, String), kube::Error> {
    let path = api_type.list_path(None);
    let accept = if api_type.metadata_only() {
        METADATA_ONLY
    } else {
        "application/json"
    };
    let mut objects = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut uri = format!("{path}?limit={}", shared.options.page_size);
        if let Some(t) = &token {
            uri.push_str("&continue=");
            uri.push_str(&percent_encode(t));
        }
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, accept)
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        let text = client.request_text(request).await?;
        let mut page: Value = serde_json::from_str(&text).map_err(kube::Error::SerdeError)?;
        drop(text);
        let items = match page.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        for item in items {
            let object = kept(api_type, item);
            if objects.len() + shared.objects.load(Ordering::Relaxed) as usize
                >= shared.options.max_objects
            {
                shared.failed(format!(
                    "the cluster holds more than {} objects (--max-objects): the rest of {} is not followed",
                    shared.options.max_objects,
                    api_type.qualified()
                ));
                break;
            }
            objects.insert(key(&object), object.to_string().into());
        }
        let text = |pointer: &str| {
            page.pointer(pointer)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        token = text("/metadata/continue");
        if token.is_none() {
            return Ok((
                objects,
                text("/metadata/resourceVersion").unwrap_or_default(),
            ));
        }
    }
}

/// The type the kubelet configurations are kept as.
fn kubelet_type() -> ApiType {
    let (group, version) = crate::kubelet::API_VERSION
        .split_once('/')
        .expect("the kubelet API version has a group");
    ApiType {
        group: group.into(),
        version: version.into(),
        kind: crate::kubelet::KIND.into(),
        plural: "configz".into(),
        namespaced: false,
    }
}

/// Reads the kubelet configuration of every node of the copy (type `nodes`)
/// into the copy of type `index`, once the nodes are listed and then every
/// [`KUBELET_POLL`]; a change of the set of nodes is caught at the next poll.
/// `403` on `nodes/proxy` stops it: the scan goes without them.
async fn poll_kubelet_configs(
    client: kube::Client,
    shared: Arc<Shared>,
    nodes: usize,
    index: usize,
) {
    let timeout = shared.options.request_timeout;
    while !shared.stop.load(Ordering::Relaxed) {
        let names: Option<Vec<String>> = {
            let state = lock(&shared.states[nodes]);
            (state.listed || state.forbidden.is_some()).then(|| {
                state
                    .objects
                    .keys()
                    .map(|key| key.trim_start_matches('/').to_string())
                    .collect()
            })
        };
        let Some(names) = names else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut objects = Objects::new();
        for node in names {
            let path = crate::kubelet::configz_path(&node);
            let request = match http::Request::get(&path).body(Vec::new()) {
                Ok(request) => request,
                Err(e) => {
                    shared.failed(format!("reading {path}: {e}"));
                    continue;
                }
            };
            let answer = tokio::time::timeout(timeout, client.request_text(request)).await;
            let text = match answer {
                Ok(Ok(text)) => text,
                Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
                    return shared.forbid(index, &status);
                }
                Ok(Err(e)) => {
                    shared.failed(format!("reading {path}: {}", describe(&e)));
                    continue;
                }
                Err(_) => {
                    shared.failed(format!("reading {path}: no answer within {timeout:?}"));
                    continue;
                }
            };
            match crate::kubelet::configz_object(&text, &node) {
                Ok(object) => {
                    objects.insert(format!("/{node}"), object.to_string().into());
                }
                Err(reason) => shared.failed(format!("reading {path}: {reason}")),
            }
        }
        if shared.replace_objects(index, objects) {
            shared.generation.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(KUBELET_POLL).await;
    }
}

type Changes = std::pin::Pin<Box<dyn futures_util::Stream<Item = Change> + Send>>;

/// A watch from `version`, its events as [`Change`]s.
async fn watch(
    api: &Api<DynamicObject>,
    api_type: &ApiType,
    params: &WatchParams,
    version: &str,
) -> Result<Changes, kube::Error> {
    fn change<K: serde::Serialize>(event: Result<WatchEvent<K>, kube::Error>) -> Change {
        let value = |o: &K| serde_json::to_value(o).unwrap_or(Value::Null);
        match event {
            Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => Change::Put(value(&o)),
            Ok(WatchEvent::Deleted(o)) => Change::Delete(value(&o)),
            Ok(WatchEvent::Bookmark(b)) => Change::Bookmark(b.metadata.resource_version),
            Ok(WatchEvent::Error(status)) if status.code == 410 => Change::Expired,
            Ok(WatchEvent::Error(status)) => {
                Change::Failed(format!("{} ({})", status.message, status.code))
            }
            Err(e) => Change::Failed(describe(&e)),
        }
    }
    if api_type.metadata_only() {
        let stream = api.watch_metadata(params, version).await?;
        Ok(Box::pin(stream.map(change)))
    } else {
        let stream = api.watch(params, version).await?;
        Ok(Box::pin(stream.map(change)))
    }
}
