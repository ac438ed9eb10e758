use std::time::Duration;

use super::*;
use crate::event::{encode_event, RawEvent};

const FULL: &str = "5d1c0a7e9b3f42c68e0d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";

fn config(capacity: usize, ttl_ms: u64, queue: usize) -> CacheConfig {
    CacheConfig {
        capacity,
        ttl: Duration::from_millis(ttl_ms),
        retry: Duration::from_secs(3600),
        queue,
    }
}

fn named(name: &str) -> ContainerInfo {
    ContainerInfo {
        id: FULL.to_string(),
        name: name.to_string(),
        ..ContainerInfo::default()
    }
}

#[test]
fn a_miss_asks_the_runtime_once_and_the_answer_is_then_served() {
    let (cache, requests) = ContainerCache::new(config(8, 3_600_000, 8));
    assert!(cache.get(FULL).is_none());
    assert!(cache.get(FULL).is_none());
    assert_eq!(requests.next(Duration::ZERO).as_deref(), Ok(FULL));
    // The second miss came while the first request was pending: not asked again.
    assert_eq!(requests.next(Duration::ZERO), Err(false));
    cache.insert(FULL, named("web"));
    assert_eq!(
        cache.get(FULL).map(|i| i.name.clone()).as_deref(),
        Some("web")
    );
    assert_eq!(
        cache.stats(),
        CacheStats {
            hits: 1,
            misses: 2,
            ..CacheStats::default()
        }
    );
}

#[test]
fn an_old_answer_is_served_while_the_runtime_is_asked_again() {
    let (cache, requests) = ContainerCache::new(config(8, 0, 8));
    cache.insert(FULL, named("web"));
    assert_eq!(
        cache.get(FULL).map(|i| i.name.clone()).as_deref(),
        Some("web")
    );
    assert_eq!(requests.next(Duration::ZERO).as_deref(), Ok(FULL));
    cache.fail(FULL);
    assert_eq!(
        cache.get(FULL).map(|i| i.name.clone()).as_deref(),
        Some("web")
    );
    assert_eq!(cache.stats().failures, 1);
}

#[test]
fn capacity_and_queue_are_bounded() {
    let (cache, requests) = ContainerCache::new(config(2, 3_600_000, 1));
    for id in ["a", "b", "c"] {
        cache.insert(id, named(id));
    }
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.stats().evictions, 1);
    assert!(cache.get("x").is_none());
    // The queue holds one request: the second miss is dropped, not waited on.
    assert!(cache.get("y").is_none());
    assert_eq!(cache.stats().dropped_requests, 1);
    assert_eq!(requests.next(Duration::ZERO).as_deref(), Ok("x"));
    drop(cache);
    assert_eq!(requests.next(Duration::ZERO), Err(true));
}

#[test]
fn reads_container_events_of_both_encodings() {
    let json = r#"{"container":{"id":"5d1c0a7e9b3f","name":"shop-api","type":7,
        "image":"registry.local:5000/shop/api:2.1","imagerepo":"registry.local:5000/shop/api",
        "imagetag":"2.1","imagedigest":"sha256:feed","privileged":true,
        "labels":{"io.kubernetes.pod.name":"api-7d9","io.kubernetes.pod.namespace":"shop",
                  "io.kubernetes.pod.uid":"0c5e-11"},
        "pod_sandbox_labels":{"app":"api","tier":"back"}}}"#;
    let bytes = encode_event(1, 10, 324, &[format!("{json}\0").as_bytes()]);
    let e = RawEvent::parse(&bytes).expect("our own encoding");
    let info = ContainerInfo::from_event(&e).expect("a container event");
    assert_eq!(info.name, "shop-api");
    assert_eq!(info.runtime, "containerd");
    assert_eq!(info.image.repository, "registry.local:5000/shop/api");
    assert_eq!(
        (info.image.tag.as_str(), info.image.digest.as_str()),
        ("2.1", "sha256:feed")
    );
    assert_eq!(info.privileged, Some(true));
    let pod = info.pod.expect("kubelet labels name the pod");
    assert_eq!(
        (pod.name.as_str(), pod.namespace.as_str(), pod.uid.as_str()),
        ("api-7d9", "shop", "0c5e-11")
    );
    assert_eq!(pod.labels_line(), "app:api, tier:back");

    let old = encode_event(
        1,
        10,
        228,
        &[
            b"5d1c0a7e9b3f\0",
            &0u32.to_le_bytes(),
            b"batch\0",
            b"busybox:1.36\0",
        ],
    );
    let e = RawEvent::parse(&old).expect("our own encoding");
    let info = ContainerInfo::from_event(&e).expect("a container event");
    assert_eq!(
        (info.name.as_str(), info.runtime.as_str()),
        ("batch", "docker")
    );
    assert_eq!(info.image.tag, "1.36");
    assert!(info.pod.is_none());

    for bad in ["{", r#"{"container":{"name":"no id"}}"#, "[]"] {
        assert!(ContainerInfo::from_json(bad).is_none(), "{bad}");
    }
}

#[test]
fn captured_containers_come_first_and_host_has_none() {
    let mut containers = Containers::default();
    let (cache, _requests) = ContainerCache::new(config(8, 3_600_000, 8));
    cache.insert(FULL, named("from-runtime"));
    containers.set_cache(cache);
    let cgroup = format!("0::/kubepods.slice/cri-containerd-{FULL}.scope");
    let short = &FULL[..12];
    let name = |c: &Containers| c.lookup(short, [cgroup.as_str()]).map(|i| i.name.clone());
    assert_eq!(name(&containers).as_deref(), Some("from-runtime"));
    containers.insert_captured(named("from-capture"));
    assert_eq!(name(&containers).as_deref(), Some("from-capture"));
    assert!(containers
        .lookup(container::HOST, [cgroup.as_str()])
        .is_none());
}
