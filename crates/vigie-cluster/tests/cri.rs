//! The CRI resolver against the stand-in runtime on a unix socket: the sensor's
//! cache misses a container, the resolver asks the runtime, later lookups hit.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_cluster::cri::standin::{FakeContainer, Standin};
use vigie_cluster::cri::{CriError, Resolver, ResolverOptions};
use vigie_sensor::state::containers::{CacheConfig, ContainerCache, ContainerInfo};

fn id(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn fake(n: u8) -> FakeContainer {
    FakeContainer {
        id: id(n),
        name: format!("worker-{n}"),
        image: format!("registry.example/team/worker:{n}.0"),
        image_ref: "registry.example/team/worker@sha256:4e5f".into(),
        privileged: n.is_multiple_of(2),
        sandbox: format!("sandbox-{n}"),
        pod_name: format!("worker-{n}-x7"),
        pod_uid: format!("uid-{n}"),
        pod_namespace: "batch".into(),
        pod_labels: vec![("app".into(), "worker".into())],
    }
}

/// Waits for the resolver to answer `full` (bounded; the bound is not a timing
/// assertion, only the end of a wait for the background thread).
fn wait_for(cache: &ContainerCache, full: &str) -> Option<Arc<ContainerInfo>> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(info) = cache.get(full) {
            return Some(info);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn containers_are_described_by_the_runtime_and_then_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("containerd.sock");
    let standin = Standin::start(
        &socket,
        "containerd",
        (1..=4).map(fake).collect(),
        Duration::ZERO,
    )
    .unwrap();
    let (cache, requests) = ContainerCache::new(CacheConfig::default());
    let (resolver, warnings) = Resolver::start(
        std::slice::from_ref(&socket),
        &cache,
        requests,
        ResolverOptions::default(),
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(resolver.runtimes()[0].1, "containerd standin");

    // The first lookup misses (the event path never waits) and asks the runtime.
    assert!(cache.get(&id(1)).is_none());
    let info = wait_for(&cache, &id(1)).expect("the runtime's answer");
    assert_eq!(info.name, "worker-1");
    assert_eq!(info.runtime, "containerd");
    assert_eq!(info.image.full, "registry.example/team/worker:1.0");
    assert_eq!(info.image.repository, "registry.example/team/worker");
    assert_eq!(
        (info.image.tag.as_str(), info.image.digest.as_str()),
        ("1.0", "sha256:4e5f")
    );
    assert_eq!(info.privileged, Some(false));
    let pod = info.pod.as_ref().expect("a pod");
    assert_eq!(
        (pod.name.as_str(), pod.uid.as_str(), pod.namespace.as_str()),
        ("worker-1-x7", "uid-1", "batch")
    );
    // The kubelet's own keys are not pod labels.
    assert_eq!(pod.labels_line(), "app:worker");

    // Many events of the same containers: one ContainerStatus each, then hits.
    for n in 2..=4 {
        wait_for(&cache, &id(n)).expect("the runtime's answer");
    }
    let before = cache.stats();
    for _ in 0..1000 {
        for n in 1..=4 {
            assert!(cache.get(&id(n)).is_some());
        }
    }
    let after = cache.stats();
    assert_eq!(after.hits - before.hits, 4000);
    assert_eq!(after.misses, before.misses);
    assert_eq!(standin.status_calls(), 4);
    assert_eq!(info.privileged, Some(false));
    assert_eq!(cache.get(&id(2)).and_then(|i| i.privileged), Some(true));

    // A container the runtime does not know: counted, asked again only later.
    assert!(cache.get(&id(9)).is_none());
    let end = Instant::now() + Duration::from_secs(10);
    while resolver.stats().not_found == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(2));
    }
    let stats = resolver.stats();
    assert_eq!(
        (stats.lookups, stats.found, stats.not_found, stats.failed),
        (5, 4, 1, 0)
    );
    eprintln!(
        "CRI lookups: {} (mean {:?}, max {} µs); cache: {:?}",
        stats.lookups,
        stats.mean(),
        stats.max_us,
        cache.stats()
    );
}

#[test]
fn a_socket_without_runtime_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing: PathBuf = dir.path().join("none.sock");
    let (cache, requests) = ContainerCache::new(CacheConfig::default());
    let options = ResolverOptions {
        timeout: Duration::from_millis(500),
        ..ResolverOptions::default()
    };
    let err =
        Resolver::start(std::slice::from_ref(&missing), &cache, requests, options).unwrap_err();
    assert!(matches!(err, CriError::NoRuntime(_)), "{err}");
    assert!(err.to_string().contains("none.sock"), "{err}");
}

#[test]
fn a_slow_runtime_does_not_hold_the_event_path() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("crio.sock");
    // The delay is paid by the resolver's thread; `get` returns at once (a miss).
    let _standin =
        Standin::start(&socket, "cri-o", vec![fake(5)], Duration::from_millis(300)).unwrap();
    let (cache, requests) = ContainerCache::new(CacheConfig::default());
    let (_resolver, _) =
        Resolver::start(&[socket], &cache, requests, ResolverOptions::default()).unwrap();
    assert!(cache.get(&id(5)).is_none());
    let info = wait_for(&cache, &id(5)).expect("the runtime's answer");
    assert_eq!(info.runtime, "cri-o");
    assert!(cache.stats().misses >= 1);
}
