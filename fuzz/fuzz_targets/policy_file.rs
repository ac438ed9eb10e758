//! Untrusted policy text through the policy engine: loading every kind vigie
//! reads (ClusterPolicy and Policy with patterns, JMESPath, foreach and
//! mutations; the CEL kinds, whose expressions are parsed, checked, costed and
//! run with Kyverno's and Kubernetes' libraries), then validation, mutation
//! and generation of the policies loaded on a Pod and a Deployment, on create
//! and on update. Nothing may panic, overflow the stack or run away.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value as Json};
use vigie_policy::{
    evaluate, generate, mutate, policies_from_str, Operation, Request, Target,
};

/// The resources every loaded policy runs on.
fn targets() -> &'static [Target] {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                         "annotations": {"team": "a"}},
            "spec": {
                "hostNetwork": false,
                "securityContext": null,
                "containers": [
                    {"name": "web", "image": "registry.example/web:1.2",
                     "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}},
                     "ports": [{"containerPort": 80, "hostPort": 8080}],
                     "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}}},
                    {"name": "side", "image": "busybox", "securityContext": {}}
                ],
                "volumes": [{"name": "h", "hostPath": {"path": "/var"}}]
            }
        });
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"replicas": 3, "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "api:latest"}]}}}
        });
        vec![Target::from_json(pod), Target::from_json(deployment)]
    })
}

/// A create, and an update whose old object differs from the new one.
fn requests() -> &'static [Request] {
    static REQUESTS: OnceLock<Vec<Request>> = OnceLock::new();
    REQUESTS.get_or_init(|| {
        let update = Request {
            operation: Operation::Update,
            old_object: Some(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"containers": [{"name": "web", "image": "web:1.1"}]}})),
            ..Request::default()
        };
        vec![Request::default(), update]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = policies_from_str(text, "fuzz.yaml");
    for error in &loaded.errors {
        assert!(!error.to_string().is_empty());
    }
    let sources: [Json; 0] = [];
    for target in targets() {
        for request in requests() {
            for policy in &loaded.policies {
                let _ = evaluate(policy, target, request);
            }
            let _ = mutate(&loaded.policies, target, request);
            let _ = generate(&loaded.policies, target, request, &sources);
        }
    }
});
