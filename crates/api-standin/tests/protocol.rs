//! What the stand-in answers, request by request, read with a plain HTTP client.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use api_standin::{Counters, Standin, StandinConfig};
use serde_json::{json, Value};

fn get(standin: &Standin, path: &str, accept: &str) -> (u16, Value) {
    let (status, body) = standin
        .exchange("GET", path, &format!("Accept: {accept}\r\n"), "")
        .unwrap();
    let value = if body.trim_start().starts_with('{') && !body.contains("\n{") {
        serde_json::from_str(body.trim()).unwrap()
    } else {
        Value::String(body)
    };
    (status, value)
}

/// The `name` of each entry of a discovery list.
fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["name"].as_str())
        .collect()
}

fn objects() -> Vec<Value> {
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "a"}, "data": {"password": "c2VjcmV0"}}),
    ];
    for i in 0..5 {
        objects.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": if i < 3 {"a"} else {"b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
    }
    objects.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}));
    objects
}

#[test]
fn lists_page_with_limit_and_continue_and_expire_on_request() {
    let mut config = StandinConfig::new(objects());
    config.expire_continue_tokens = 1;
    let standin = Standin::start(config).unwrap();
    let (status, page) = get(&standin, "/api/v1/pods?limit=2", "application/json");
    assert_eq!(status, 200);
    assert_eq!(page["kind"], "PodList");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(
        page["items"][0].get("kind").is_none(),
        "typed lists' items carry no kind"
    );
    assert_eq!(page["metadata"]["remainingItemCount"], 3);
    let token = page["metadata"]["continue"].as_str().unwrap().to_string();
    let (status, gone) = get(
        &standin,
        &format!("/api/v1/pods?limit=2&continue={token}"),
        "application/json",
    );
    assert_eq!((status, gone["reason"].as_str()), (410, Some("Expired")));
    let (status, next) = get(
        &standin,
        &format!("/api/v1/pods?limit=2&continue={token}"),
        "application/json",
    );
    assert_eq!(status, 200);
    assert_eq!(next["items"][0]["metadata"]["name"], "p2");
    let (_, in_b) = get(&standin, "/api/v1/namespaces/b/pods", "application/json");
    assert_eq!(in_b["items"].as_array().unwrap().len(), 2);
    assert_eq!(Counters::get(&standin.counters().gone), 1);
}

#[test]
fn secrets_come_as_metadata_when_asked_and_forbidden_types_are_403() {
    let mut config = StandinConfig::new(objects());
    config.forbidden = vec!["pods".into()];
    let standin = Standin::start(config).unwrap();
    let (status, list) = get(
        &standin,
        "/api/v1/secrets",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
    );
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
    assert!(list["items"][0].get("data").is_none());
    assert!(!list.to_string().contains("c2VjcmV0"));
    let (status, denied) = get(&standin, "/api/v1/namespaces/a/pods", "application/json");
    assert_eq!(status, 403);
    assert!(denied["message"]
        .as_str()
        .unwrap()
        .contains("cannot list resource \"pods\""));
}

#[test]
fn version_discovery_configz_objects_and_watch() {
    let standin = Standin::start(StandinConfig::new(objects())).unwrap();
    let (_, version) = get(&standin, "/version", "application/json");
    assert_eq!(
        (version["major"].as_str(), version["minor"].as_str()),
        (Some("1"), Some("31"))
    );
    let (_, core) = get(&standin, "/api/v1", "application/json");
    assert!(names(&core["resources"]).contains(&"secrets"), "{core}");
    let (_, groups) = get(&standin, "/apis", "application/json");
    assert!(names(&groups["groups"]).contains(&"apps"), "{groups}");
    let (status, _) = get(&standin, "/apis/nothing.example/v1", "application/json");
    assert_eq!(status, 404);
    let (status, configz) = get(
        &standin,
        "/api/v1/nodes/node-1/proxy/configz",
        "application/json",
    );
    assert_eq!(status, 200);
    assert!(configz["kubeletconfig"].is_object());
    let (_, pod) = get(&standin, "/api/v1/namespaces/a/pods/p1", "application/json");
    assert_eq!(
        (pod["kind"].as_str(), pod["metadata"]["name"].as_str()),
        (Some("Pod"), Some("p1"))
    );
    assert!(pod["metadata"]["uid"].is_string() && pod["metadata"]["resourceVersion"].is_string());
    let (status, events) = get(
        &standin,
        "/api/v1/pods?watch=true&timeoutSeconds=1",
        "application/json",
    );
    assert_eq!(status, 200);
    // A stream, sent chunked: the events are the lines that are JSON objects.
    let events: Vec<&str> = events
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .collect();
    assert_eq!(events.len(), 5);
    for line in events {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["type"], "ADDED");
        assert_eq!(event["object"]["kind"], "Pod");
    }
}
