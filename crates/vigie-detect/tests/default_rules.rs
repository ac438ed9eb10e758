//! vigie's default audit rules on small audit events written for these tests.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use vigie_detect::k8s_audit::{AuditEvent, SOURCE};
use vigie_detect::rules::build_engine;
use vigie_rules::{Engine, EngineOptions, RuleMatching, Selection};

fn engine(selection: Selection) -> Engine {
    let options = EngineOptions {
        matching: RuleMatching::All,
        selection,
        ..Default::default()
    };
    build_engine(&[], true, &options).expect("default rules build")
}

/// An allowed, completed request by `user`.
fn request(user: &str, verb: &str, resource: &str, extra: Value) -> Value {
    let mut event = json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": "0f6e9a2c",
        "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/team-a/{resource}"),
        "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.1.2.3"],
        "objectRef": {"resource": resource, "namespace": "team-a", "name": "obj-1", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "stageTimestamp": "2024-03-04T05:06:07.000001Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    });
    merge(&mut event, extra);
    event
}

fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (base, extra) {
        for (k, v) in e {
            match b.get_mut(&k) {
                Some(existing @ Value::Object(_)) if v.is_object() => merge(existing, v),
                _ => {
                    b.insert(k, v);
                }
            }
        }
    }
}

fn fired(engine: &Engine, event: Value) -> Vec<String> {
    let event = AuditEvent::new(event);
    let mut out = Vec::new();
    engine.evaluate(engine.source(SOURCE).unwrap(), &event, |r| {
        out.push(r.name.clone())
    });
    out
}

fn pod(spec: Value) -> Value {
    json!({"requestObject": {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}})
}

#[test]
fn default_rules_compile_cleanly_with_descriptions_and_mitre_tags() {
    let e = engine(Selection::default());
    assert!(
        e.diagnostics().iter().all(|d| !d.is_error()),
        "{:?}",
        e.diagnostics()
    );
    assert!(e.rules().len() >= 14);
    for rule in e.rules() {
        assert!(!rule.desc.trim().is_empty(), "{}", rule.name);
        assert!(
            rule.tags.iter().any(|t| t.starts_with("mitre_")),
            "{}",
            rule.name
        );
        assert!(
            rule.tags.iter().any(|t| t.starts_with('T')),
            "{}",
            rule.name
        );
    }
}

#[test]
fn exec_attach_and_port_forward() {
    let e = engine(Selection::default());
    let exec = request(
        "dev@example.com",
        "create",
        "pods",
        json!({"stage": "ResponseStarted", "objectRef": {"subresource": "exec"}, "responseStatus": {"code": 101},
               "requestURI": "/api/v1/namespaces/team-a/pods/web-1/exec?command=sh&container=web&stdin=true"}),
    );
    assert_eq!(
        fired(&e, exec.clone()),
        ["Vigie K8s Exec Or Attach Into Pod"]
    );
    // The same request's completion is not reported twice.
    let mut done = exec;
    done["stage"] = json!("ResponseComplete");
    assert!(fired(&e, done).is_empty());
    let pf = request(
        "dev",
        "create",
        "pods",
        json!({"stage": "ResponseStarted", "objectRef": {"subresource": "portforward"}}),
    );
    assert_eq!(fired(&e, pf), ["Vigie K8s Port Forward To Pod"]);
}

#[test]
fn risky_pods() {
    let e = engine(Selection::default());
    let privileged = pod(json!({"containers": [
        {"name": "a", "image": "nginx:1.25"},
        {"name": "b", "image": "busybox", "securityContext": {"privileged": true}}]}));
    assert_eq!(
        fired(&e, request("dev", "create", "pods", privileged)),
        ["Vigie K8s Privileged Container Requested"]
    );
    let host = pod(json!({"hostPID": true, "containers": [{"name": "a", "image": "nginx"}]}));
    assert_eq!(
        fired(&e, request("dev", "create", "pods", host)),
        ["Vigie K8s Pod Shares Host Namespaces"]
    );
    let mount = pod(json!({"containers": [{"name": "a", "image": "nginx"}],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}));
    assert_eq!(
        fired(&e, request("dev", "create", "pods", mount)),
        ["Vigie K8s Sensitive Host Path Mounted"]
    );
    let harmless = pod(json!({"containers": [{"name": "a", "image": "nginx"}],
        "volumes": [{"name": "logs", "hostPath": {"path": "/var/log/app"}}, {"name": "e", "hostPath": {"path": "/etcetera"}}]}));
    assert!(fired(&e, request("dev", "create", "pods", harmless)).is_empty());
    // A denied request did not happen.
    let mut denied = request(
        "dev",
        "create",
        "pods",
        pod(json!({"hostNetwork": true, "containers": []})),
    );
    denied["annotations"]["authorization.k8s.io/decision"] = json!("forbid");
    assert!(fired(&e, denied).is_empty());
}

#[test]
fn rbac_changes() {
    let e = engine(Selection::default());
    let binding = json!({"requestObject": {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "name": "mallory"}]}});
    assert_eq!(
        fired(&e, request("dev", "create", "clusterrolebindings", binding)),
        ["Vigie K8s Binding To Cluster Admin"]
    );
    let wildcard = json!({"requestObject": {"rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}});
    assert_eq!(
        fired(&e, request("dev", "create", "clusterroles", wildcard)),
        ["Vigie K8s Role With Wildcard Permissions"]
    );
    let escalate = json!({"requestObject": {"rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}});
    assert_eq!(
        fired(&e, request("dev", "create", "roles", escalate)),
        ["Vigie K8s Role Grants Escalation Permissions"]
    );
    let reader = json!({"requestObject": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}});
    assert!(fired(&e, request("dev", "create", "roles", reader)).is_empty());
}

#[test]
fn identities_secrets_services_configmaps() {
    let e = engine(Selection::default());
    let anon = request(
        "system:anonymous",
        "get",
        "pods",
        json!({"user": {"groups": ["system:unauthenticated"]}}),
    );
    assert_eq!(fired(&e, anon), ["Vigie K8s Anonymous Request Allowed"]);
    let health = request(
        "system:anonymous",
        "get",
        "pods",
        json!({"requestURI": "/healthz"}),
    );
    assert!(fired(&e, health).is_empty());
    assert_eq!(
        fired(&e, request("dev", "get", "secrets", json!({}))),
        ["Vigie K8s Secret Read By Unexpected Identity"]
    );
    assert!(fired(
        &e,
        request("system:node:worker-1", "get", "secrets", json!({}))
    )
    .is_empty());
    let nodeport = json!({"requestObject": {"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}}});
    assert_eq!(
        fired(&e, request("dev", "create", "services", nodeport)),
        ["Vigie K8s NodePort Service Exposed"]
    );
    let creds =
        json!({"requestObject": {"metadata": {"name": "cfg"}, "data": {"DB_PASSWORD": "hunter2"}}});
    assert_eq!(
        fired(&e, request("dev", "create", "configmaps", creds)),
        ["Vigie K8s ConfigMap Holds Credentials"]
    );
    let plain =
        json!({"requestObject": {"metadata": {"name": "cfg"}, "data": {"LOG_LEVEL": "debug"}}});
    assert!(fired(&e, request("dev", "create", "configmaps", plain)).is_empty());
}

#[test]
fn debug_containers_deletions_and_unexpected_users() {
    let e = engine(Selection::default());
    let debug = json!({"objectRef": {"subresource": "ephemeralcontainers"},
        "requestObject": {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox"}]}}});
    assert_eq!(
        fired(&e, request("dev", "patch", "pods", debug)),
        ["Vigie K8s Ephemeral Debug Container Added"]
    );
    assert_eq!(
        fired(&e, request("dev", "delete", "networkpolicies", json!({}))),
        ["Vigie K8s Audit-Relevant Object Deleted"]
    );
    assert!(fired(
        &e,
        request(
            "system:kube-controller-manager",
            "delete",
            "roles",
            json!({})
        )
    )
    .is_empty());
    // Disabled by default; enabled on request.
    let get_pods = request("stranger", "get", "pods", json!({}));
    assert!(fired(&e, get_pods.clone()).is_empty());
    let enabled = engine(Selection {
        enable_names: vec!["Vigie K8s Request From Unexpected*".into()],
        ..Default::default()
    });
    assert_eq!(
        fired(&enabled, get_pods),
        ["Vigie K8s Request From Unexpected User"]
    );
}
