//! Reading the API server stand-in: pages, restarts, metadata-only Secrets,
//! forbidden types, limits.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

mod common;

use api_standin::{Counters, StandinConfig};
use common::connect;
use serde_json::{json, Value};
use vigie_cluster::{Cluster, ReadProgress};

fn objects(pods: usize) -> Vec<Value> {
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "a"}, "type": "Opaque", "data": {"password": "c2VjcmV0"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}),
    ];
    for i in 0..pods {
        objects.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:04}"), "namespace": if i % 2 == 0 {"a"} else {"b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
    }
    objects
}

fn read_names(cluster: &Cluster) -> (Vec<String>, vigie_cluster::ReadSummary) {
    let mut stream = cluster.read(Arc::new(ReadProgress::default()));
    let mut names: Vec<String> = stream
        .by_ref()
        .map(|r| format!("{} {}/{}", r.kind, r.namespace.unwrap_or_default(), r.name))
        .collect();
    names.sort();
    (names, stream.finish())
}

#[test]
fn every_object_is_read_a_page_at_a_time_with_its_cluster_identity() {
    let (standin, cluster, _dir) = connect(StandinConfig::new(objects(250)), |o| o.page_size = 20);
    assert_eq!(cluster.context(), "standin");
    assert_eq!((cluster.version().major, cluster.version().minor), (1, 31));
    assert!(cluster
        .types()
        .iter()
        .any(|t| t.qualified() == "deployments.apps"));
    let mut stream = cluster.read(Arc::new(ReadProgress::default()));
    let first = stream.next().unwrap();
    let origin = first.origin.cluster.clone().expect("a cluster object");
    assert_eq!(&*origin.context, "standin");
    assert!(!origin.uid.is_empty() && !origin.resource_version.is_empty());
    let rest = stream.by_ref().count();
    let summary = stream.finish();
    assert_eq!(rest + 1, 253);
    assert_eq!(summary.objects, 253);
    assert!(
        summary.errors.is_empty() && summary.warnings.is_empty(),
        "{summary:?}"
    );
    // 250 Pods in pages of 20: 13 pages; one page for each other type.
    assert!(summary.pages >= 13 + 2, "{summary:?}");
    assert_eq!(summary.pages, Counters::get(&standin.counters().pages));
    assert_eq!(Counters::get(&standin.counters().largest_limit), 20);
}

#[test]
fn secrets_are_read_as_metadata_only() {
    let (standin, cluster, _dir) = connect(StandinConfig::new(objects(1)), |_| {});
    let secret = cluster
        .read(Arc::new(ReadProgress::default()))
        .find(|r| r.kind == "Secret")
        .unwrap();
    assert_eq!(
        (secret.api_version.as_str(), secret.name.as_str()),
        ("v1", "db")
    );
    assert!(secret.root.get("data").is_none() && secret.root.get("type").is_none());
    assert_eq!(Counters::get(&standin.counters().metadata_pages), 1);
}

#[test]
fn an_expired_continue_token_restarts_the_list_without_repeating_objects() {
    let mut config = StandinConfig::new(objects(100));
    config.expire_continue_tokens = 2;
    let (standin, cluster, _dir) = connect(config, |o| o.page_size = 15);
    let (names, summary) = read_names(&cluster);
    let (expected, _) =
        read_names(&connect(StandinConfig::new(objects(100)), |o| o.page_size = 15).1);
    assert_eq!(names, expected);
    assert_eq!(summary.restarts, 2);
    assert_eq!(Counters::get(&standin.counters().gone), 2);
    assert!(summary.errors.is_empty(), "{summary:?}");
}

#[test]
fn a_forbidden_type_is_a_warning_and_the_rest_is_read() {
    let mut config = StandinConfig::new(objects(10));
    config.forbidden = vec!["secrets".into()];
    let (_standin, cluster, _dir) = connect(config, |_| {});
    let (names, summary) = read_names(&cluster);
    assert_eq!(names.len(), 12);
    assert_eq!(summary.warnings.len(), 1);
    let warning = &summary.warnings[0];
    assert_eq!(
        (warning.resource.as_str(), warning.kind.as_str()),
        ("secrets", "Secret")
    );
    assert!(
        warning.reason.starts_with("403 Forbidden"),
        "{}",
        warning.reason
    );
    assert!(summary.errors.is_empty());
}

#[test]
fn namespaces_select_and_exclude_and_the_object_limit_stops_reading() {
    let (_s, cluster, _d) = connect(StandinConfig::new(objects(10)), |o| {
        o.namespaces = vec!["b".into()]
    });
    let (names, _) = read_names(&cluster);
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.contains(" b/") || n == "Namespace /b"),
        "{names:?}"
    );
    let (_s, cluster, _d) = connect(StandinConfig::new(objects(10)), |o| {
        o.exclude_namespaces = vec!["a".into()]
    });
    let (names, _) = read_names(&cluster);
    assert!(
        names
            .iter()
            .all(|n| !n.contains(" a/") && n != "Namespace /a"),
        "{names:?}"
    );
    let (_s, cluster, _d) = connect(StandinConfig::new(objects(100)), |o| {
        o.max_objects = 50;
        o.page_size = 10;
    });
    let (names, summary) = read_names(&cluster);
    assert!(names.len() <= 50, "{}", names.len());
    assert_eq!(summary.errors.len(), 1, "{summary:?}");
    assert!(summary.errors[0].contains("more than 50 objects (--max-objects)"));
}

fn node(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
}

#[test]
fn each_node_kubelet_configuration_is_read_as_an_object_named_after_it() {
    let mut config = StandinConfig::new(vec![node("node-a"), node("node-b")]);
    config.node_configz.insert(
        "node-b".into(),
        json!({"kubeletconfig": {"readOnlyPort": 10255, "authorization": {"mode": "AlwaysAllow"}}}),
    );
    let (_standin, cluster, _dir) = connect(config, |_| {});
    let mut stream = cluster.read(Arc::new(ReadProgress::default()));
    let mut configs: Vec<vigie_resource::Resource> = stream
        .by_ref()
        .filter(|r| r.kind == "KubeletConfiguration")
        .collect();
    let summary = stream.finish();
    assert!(
        summary.errors.is_empty() && summary.warnings.is_empty(),
        "{summary:?}"
    );
    assert_eq!(summary.kubelet_configs, 2);
    configs.sort_by(|a, b| a.name.cmp(&b.name));
    let port = |r: &vigie_resource::Resource| {
        r.root
            .get("readOnlyPort")
            .and_then(vigie_resource::Node::as_i64)
    };
    let names: Vec<&str> = configs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["node-a", "node-b"]);
    assert_eq!(configs[0].api_version, "kubelet.config.k8s.io/v1beta1");
    assert_eq!(
        (port(&configs[0]), port(&configs[1])),
        (Some(0), Some(10255))
    );
}

#[test]
fn a_refused_kubelet_configuration_is_one_warning_and_the_rest_is_read() {
    let mut config = StandinConfig::new(vec![node("node-a"), node("node-b")]);
    config.forbidden = vec!["nodes/proxy".into()];
    let (_standin, cluster, _dir) = connect(config, |_| {});
    let (names, summary) = read_names(&cluster);
    assert_eq!(names, ["Node /node-a", "Node /node-b"]);
    assert_eq!(summary.warnings.len(), 1, "{summary:?}");
    let warning = &summary.warnings[0];
    assert_eq!(
        (warning.resource.as_str(), warning.kind.as_str()),
        ("nodes/proxy", "KubeletConfiguration")
    );
    assert!(summary.errors.is_empty(), "{summary:?}");
}
