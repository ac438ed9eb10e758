//! The continuous scan's copy of the cluster, fed by watches of the stand-in.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

mod common;

use api_standin::{Standin, StandinConfig};
use common::connect;
use serde_json::json;
use vigie_cluster::Inventory;

fn send(standin: &Standin, method: &str, path: &str, body: &str) -> u16 {
    let json = "Content-Type: application/json\r\n";
    standin.exchange(method, path, json, body).unwrap().0
}

/// Waits for `condition`, checking as the inventory changes; fails after a
/// minute (a guard against a hung test, not a measure of speed).
fn wait_for(inventory: &Inventory, what: &str, condition: impl Fn(&Inventory) -> bool) {
    for _ in 0..6000 {
        if condition(inventory) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never happened: {what}");
}

fn names(inventory: &Inventory) -> Vec<String> {
    let mut resources = inventory.resources();
    let mut names: Vec<String> = resources
        .by_ref()
        .map(|r| {
            format!(
                "{} {}/{}",
                r.kind,
                r.namespace.clone().unwrap_or_default(),
                r.name
            )
        })
        .collect();
    assert!(
        resources.problems().is_empty(),
        "{:?}",
        resources.problems()
    );
    names.sort();
    names
}

#[test]
fn the_copy_follows_creations_and_deletions_and_keeps_secrets_as_metadata() {
    let mut config = StandinConfig::new(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "a"}, "data": {"password": "c2VjcmV0"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    ]);
    config.extra_types = StandinConfig::report_types();
    config.forbidden = vec!["configmaps".into()];
    let (standin, cluster, _dir) = connect(config, |o| o.page_size = 1);
    let inventory = cluster.inventory();
    wait_for(&inventory, "listed", Inventory::ready);
    assert_eq!(
        names(&inventory),
        ["Namespace /a", "Pod a/p1", "Secret a/db"]
    );
    let resources: Vec<_> = inventory.resources().collect();
    let secret = resources.iter().find(|r| r.kind == "Secret").unwrap();
    assert!(secret.root.get("data").is_none(), "metadata only");
    assert!(
        secret.origin.cluster.is_some(),
        "objects name their cluster identity"
    );
    let stats = inventory.stats();
    assert_eq!(stats.forbidden.len(), 1, "{stats:?}");
    assert!(stats
        .objects_by_kind
        .contains(&("v1".to_string(), "Pod".to_string(), 1)));
    assert!(!stats
        .objects_by_kind
        .iter()
        .any(|(g, _, _)| g.starts_with("openreports")));

    let generation = inventory.generation();
    let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p2","namespace":"a"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}"#;
    assert_eq!(
        send(&standin, "POST", "/api/v1/namespaces/a/pods", pod),
        201
    );
    wait_for(&inventory, "p2 seen", |i| {
        names(i).contains(&"Pod a/p2".to_string())
    });
    assert!(inventory.generation() > generation);
    let resources: Vec<_> = inventory.resources().collect();
    let p2 = resources.iter().find(|r| r.name == "p2").unwrap();
    assert!(p2.root.to_json().contains("privileged"));

    assert_eq!(
        send(&standin, "DELETE", "/api/v1/namespaces/a/pods/p1", ""),
        200
    );
    wait_for(&inventory, "p1 gone", |i| {
        !names(i).contains(&"Pod a/p1".to_string())
    });
    let mut out = String::new();
    inventory.stats().render(&mut out);
    assert!(
        out.contains("vigie_inventory_objects{api_version=\"v1\",kind=\"Pod\"} 1"),
        "{out}"
    );
    assert!(
        out.contains("vigie_inventory_forbidden{resource=\"configmaps\"} 1"),
        "{out}"
    );
    assert!(
        out.contains("vigie_inventory_staleness_seconds{resource=\"pods\"}"),
        "{out}"
    );
}

/// Each object of the copy as `kind namespace/name resourceVersion`, sorted.
fn versions(inventory: &Inventory) -> Vec<String> {
    let mut versions: Vec<String> = inventory
        .resources()
        .map(|r| {
            let version = r.origin.cluster.as_ref().unwrap().resource_version.clone();
            let namespace = r.namespace.clone().unwrap_or_default();
            format!("{} {namespace}/{} {version}", r.kind, r.name)
        })
        .collect();
    versions.sort();
    versions
}

/// The same of the stand-in's objects of `types` (`(resource, kind)`).
fn served_versions(standin: &Standin, types: &[(&str, &str)]) -> Vec<String> {
    let mut versions = Vec::new();
    for (resource, kind) in types {
        for name in standin.names(resource) {
            let (namespace, short) = name.split_once('/').unwrap_or(("", &name));
            let object = standin
                .object(
                    resource,
                    (!namespace.is_empty()).then_some(namespace),
                    short,
                )
                .unwrap();
            let version = object["metadata"]["resourceVersion"].as_str().unwrap();
            versions.push(format!("{kind} {namespace}/{short} {version}"));
        }
    }
    versions.sort();
    versions
}

#[test]
fn a_watch_whose_version_expired_lists_again_and_the_copy_ends_equal_to_the_server() {
    let pod = |name: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let (standin, cluster, _dir) = connect(
        StandinConfig::new(vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
            pod("p1"),
            pod("p2"),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1", "namespace": "a"}, "data": {"k": "v"}}),
        ]),
        |_| {},
    );
    let inventory = cluster.inventory();
    wait_for(&inventory, "listed", Inventory::ready);
    let types = [
        ("namespaces", "Namespace"),
        ("pods", "Pod"),
        ("configmaps", "ConfigMap"),
    ];
    assert_eq!(versions(&inventory), served_versions(&standin, &types));
    let relists = inventory.stats().relists;

    // A partition: the watches end and cannot resume; meanwhile objects are
    // created, changed and deleted, and the server compacts its history.
    standin.hold_watches();
    let privileged = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"a"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}"#;
    assert_eq!(
        send(&standin, "PUT", "/api/v1/namespaces/a/pods/p1", privileged),
        200
    );
    assert_eq!(
        send(&standin, "DELETE", "/api/v1/namespaces/a/pods/p2", ""),
        200
    );
    let p3 = pod("p3").to_string();
    assert_eq!(
        send(&standin, "POST", "/api/v1/namespaces/a/pods", &p3),
        201
    );
    let c2 = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c2","namespace":"a"}}"#;
    assert_eq!(
        send(&standin, "POST", "/api/v1/namespaces/a/configmaps", c2),
        201
    );
    standin.compact();
    let gone = api_standin::Counters::get(&standin.counters().gone);
    standin.release_watches();

    let expected = served_versions(&standin, &types);
    wait_for(&inventory, "the copy equal to the server", |i| {
        versions(i) == expected
    });
    assert!(
        inventory.stats().relists > relists,
        "{:?}",
        inventory.stats()
    );
    assert!(
        api_standin::Counters::get(&standin.counters().gone) > gone,
        "the watches resumed from an expired version"
    );
    let resources: Vec<_> = inventory.resources().collect();
    let p1 = resources.iter().find(|r| r.name == "p1").unwrap();
    assert!(p1.root.to_json().contains("privileged"));
}

#[test]
fn the_copy_holds_each_node_kubelet_configuration() {
    let node = |name: &str| json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}});
    let mut config = StandinConfig::new(vec![node("node-a"), node("node-b")]);
    config.node_configz.insert(
        "node-b".into(),
        json!({"kubeletconfig": {"readOnlyPort": 10255}}),
    );
    let (_standin, cluster, _dir) = connect(config, |_| {});
    let inventory = cluster.inventory();
    wait_for(&inventory, "listed", Inventory::ready);
    assert_eq!(
        names(&inventory),
        [
            "KubeletConfiguration /node-a",
            "KubeletConfiguration /node-b",
            "Node /node-a",
            "Node /node-b"
        ]
    );
    let resources: Vec<_> = inventory.resources().collect();
    let b = resources
        .iter()
        .find(|r| r.kind == "KubeletConfiguration" && r.name == "node-b")
        .unwrap();
    assert_eq!(
        b.root
            .get("readOnlyPort")
            .and_then(vigie_resource::Node::as_i64),
        Some(10255)
    );
    assert_eq!(b.api_version, "kubelet.config.k8s.io/v1beta1");
}

#[test]
fn chosen_kinds_are_followed_custom_resources_included() {
    let mut config = StandinConfig::new(vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}}),
    ]);
    config.extra_types = api_standin::StandinConfig::kyverno_policy_types();
    let (standin, cluster, _dir) = connect(config, |_| {});
    let inventory =
        cluster.inventory_of(&[("kyverno.io", "ClusterPolicy"), ("kyverno.io", "Policy")]);
    wait_for(&inventory, "listed", Inventory::ready);
    assert!(names(&inventory).is_empty(), "only the kinds asked for");
    let policy = r#"{"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"require-team"},"spec":{"rules":[]}}"#;
    assert_eq!(
        send(
            &standin,
            "POST",
            "/apis/kyverno.io/v1/clusterpolicies",
            policy
        ),
        201
    );
    wait_for(&inventory, "the policy seen", |i| {
        names(i) == ["ClusterPolicy /require-team"]
    });
    assert_eq!(
        send(
            &standin,
            "DELETE",
            "/apis/kyverno.io/v1/clusterpolicies/require-team",
            ""
        ),
        200
    );
    wait_for(&inventory, "the policy gone", |i| names(i).is_empty());
}
