use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::RuleWithOperations;
use serde_json::{json, Value};
use vigie_policy::{policies_from_str, Policy};

use super::*;
use crate::certs::CertBundle;

fn policies(text: &str) -> Vec<Policy> {
    let loaded = policies_from_str(text, "policies.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.policies
}

fn policy(name: &str, rule: &str) -> String {
    format!(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: {name}\nspec:\n  rules:\n{rule}---\n"
    )
}

/// (group, version, operations, resources) of each webhook rule, for comparing.
fn flat(rules: &[RuleWithOperations]) -> Vec<(String, String, String, String)> {
    rules
        .iter()
        .map(|r| {
            let join = |v: &Option<Vec<String>>| v.as_ref().unwrap().join(",");
            (
                join(&r.api_groups),
                join(&r.api_versions),
                join(&r.operations),
                join(&r.resources),
            )
        })
        .collect()
}

fn s(group: &str, version: &str, ops: &str, resources: &str) -> (String, String, String, String) {
    (group.into(), version.into(), ops.into(), resources.into())
}

const POD_RULE: &str = "    - name: labels
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: no
        pattern:
          metadata:
            labels:
              team: \"?*\"
";

#[test]
fn a_pod_rule_also_selects_the_pod_controllers_of_autogen() {
    let rules = webhook_rules(&policies(&policy("p", POD_RULE)), Webhook::Validating);
    assert_eq!(
        flat(&rules),
        [
            s("", "*", "CREATE,UPDATE", "pods,replicationcontrollers"),
            s(
                "apps",
                "*",
                "CREATE,UPDATE",
                "daemonsets,deployments,replicasets,statefulsets"
            ),
            s("batch", "*", "CREATE,UPDATE", "cronjobs,jobs"),
        ]
    );
    assert!(rules.iter().all(|r| r.scope.as_deref() == Some("*")));
    // No mutate rule: no mutating webhook.
    assert!(webhook_rules(&policies(&policy("p", POD_RULE)), Webhook::Mutating).is_empty());
}

#[test]
fn subresources_operations_groups_and_wildcards_come_from_the_match_blocks() {
    let rule = "    - name: r
      match:
        any:
          - resources:
              kinds: [Pod/exec]
              operations: [CONNECT]
          - resources:
              kinds: [networking.k8s.io/v1/Ingress, cert-manager.io/v1/Certificate, v1/ConfigMap]
              operations: [CREATE, DELETE]
          - resources:
              kinds: [\"apps/v1/*\", \"Deployment/scale\"]
      validate:
        message: no
        deny: {}
";
    let rules = webhook_rules(&policies(&policy("p", rule)), Webhook::Validating);
    assert_eq!(
        flat(&rules),
        [
            s("", "*", "CONNECT", "pods/exec"),
            s("", "v1", "CREATE,DELETE", "configmaps"),
            s("apps", "*", "CREATE,UPDATE", "deployments/scale"),
            s("apps", "v1", "CREATE,UPDATE", "*"),
            s("cert-manager.io", "v1", "CREATE,DELETE", "certificates"),
            s("networking.k8s.io", "v1", "CREATE,DELETE", "ingresses"),
        ]
    );
}

#[test]
fn mutate_rules_get_the_mutating_webhook_only() {
    let mutate = "    - name: add-label
      match:
        any:
          - resources:
              kinds: [Service]
      mutate:
        patchStrategicMerge:
          metadata:
            labels:
              owner: me
";
    let loaded = policies(&policy("m", mutate));
    assert_eq!(
        flat(&webhook_rules(&loaded, Webhook::Mutating)),
        [s("", "*", "CREATE,UPDATE", "services")]
    );
    assert!(webhook_rules(&loaded, Webhook::Validating).is_empty());
    let out = admission_manifests(&options(None), &loaded, &BTreeMap::new()).unwrap();
    let kinds: Vec<&str> = out
        .objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"MutatingWebhookConfiguration"));
    assert!(!kinds.contains(&"ValidatingWebhookConfiguration"));
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("no policy has a validate rule")));
}

fn options(certs: Option<CertBundle>) -> AdmissionOptions {
    AdmissionOptions {
        namespace: "guard".into(),
        replicas: 3,
        failure_policy: FailurePolicy::Ignore,
        timeout_seconds: 7,
        image: "registry.example/vigie:1.2.3".into(),
        certs,
    }
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_install_has_every_object_in_apply_order_with_its_settings() {
    let certs = CertBundle {
        ca_pem: "CA PEM\n".into(),
        cert_pem: "CERT PEM\n".into(),
        key_pem: "KEY PEM\n".into(),
    };
    let files = BTreeMap::from([("p.yaml".to_string(), policy("p", POD_RULE))]);
    let out = admission_manifests(
        &options(Some(certs)),
        &policies(&policy("p", POD_RULE)),
        &files,
    )
    .unwrap();
    let kinds: Vec<&str> = out
        .objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "Secret",
            "Deployment",
            "PodDisruptionBudget",
            "Service",
            "NetworkPolicy",
            "NetworkPolicy",
            "ValidatingWebhookConfiguration",
        ]
    );
    let webhook = &find(&out.objects, "ValidatingWebhookConfiguration")["webhooks"][0];
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(webhook["admissionReviewVersions"], json!(["v1"]));
    assert_eq!(webhook["failurePolicy"], "Ignore");
    assert_eq!(webhook["timeoutSeconds"], 7);
    // base64 of "CA PEM\n".
    assert_eq!(webhook["clientConfig"]["caBundle"], "Q0EgUEVNCg==");
    assert_eq!(
        webhook["clientConfig"]["service"],
        json!({"name": "vigie-admission", "namespace": "guard", "path": "/validate", "port": 443})
    );
    assert_eq!(
        webhook["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system", "guard"])
    );

    let deployment = find(&out.objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 3);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert!(pod["affinity"]["podAntiAffinity"].is_object());
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "registry.example/vigie:1.2.3");
    // The server's own budget is within the API server's timeoutSeconds (7 s).
    let args = container["args"].as_array().unwrap();
    assert!(args.iter().any(|a| a == "--watch-cluster"), "{args:?}");
    let timeout = args.iter().position(|a| a == "--timeout").unwrap();
    assert_eq!(args[timeout + 1], "5600ms");
    let hardening = &container["securityContext"];
    assert_eq!(hardening["readOnlyRootFilesystem"], true);
    assert_eq!(hardening["allowPrivilegeEscalation"], false);
    assert_eq!(hardening["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert!(container["resources"]["limits"]["memory"].is_string());
    assert!(container["resources"]["requests"]["cpu"].is_string());

    let service = find(&out.objects, "Service");
    assert_eq!(service["spec"]["ports"][0]["port"], 443);
    assert_eq!(
        find(&out.objects, "ConfigMap")["data"]["p.yaml"],
        json!(policy("p", POD_RULE))
    );
    assert_eq!(find(&out.objects, "Secret")["type"], "kubernetes.io/tls");
    // With the CA given, nothing is left to inject.
    assert!(out.notes.is_empty(), "{:?}", out.notes);
}

/// As Kyverno splits its webhooks: a policy's own `failurePolicy` and
/// `webhookTimeoutSeconds` get a webhook of their own, with the kinds of those
/// policies only; the others keep the install's defaults and the usual name.
#[test]
fn policies_with_their_own_failure_policy_or_timeout_get_their_own_webhook() {
    let deployments = POD_RULE.replace("kinds: [Pod]", "kinds: [Deployment]");
    let services = POD_RULE.replace("kinds: [Pod]", "kinds: [Service]");
    let text = format!(
        "{}{}{}",
        policy("plain", POD_RULE),
        policy("strict", &deployments).replace("spec:\n", "spec:\n  failurePolicy: Fail\n"),
        policy("quick", &services).replace(
            "spec:\n",
            "spec:\n  failurePolicy: Ignore\n  webhookTimeoutSeconds: 3\n"
        ),
    );
    let files = BTreeMap::from([("p.yaml".to_string(), text.clone())]);
    let out = admission_manifests(&options(None), &policies(&text), &files).unwrap();
    let webhooks = find(&out.objects, "ValidatingWebhookConfiguration")["webhooks"]
        .as_array()
        .unwrap()
        .clone();
    let summary: Vec<(String, String, i64, Vec<String>)> = webhooks
        .iter()
        .map(|w| {
            let mut resources: Vec<String> = w["rules"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r["resources"].as_array().unwrap().clone())
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            resources.sort();
            (
                w["name"].as_str().unwrap().to_string(),
                w["failurePolicy"].as_str().unwrap().to_string(),
                w["timeoutSeconds"].as_i64().unwrap(),
                resources,
            )
        })
        .collect();
    let has = |name: &str, policy: &str, timeout: i64, resource: &str| {
        summary.iter().any(|(n, p, t, r)| {
            n == name && p == policy && *t == timeout && r.iter().any(|x| x == resource)
        })
    };
    assert_eq!(summary.len(), 3, "{summary:?}");
    // The defaults of the options: Ignore, 7 s.
    assert!(
        has("validate.vigie-admission.vigie.dev", "Ignore", 7, "pods"),
        "{summary:?}"
    );
    assert!(
        has(
            "validate-fail.vigie-admission.vigie.dev",
            "Fail",
            7,
            "deployments"
        ),
        "{summary:?}"
    );
    assert!(
        has(
            "validate-ignore-3s.vigie-admission.vigie.dev",
            "Ignore",
            3,
            "services"
        ),
        "{summary:?}"
    );
    // A webhook is called only for its own policies' kinds.
    let strict = summary
        .iter()
        .find(|s| s.0.starts_with("validate-fail"))
        .unwrap();
    assert_eq!(strict.3, vec!["deployments".to_string()]);
}

#[test]
fn a_webhook_timeout_out_of_range_is_refused_naming_the_field() {
    let text = policy("slow", POD_RULE).replace("spec:\n", "spec:\n  webhookTimeoutSeconds: 31\n");
    let loaded = policies_from_str(&text, "policies.yaml");
    let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("spec.webhookTimeoutSeconds")),
        "{errors:?}"
    );
}

#[test]
fn without_certificates_the_webhooks_ask_cert_manager_for_the_ca() {
    let out = admission_manifests(
        &options(None),
        &policies(&policy("p", POD_RULE)),
        &BTreeMap::new(),
    )
    .unwrap();
    assert!(!out.objects.iter().any(|o| o["kind"] == "Secret"));
    let config = find(&out.objects, "ValidatingWebhookConfiguration");
    assert_eq!(
        config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "guard/vigie-admission"
    );
    assert!(config["webhooks"][0]["clientConfig"]
        .get("caBundle")
        .is_none());
    assert!(out.notes.iter().any(|n| n.contains("no --certs")));
}

#[test]
fn options_out_of_range_are_refused_with_the_flag_named() {
    let loaded = policies(&policy("p", POD_RULE));
    let files = BTreeMap::new();
    let mut one = options(None);
    one.replicas = 1;
    let e = admission_manifests(&one, &loaded, &files).unwrap_err();
    assert!(e.to_string().contains("--replicas 1"), "{e}");
    let mut slow = options(None);
    slow.timeout_seconds = 31;
    let e = admission_manifests(&slow, &loaded, &files).unwrap_err();
    assert!(e.to_string().contains("--timeout-seconds 31"), "{e}");
    let mut bad = options(None);
    bad.namespace = "Guard".into();
    let e = admission_manifests(&bad, &loaded, &files).unwrap_err();
    assert!(e.to_string().contains("invalid namespace `Guard`"), "{e}");
}

#[test]
fn the_yaml_stream_reads_back_as_the_same_objects() {
    let out = admission_manifests(
        &options(None),
        &policies(&policy("p", POD_RULE)),
        &BTreeMap::from([("p.yaml".to_string(), "a: 1\nb: \"x: y\"\n".to_string())]),
    )
    .unwrap();
    let text = crate::yaml::to_yaml(&out.objects);
    let documents = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(documents.len(), out.objects.len());
    let config_map = documents
        .iter()
        .find(|d| d["kind"].as_str() == Some("ConfigMap"))
        .unwrap();
    assert_eq!(
        config_map["data"]["p.yaml"].as_str(),
        Some("a: 1\nb: \"x: y\"\n")
    );
}
