//! `vigie install`'s opt-in kubelet configuration role: present only when
//! asked, granting `get` on `nodes/proxy` and nothing else, with its reason and
//! risk written on it; the install still passes vigie's own restricted scan.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use vigie_controls::{scan, ScanConfig};
use vigie_deploy::install::{
    install_manifests, Component, InstallOptions, DESCRIPTION_ANNOTATION, KUBELET_CONFIG_RISK,
    SCANNER, SCANNER_KUBELET_CONFIG,
};
use vigie_deploy::yaml::to_yaml;

fn options(components: &[Component], scanner_kubelet_config: bool) -> InstallOptions {
    InstallOptions {
        components: components.to_vec(),
        namespace: "vigie".into(),
        image: "registry.example/vigie@sha256:1111111111111111111111111111111111111111111111111111111111111111".into(),
        sensor_image: "registry.example/vigie-sensor@sha256:2222222222222222222222222222222222222222222222222222222222222222".into(),
        service_monitors: false,
        scanner_kubelet_config,
    }
}

fn objects(options: &InstallOptions) -> Vec<Value> {
    install_manifests(options, None).unwrap().objects
}

fn named<'a>(objects: &'a [Value], kind: &str, name: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .collect()
}

/// Every rule of every ClusterRole of the install that names `resource`.
fn rules_naming<'a>(objects: &'a [Value], resource: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRole")
        .flat_map(|o| o["rules"].as_array().unwrap())
        .filter(|r| {
            r["resources"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(|x| x == resource))
        })
        .collect()
}

#[test]
fn without_the_flag_no_role_reaches_the_kubelets() {
    let objects = objects(&options(&[Component::Scanner, Component::Sensor], false));
    assert!(named(&objects, "ClusterRole", SCANNER_KUBELET_CONFIG).is_empty());
    assert!(named(&objects, "ClusterRoleBinding", SCANNER_KUBELET_CONFIG).is_empty());
    assert!(rules_naming(&objects, "nodes/proxy").is_empty());
    // The scanner's own role reads everything with list and watch, which do not
    // include get on nodes/proxy.
    let role = named(&objects, "ClusterRole", SCANNER)[0];
    for rule in role["rules"].as_array().unwrap() {
        if rule["resources"] == serde_json::json!(["*"]) {
            assert_eq!(rule["verbs"], serde_json::json!(["list", "watch"]));
        }
    }
}

#[test]
fn with_the_flag_a_role_of_its_own_grants_get_on_nodes_proxy_and_nothing_else() {
    let objects = objects(&options(&[Component::Scanner, Component::Sensor], true));
    let roles = named(&objects, "ClusterRole", SCANNER_KUBELET_CONFIG);
    assert_eq!(roles.len(), 1);
    let role = roles[0];
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}])
    );
    assert_eq!(
        role["metadata"]["annotations"][DESCRIPTION_ANNOTATION],
        KUBELET_CONFIG_RISK
    );
    let risk = KUBELET_CONFIG_RISK;
    assert!(risk.contains("configz") && risk.contains("exec"), "{risk}");
    // No other role gains nodes/proxy.
    assert_eq!(rules_naming(&objects, "nodes/proxy").len(), 1);

    let bindings = named(&objects, "ClusterRoleBinding", SCANNER_KUBELET_CONFIG);
    assert_eq!(bindings.len(), 1);
    let binding = bindings[0];
    assert_eq!(binding["roleRef"]["name"], SCANNER_KUBELET_CONFIG);
    assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": SCANNER, "namespace": "vigie"}])
    );
    assert_eq!(
        binding["metadata"]["annotations"][DESCRIPTION_ANNOTATION],
        KUBELET_CONFIG_RISK
    );

    // The rest of the install is the default's, the two objects aside, and
    // they come right after the scanner's own binding.
    let default = self::objects(&options(&[Component::Scanner, Component::Sensor], false));
    let without: Vec<&Value> = objects
        .iter()
        .filter(|o| o["metadata"]["name"] != SCANNER_KUBELET_CONFIG)
        .collect();
    assert_eq!(without, default.iter().collect::<Vec<_>>());
    let position = |kind: &str, name: &str| {
        objects
            .iter()
            .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap()
    };
    assert_eq!(
        position("ClusterRole", SCANNER_KUBELET_CONFIG),
        position("ClusterRoleBinding", SCANNER) + 1
    );
}

#[test]
fn the_flag_without_the_scanner_is_refused() {
    let error = install_manifests(&options(&[Component::Sensor], true), None).unwrap_err();
    assert!(
        error.to_string().contains("--scanner-kubelet-config"),
        "{error}"
    );
}

#[test]
fn with_the_flag_the_install_still_passes_the_restricted_scan() {
    for flag in [false, true] {
        let objects = objects(&options(&[Component::Scanner, Component::Sensor], flag));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("install.yaml");
        std::fs::write(&path, to_yaml(&objects)).unwrap();
        // `ScanConfig::default()` is `vigie scan --level restricted`.
        let report = scan(
            &[path.display().to_string()],
            &Default::default(),
            &ScanConfig::default(),
        );
        assert_eq!(report.errors, Vec::new(), "flag {flag}");
        assert_eq!(report.resources.len(), objects.len(), "flag {flag}");
        assert_eq!(report.totals.active.total(), 0, "flag {flag}: {report:?}");
        // The sensor's declared exceptions are all the findings there are.
        assert!(!report.findings.is_empty());
        assert!(report
            .findings
            .iter()
            .all(|f| f.exception.is_some() && f.resource.name == "vigie-sensor"));
    }
}
