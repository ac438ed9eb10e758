//! The scan's two entry points, files and resources from any source, say the
//! same; and the scan names the controls a kind feeds.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use vigie_controls::{Framework, Scan, ScanConfig};
use vigie_resource::{load_text, Limits, LoadOptions};

const OBJECTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data: {password: aHVudGVyMg==}
";

fn settings() -> ScanConfig {
    ScanConfig {
        frameworks: Framework::ALL.to_vec(),
        ..ScanConfig::default()
    }
}

#[test]
fn resources_scan_as_the_files_they_came_from() {
    let dir = tempfile_dir();
    let path = dir.join("objects.yaml");
    std::fs::write(&path, OBJECTS).unwrap();
    let settings = settings();
    let scan = Scan::new(&settings);
    let mut from_files = Vec::new();
    let files = scan.run(
        &[path.display().to_string()],
        &LoadOptions::default(),
        |_, findings| findings,
        |batch| from_files.extend(batch),
    );
    let loaded = load_text(OBJECTS, &path.display().to_string(), &Limits::default());
    let mut from_resources = Vec::new();
    let resources = scan.run_resources(
        loaded.resources.into_iter(),
        |_, findings| findings,
        |batch| from_resources.extend(batch),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!from_files.is_empty());
    assert_eq!(from_files, from_resources);
    assert_eq!(files.totals, resources.totals);
    assert_eq!(files.controls, resources.controls);
    assert_eq!(files.frameworks, resources.frameworks);
    assert_eq!(files.resources, resources.resources);
}

#[test]
fn the_controls_a_kind_feeds_are_named() {
    let settings = settings();
    let scan = Scan::new(&settings);
    let deployment = scan.controls_reading("apps/v1", "Deployment");
    assert!(
        deployment.iter().any(|id| id.starts_with("PSS-")),
        "{deployment:?}"
    );
    let secret = scan.controls_reading("v1", "Secret");
    assert!(secret.contains(&"VG-S005"), "{secret:?}");
    assert!(
        !secret.iter().any(|id| id.starts_with("PSS-")),
        "{secret:?}"
    );
    let bindings = scan.controls_reading("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
    assert!(
        !bindings.is_empty(),
        "cross-object RBAC controls need bindings"
    );
    assert!(scan.controls_reading("example.com/v1", "Widget").is_empty());
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie-scan-resources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
