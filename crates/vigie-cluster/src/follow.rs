//! Keeping a copy of a few kinds of a cluster's objects up to date: list them,
//! then watch from the list's resourceVersion, applying each event; start over
//! with a new list when the watch's version has expired (`410`) or the
//! connection fails. The caller is handed the whole current set, at most every
//! [`FOLLOW_TICK`] and only when something changed, so it never blocks on the
//! API server: it reads the last copy, whose age it can report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use crate::Cluster;

/// How often a changed copy is handed over: the staleness the follower adds.
pub const FOLLOW_TICK: Duration = Duration::from_millis(500);
/// Wait before listing again after a failure, so that a failing server is not
/// asked in a loop.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// Seconds a watch request may stay open before the server ends it and it is
/// started again from the last version seen.
const WATCH_SECONDS: u32 = 290;

/// The current Namespaces, ConfigMaps and role bindings, as JSON objects.
#[derive(Clone, Debug, Default)]
pub struct Followed {
    /// Every Namespace.
    pub namespaces: Vec<Json>,
    /// Every ConfigMap.
    pub config_maps: Vec<Json>,
    /// Every RoleBinding.
    pub role_bindings: Vec<Json>,
    /// Every ClusterRoleBinding.
    pub cluster_role_bindings: Vec<Json>,
}

/// What a follower reports besides the objects.
#[derive(Clone, Debug)]
pub enum FollowEvent {
    /// A new copy of the objects.
    Changed(Followed),
    /// Listing or watching failed; the last copy stays in use.
    Failed(String),
}

/// The kinds followed (the slots of [`Store`]).
const KINDS: usize = 4;

/// Stops the follower when dropped.
pub struct FollowHandle {
    stop: Arc<AtomicBool>,
}

impl Drop for FollowHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Objects of one kind by namespace/name, and whether they changed since the
/// last copy handed over.
struct Store {
    /// Namespaces, ConfigMaps, RoleBindings, ClusterRoleBindings, each with
    /// its size in bytes.
    maps: [BTreeMap<String, (Json, usize)>; KINDS],
    /// Whether each kind has been listed once: no copy is handed over before all.
    listed: [bool; KINDS],
    dirty: bool,
    /// Objects held of each kind, bounded by the cluster options' `max_objects`.
    limit: usize,
    /// Bytes held in all, and their bound (`max_followed_bytes`).
    bytes: usize,
    max_bytes: usize,
}

impl Store {
    /// Puts `object` in place of the one of the same key in `slot`, unless that
    /// would pass the count or byte bound; then the old copy goes too (a stale
    /// copy is worse than none) and `false` says so.
    fn put(&mut self, slot: usize, object: Json) -> bool {
        let key = key(&object);
        self.remove(slot, &key);
        let size = serde_json::to_vec(&object).map_or(0, |v| v.len());
        if self.maps[slot].len() >= self.limit || self.bytes + size > self.max_bytes {
            return false;
        }
        self.bytes += size;
        self.maps[slot].insert(key, (object, size));
        true
    }

    fn remove(&mut self, slot: usize, key: &str) {
        if let Some((_, size)) = self.maps[slot].remove(key) {
            self.bytes -= size;
        }
    }

    fn clear(&mut self, slot: usize) {
        let held: usize = self.maps[slot].values().map(|(_, size)| size).sum();
        self.bytes -= held;
        self.maps[slot].clear();
    }
}

/// What is said when objects are left out for the bounds.
fn left_out(kind: &str, n: usize, store: &Store) -> String {
    format!(
        "{n} {kind}(s) left out: the objects followed would pass {} objects of a kind or {} bytes in all",
        store.limit, store.max_bytes
    )
}

impl Cluster {
    /// Follows the cluster's Namespaces and ConfigMaps (the context admission
    /// policies read) and its RoleBindings and ClusterRoleBindings (the roles of
    /// a request's user), calling `on_event` from the cluster's runtime with each
    /// new copy and each failure. Runs until the handle is dropped.
    pub fn follow_namespaces_and_config_maps(
        &self,
        on_event: impl Fn(FollowEvent) + Send + Sync + 'static,
    ) -> FollowHandle {
        let stop = Arc::new(AtomicBool::new(false));
        let store = Arc::new(Mutex::new(Store {
            maps: Default::default(),
            listed: [false; KINDS],
            dirty: false,
            limit: self.options.max_objects,
            bytes: 0,
            max_bytes: self.options.max_followed_bytes,
        }));
        let on_event: Arc<dyn Fn(FollowEvent) + Send + Sync> = Arc::new(on_event);
        let timeout = self.options.request_timeout;
        let client = &self.client;
        // One watch per kind the followed view is built from, each with its
        // slot in the store.
        macro_rules! follow {
            ($kind:ty, $slot:expr) => {
                self.runtime.spawn(follow_kind(
                    Api::<$kind>::all(client.clone()),
                    $slot,
                    store.clone(),
                    stop.clone(),
                    on_event.clone(),
                    timeout,
                ))
            };
        }
        follow!(Namespace, 0);
        follow!(ConfigMap, 1);
        follow!(RoleBinding, 2);
        follow!(ClusterRoleBinding, 3);
        let ticker_stop = stop.clone();
        self.runtime.spawn(async move {
            let mut tick = tokio::time::interval(FOLLOW_TICK);
            while !ticker_stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let copy = {
                    let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
                    if !s.dirty || !s.listed.iter().all(|&l| l) {
                        continue;
                    }
                    s.dirty = false;
                    let copy =
                        |slot: usize| s.maps[slot].values().map(|(o, _)| o.clone()).collect();
                    Followed {
                        namespaces: copy(0),
                        config_maps: copy(1),
                        role_bindings: copy(2),
                        cluster_role_bindings: copy(3),
                    }
                };
                on_event(FollowEvent::Changed(copy));
            }
        });
        FollowHandle { stop }
    }
}

fn key(object: &Json) -> String {
    let text = |p: &str| object.pointer(p).and_then(Json::as_str).unwrap_or_default();
    format!("{}/{}", text("/metadata/namespace"), text("/metadata/name"))
}

/// Lists then watches one kind into its map of the store, forever (until `stop`).
async fn follow_kind<K>(
    api: Api<K>,
    slot: usize,
    store: Arc<Mutex<Store>>,
    stop: Arc<AtomicBool>,
    on_event: Arc<dyn Fn(FollowEvent) + Send + Sync>,
    timeout: Duration,
) where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug
        + Send
        + 'static,
{
    let kind = K::kind(&()).to_string();
    while !stop.load(Ordering::Relaxed) {
        // A fresh list: the whole current set and the version to watch from.
        let listed = tokio::time::timeout(timeout, api.list(&ListParams::default())).await;
        let list = match listed {
            Ok(Ok(list)) => list,
            Ok(Err(e)) => {
                on_event(FollowEvent::Failed(format!("listing {kind}s: {e}")));
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
            Err(_) => {
                on_event(FollowEvent::Failed(format!(
                    "listing {kind}s: no answer within {timeout:?}"
                )));
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        let mut version = list.metadata.resource_version.clone().unwrap_or_default();
        let refused = {
            let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
            s.clear(slot);
            let refused = list
                .items
                .iter()
                .filter_map(|o| serde_json::to_value(o).ok())
                .map(|o| s.put(slot, o))
                .filter(|kept| !kept)
                .count();
            s.listed[slot] = true;
            s.dirty = true;
            (refused > 0).then(|| left_out(&kind, refused, &s))
        };
        if let Some(message) = refused {
            on_event(FollowEvent::Failed(message));
        }
        // Watch from there until the version expires or the stream fails.
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let params = WatchParams::default().timeout(WATCH_SECONDS);
            let stream = match api.watch(&params, &version).await {
                Ok(stream) => stream,
                Err(e) => {
                    on_event(FollowEvent::Failed(format!("watching {kind}s: {e}")));
                    tokio::time::sleep(RETRY_AFTER).await;
                    break;
                }
            };
            let mut stream = std::pin::pin!(stream);
            let mut events = 0usize;
            let mut relist = false;
            while let Some(event) = stream.next().await {
                events += 1;
                let (object, present) = match event {
                    Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => (o, true),
                    Ok(WatchEvent::Deleted(o)) => (o, false),
                    Ok(WatchEvent::Bookmark(b)) => {
                        version = b.metadata.resource_version;
                        continue;
                    }
                    Ok(WatchEvent::Error(status)) => {
                        // 410: the version is too old to watch from; anything
                        // else is reported. Both start over with a list.
                        if status.code != 410 {
                            on_event(FollowEvent::Failed(format!(
                                "watching {kind}s: {} ({})",
                                status.message, status.code
                            )));
                        }
                        relist = true;
                        break;
                    }
                    Err(e) => {
                        on_event(FollowEvent::Failed(format!("watching {kind}s: {e}")));
                        relist = true;
                        break;
                    }
                };
                if let Some(v) = object.meta().resource_version.clone() {
                    version = v;
                }
                let Ok(json) = serde_json::to_value(&object) else {
                    continue;
                };
                let refused = {
                    let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
                    s.dirty = true;
                    if present {
                        (!s.put(slot, json)).then(|| left_out(&kind, 1, &s))
                    } else {
                        s.remove(slot, &key(&json));
                        None
                    }
                };
                if let Some(message) = refused {
                    on_event(FollowEvent::Failed(message));
                }
            }
            if relist {
                tokio::time::sleep(RETRY_AFTER).await;
                break;
            }
            if events == 0 {
                // A watch that ends at once (a server closing early) is not
                // asked again in a tight loop.
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}
