//! Generate rules (`data`, `clone`, `cloneList`) run by the suite runner, with
//! `generatedResource` compared as `kyverno test` compares it.

mod common;

use common::suite;
use vigie_policy::suite::{run_suite, Verdict};

#[test]
fn data_clone_and_clone_list_generate_the_expected_resources() {
    common::run_agreeing("generate", 4);
}

#[test]
fn a_generated_resource_that_differs_or_is_missing_fails_the_entry() {
    let report = run_suite(&suite("generate-wrong"));
    let verdicts: Vec<_> = report
        .entries
        .iter()
        .map(|e| (e.verdict.clone(), e.message.clone()))
        .collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0].0, Verdict::Disagree);
    common::assert_contains(&verdicts[0].1, "/spec/hard/pods: expected 10, actual 50");
    // No cloneSourceResource and no source among the resources: the rule errs,
    // naming what is missing.
    assert_eq!(verdicts[1].0, Verdict::Disagree);
    common::assert_contains(
        &verdicts[1].1,
        "clone source Secret platform/registry-login not found",
    );
}

#[test]
fn generate_runs_from_the_library() {
    let policies = vigie_policy::policies_from_str(
        r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: deny-all
      namespace: "{{request.object.metadata.name}}"
      data:
        spec: {podSelector: {}, policyTypes: [Ingress]}
"#,
        "test.yaml",
    );
    assert!(policies.errors.is_empty(), "{:?}", policies.errors);
    let target = vigie_policy::Target::from_json(serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}
    }));
    let out = vigie_policy::generate(
        &policies.policies,
        &target,
        &vigie_policy::Request::default(),
        &[],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].result.status, vigie_policy::Status::Pass);
    assert_eq!(
        out[0].resources,
        vec![serde_json::json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-all", "namespace": "web"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}
        })]
    );
}

#[test]
fn apply_reports_generate_results_and_hands_out_the_generated_objects() {
    let dir = common::suite_dir("generate");
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let outcome = vigie_policy::report::apply(
        &[path("policy.yaml")],
        &[path("resources.yaml"), path("source.yaml")],
        vigie_policy::Request::default(),
        &vigie_policy::report::ApplyOptions::default(),
    );
    assert!(
        outcome.input_errors.is_empty(),
        "{:?}",
        outcome.input_errors
    );
    let generated: Vec<String> = outcome
        .mutated
        .iter()
        .filter(|m| m.generated)
        .map(|m| {
            let t = |p: &str| m.object.pointer(p).and_then(|v| v.as_str()).unwrap_or("");
            format!(
                "{}/{}/{}",
                t("/kind"),
                t("/metadata/namespace"),
                t("/metadata/name")
            )
        })
        .collect();
    // shop gets all three; kube-extras (a system tier) no quota; the Secret and
    // ConfigMaps trigger nothing.
    assert_eq!(
        generated,
        [
            "ResourceQuota/shop/shop-quota",
            "Secret/shop/registry-login",
            "ConfigMap/shop/proxy-settings",
            "Secret/kube-extras/registry-login",
            "ConfigMap/kube-extras/proxy-settings",
        ]
    );
    assert_eq!(outcome.generated_resources, 5);
    assert_eq!(outcome.counts.pass, 5);
    assert_eq!(outcome.counts.skip, 1);
    let document = vigie_policy::report::mutated_document(&outcome.mutated[0]);
    assert!(
        document.starts_with("---\n# generated shop/ResourceQuota/shop-quota for Namespace/shop ("),
        "{document}"
    );
}

/// A ClusterPolicy whose generate rule has the given `foreach` entries.
fn foreach_policy(entries: &str) -> String {
    format!(
        "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: per-port}}
spec:
  rules:
  - name: r
    match: {{any: [{{resources: {{kinds: [Service]}}}}]}}
    generate:
      foreach:
{entries}"
    )
}

#[test]
fn generate_foreach_creates_a_resource_per_element() {
    let service = vigie_policy::Target::from_json(serde_json::json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"ports": [{"name": "http", "port": 80}, {"name": "metrics", "port": 9090}]}
    }));
    let config_map = |name: &str, port: u64, index: u64| {
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "shop"},
            // A value that is one whole variable keeps its type, as in Kyverno.
            "data": {"port": port, "index": index}})
    };
    let entry = |preconditions: &str| {
        format!(
            "      - list: request.object.spec.ports
{preconditions}        apiVersion: v1
        kind: ConfigMap
        name: 'web-{{{{element.name}}}}'
        namespace: '{{{{request.object.metadata.namespace}}}}'
        data:
          data:
            port: '{{{{element.port}}}}'
            index: '{{{{elementIndex}}}}'
"
        )
    };
    let cases = [
        (
            "every element",
            foreach_policy(&entry("")),
            vec![config_map("web-http", 80, 0), config_map("web-metrics", 9090, 1)],
        ),
        (
            "preconditions leave elements out",
            foreach_policy(&entry(
                "        preconditions:\n          all:\n          - {key: '{{element.port}}', operator: GreaterThan, value: 1024}\n",
            )),
            vec![config_map("web-metrics", 9090, 1)],
        ),
    ];
    for (why, text, want) in cases {
        let loaded = vigie_policy::policies_from_str(&text, "test.yaml");
        assert!(loaded.errors.is_empty(), "{why}: {:?}", loaded.errors);
        assert!(loaded.unsupported_rules.is_empty(), "{why}");
        let out = vigie_policy::generate(
            &loaded.policies,
            &service,
            &vigie_policy::Request::default(),
            &[],
        );
        assert_eq!(out.len(), 1, "{why}");
        assert_eq!(out[0].result.status, vigie_policy::Status::Pass, "{why}");
        assert_eq!(out[0].resources, want, "{why}");
    }
}
