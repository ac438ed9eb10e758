//! Following the API server stand-in: the copy handed over holds what the
//! bounds allow, and what they leave out is reported.

use std::sync::mpsc;
use std::time::Duration;

use api_standin::{Standin, StandinConfig};
use serde_json::json;
use vigie_cluster::{Cluster, ClusterOptions, FollowEvent};

#[test]
fn followed_objects_are_bounded_in_bytes_and_the_rest_reported() {
    let big = "x".repeat(10_000);
    let mut objects =
        vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})];
    for name in ["one", "two", "three"] {
        objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"}, "data": {"blob": big}}));
    }
    objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "ops"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "ops"}]}));
    let standin = Standin::start(StandinConfig::new(objects)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, standin.kubeconfig()).unwrap();
    // Room for two of the three ConfigMaps (10 KB each) and the small objects.
    let cluster = Cluster::connect(&ClusterOptions {
        kubeconfig: Some(path),
        max_followed_bytes: 25_000,
        ..ClusterOptions::default()
    })
    .unwrap();
    let (tx, rx) = mpsc::channel();
    let _handle = cluster.follow_namespaces_and_config_maps(move |event| {
        let _ = tx.send(event);
    });
    // The copy and the report of what was left out, in whichever order.
    let mut failures: Vec<String> = Vec::new();
    let mut copy = None;
    let reported = |failures: &[String]| failures.iter().any(|f| f.contains("left out"));
    while copy.is_none() || !reported(&failures) {
        match rx.recv_timeout(Duration::from_secs(30)).expect("an event") {
            FollowEvent::Changed(followed) => copy = Some(followed),
            FollowEvent::Failed(reason) => failures.push(reason),
        }
    }
    let followed = copy.unwrap();
    assert_eq!(followed.namespaces.len(), 1);
    assert_eq!(followed.config_maps.len(), 2, "{failures:?}");
    assert_eq!(followed.cluster_role_bindings.len(), 1);
    assert!(
        failures
            .iter()
            .any(|f| f.contains("1 ConfigMap(s) left out") && f.contains("25000 bytes")),
        "{failures:?}"
    );
}
