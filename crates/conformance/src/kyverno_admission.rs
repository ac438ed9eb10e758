//! The `kyverno-admission` suite: every result entry of the Kyverno test suites
//! that `vigie policy test` runs (agreeing or not), asked of the admission webhook
//! over HTTPS. For each entry, the webhook serves the entry's policy alone and
//! gets an AdmissionReview (CREATE) of the entry's resource; the answer must be:
//! pass -> not blocked by the rule; fail under Enforce -> denied, the rule named
//! in the message; fail under Audit -> allowed and the failure counted for the
//! reports; skip -> not blocked; error -> by the policy's failurePolicy; a
//! mutate rule -> the JSON Patch of `/mutate`, applied to the object, gives the
//! engine's mutated object (which the `kyverno` suite compares with the suite's
//! patchedResources; the entry counts only when that comparison agrees too).
//!
//! Entries the admission request cannot express are counted apart (neither
//! passed nor failed): offline values other than namespace labels (values files
//! stand for cluster lookups), and roles or cluster roles from a user-info file
//! (the API server sends neither; Kyverno looks them up in RBAC).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value as Json};
use vigie_admission::{
    AdmissionMetrics, ClusterData, ClusterView, Endpoint, PolicySet, PolicyStore, Webhook,
};
use vigie_policy::suite::{find_suites, run_suite, suite_inputs, TestInputs, Verdict};
use vigie_policy::RuleAction;
use vigie_policy::{FailureAction, FailurePolicy, Policy, Target};
use vigie_server::{
    Handler, Limits, Method, Request, Response, Routes, Server, ServerConfig, ServerTlsConfig,
    Shutdown, StatusCode,
};

use crate::Tally;

/// The reply reader of the webhook's own HTTPS tests: one way of reading a reply.
#[path = "../../vigie-admission/tests/common/http_reply.rs"]
mod http_reply;

/// Routes an endpoint to whichever webhook the run has put in place.
struct Current(Arc<Mutex<Arc<Webhook>>>, Endpoint);

impl Handler for Current {
    fn handle(&self, request: Request) -> Response {
        let webhook = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match webhook.answer(self.1, &request.body) {
            Ok(r) => Response::json(StatusCode::OK, r.to_bytes()),
            Err(e) => Response::text(StatusCode::BAD_REQUEST, e.to_string()),
        }
    }
}

fn webhook(policy: Option<&Policy>, inputs: Option<&TestInputs>) -> Arc<Webhook> {
    let metrics = Arc::new(AdmissionMetrics::default());
    let set = PolicySet::new(policy.into_iter().cloned().collect(), 1);
    let cluster = match inputs {
        Some(i) => ClusterData {
            namespace_labels: i.request.values.namespace_labels.clone(),
            config_maps: i.request.config_maps.clone(),
            ..ClusterData::default()
        },
        None => ClusterData::default(),
    };
    Arc::new(Webhook {
        store: Arc::new(PolicyStore::new(Vec::new(), 0, set, metrics.clone())),
        cluster: Arc::new(ClusterView::fixed(cluster)),
        metrics,
        timeout: Duration::from_secs(8),
        reports: None,
    })
}

/// An HTTPS client of the in-process server.
struct Client {
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
}

impl Client {
    fn post(&self, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
        let tcp = TcpStream::connect(self.addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
        let conn = rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(std::io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        // One write: one TLS record, no wait for an acknowledgement in between.
        let mut message = head.into_bytes();
        message.extend_from_slice(body);
        tls.write_all(&message)?;
        tls.flush()?;
        http_reply::read_reply(&mut tls)
    }
}

fn start(
    dir: &Path,
    current: Arc<Mutex<Arc<Webhook>>>,
) -> (Client, Shutdown, std::thread::JoinHandle<()>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a certificate");
    std::fs::create_dir_all(dir).expect("a temporary directory");
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).expect("writing tls.crt");
    std::fs::write(dir.join("tls.key"), cert.key_pair.serialize_pem()).expect("writing tls.key");
    let server = Server::bind(ServerConfig {
        listen: "127.0.0.1:0".into(),
        tls: Some(ServerTlsConfig {
            cert_file: dir.join("tls.crt"),
            key_file: dir.join("tls.key"),
            client_ca_file: None,
        }),
        limits: Limits::default(),
    })
    .expect("binding a loopback port");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .expect("the test CA");
    let config = rustls::ClientConfig::builder_with_provider(vigie_server::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Client {
        addr: server.local_addr(),
        config: Arc::new(config),
    };
    let routes = Routes::new()
        .route(
            Method::POST,
            "/validate",
            Current(current.clone(), Endpoint::Validate),
        )
        .route(Method::POST, "/mutate", Current(current, Endpoint::Mutate));
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    let thread = std::thread::spawn(move || {
        let _ = server.serve(routes, stop);
    });
    (client, shutdown, thread)
}

fn review(target: &Target, inputs: &TestInputs) -> Json {
    let (group, version) = target
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &target.api_version));
    let user = &inputs.request.user;
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "conformance",
            "kind": {"group": group, "version": version, "kind": target.kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", target.kind.to_lowercase())},
            "name": target.name,
            "namespace": target.namespace,
            "operation": "CREATE",
            "userInfo": {"username": user.username, "groups": user.groups},
            "object": target.object,
            "dryRun": false
        }
    })
}

/// Why the entry cannot be asked of the webhook, if it cannot.
fn not_expressible(inputs: &TestInputs) -> Option<&'static str> {
    let values = &inputs.request.values;
    if inputs.has_values
        && !(values.global.is_empty() && values.rules.is_empty() && values.resources.is_empty())
    {
        return Some("offline values");
    }
    let user = &inputs.request.user;
    if !user.roles.is_empty() || !user.cluster_roles.is_empty() {
        return Some("roles from a user-info file");
    }
    None
}

/// Whether the entry's rule is a generate rule.
fn is_generate_rule(policy: &Policy, rule: &str) -> bool {
    policy
        .rules
        .iter()
        .any(|r| rule_names(rule).contains(&r.name) && matches!(r.action, RuleAction::Generate(_)))
}

/// Whether the entry's rule (or its autogen copies) is a mutate rule.
fn is_mutate_rule(policy: &Policy, rule: &str) -> bool {
    policy
        .rules
        .iter()
        .any(|r| rule_names(rule).contains(&r.name) && matches!(r.action, RuleAction::Mutate(_)))
}

/// The object with the response's JSON Patch applied (unchanged without a patch).
fn apply_patch(object: &Json, response: &Json) -> Result<Json, String> {
    use base64::Engine as _;
    let Some(encoded) = response["patch"].as_str() else {
        return Ok(object.clone());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| e.to_string())?;
    let ops: Vec<Json> = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    vigie_policy::apply_json_patch(object.clone(), &ops).map_err(|e| e.to_string())
}

fn rule_names(rule: &str) -> [String; 3] {
    [
        rule.to_string(),
        format!("autogen-{rule}"),
        format!("autogen-cronjob-{rule}"),
    ]
}

/// The action and failure policy of the rule, as the webhook will apply them.
fn action_of(policy: &Policy, rule: &str, namespace: &str, inputs: &TestInputs) -> FailureAction {
    let own = policy
        .rules
        .iter()
        .find(|r| rule_names(rule).contains(&r.name))
        .and_then(|r| match &r.action {
            RuleAction::Validate(v) => v.failure_action,
            _ => None,
        });
    let labels = inputs.request.values.namespace_labels.get(namespace);
    policy
        .admission
        .overrides_of(rule)
        .iter()
        .find(|o| o.applies(namespace, labels))
        .map_or(own.unwrap_or(policy.failure_action), |o| o.action)
}

pub fn run(dir: &Path) -> Tally {
    let tmp = std::env::temp_dir().join(format!(
        "vigie-conformance-admission-{}",
        std::process::id()
    ));
    let current = Arc::new(Mutex::new(webhook(None, None)));
    let (client, shutdown, thread) = start(&tmp, current.clone());
    let mut tally = Tally::default();
    let mut apart: BTreeMap<&str, usize> = BTreeMap::new();
    let mut asked: BTreeMap<String, usize> = BTreeMap::new();
    for suite in find_suites(&[dir.to_path_buf()]) {
        let report = run_suite(&suite);
        let inputs = suite_inputs(&suite, vigie_resource::Limits::DEFAULT_MAX_FILE_BYTES);
        for entry in &report.entries {
            if !matches!(entry.verdict, Verdict::Agree | Verdict::Disagree) {
                continue;
            }
            let policy_name = entry.policy.rsplit('/').next().unwrap_or(&entry.policy);
            let (ns, name) = match entry.resource.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (None, entry.resource.as_str()),
            };
            let found = inputs.iter().find_map(|i| {
                let policy = i.loaded.policies.iter().find(|p| p.name == policy_name)?;
                let target = i.targets.iter().find(|t| {
                    t.name == name
                        && (entry.kind.is_empty() || t.kind == entry.kind)
                        && ns.is_none_or(|ns| {
                            ns == t.namespace || (t.namespace.is_empty() && ns == "default")
                        })
                })?;
                Some((i, policy, target))
            });
            let Some((inputs, policy, target)) = found else {
                *apart.entry("resource or policy not found").or_default() += 1;
                continue;
            };
            if let Some(reason) = not_expressible(inputs).or_else(|| {
                // The webhook creates nothing and reads no PolicyException yet.
                if is_generate_rule(policy, &entry.rule) {
                    Some("generate rules")
                } else if !inputs.exceptions.is_empty() {
                    Some("policy exceptions")
                } else {
                    None
                }
            }) {
                *apart.entry(reason).or_default() += 1;
                continue;
            }
            // Entries of the CEL kinds name no rule: the policy's one rule.
            let rule_name = if entry.rule.is_empty() {
                policy
                    .rules
                    .first()
                    .map(|r| r.name.clone())
                    .unwrap_or_default()
            } else {
                entry.rule.clone()
            };
            let served = webhook(Some(policy), Some(inputs));
            *current.lock().unwrap_or_else(|e| e.into_inner()) = served.clone();
            let body = review(target, inputs).to_string();
            if is_mutate_rule(policy, &rule_name) {
                // The patch the webhook answers, applied to the request's object,
                // must give the engine's mutated object, which the `kyverno`
                // suite compares with patchedResources (its verdict counts too).
                let engine = vigie_policy::mutate(&[policy], target, &inputs.request).object;
                let applied = client
                    .post("/mutate", body.as_bytes())
                    .ok()
                    .and_then(|(_, text)| serde_json::from_str::<Json>(&text).ok())
                    .map(|answer| apply_patch(&target.object, &answer["response"]));
                let same = applied.as_ref().is_some_and(|a| a.as_ref() == Ok(&engine));
                *asked.entry("a mutation (JSONPatch)".into()).or_default() += 1;
                if same && entry.verdict == Verdict::Agree {
                    tally.passed += 1;
                } else {
                    tally.failed += 1;
                    println!(
                        "DISAGREE {}: {}/{} {} {}: the patch applied {} the engine's object (vigie policy test: {:?})",
                        suite.display(),
                        entry.policy,
                        entry.rule,
                        entry.kind,
                        entry.resource,
                        if same { "gives" } else { "does not give" },
                        entry.verdict
                    );
                }
                continue;
            }
            let (code, text) = match client.post("/validate", body.as_bytes()) {
                Ok(reply) => reply,
                Err(e) => (0, e.to_string()),
            };
            let answer: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
            let response = &answer["response"];
            let allowed = response["allowed"].as_bool();
            let message = response["status"]["message"].as_str().unwrap_or_default();
            let names = rule_names(&rule_name);
            let blocked_by_rule = names
                .iter()
                .any(|r| message.contains(&format!("\n  {r}: '")));
            let counted = |status: &str| {
                names
                    .iter()
                    .any(|r| served.metrics.results(&entry.policy, r, status) > 0)
            };
            let action = action_of(policy, &rule_name, &target.namespace, inputs);
            let (ok, wanted) = match entry.expected.as_str() {
                "pass" | "skip" | "warn" => (
                    allowed.is_some() && !blocked_by_rule,
                    "not blocked by the rule",
                ),
                "fail" if action == FailureAction::Enforce => (
                    allowed == Some(false) && blocked_by_rule,
                    "denied naming the rule",
                ),
                "fail" => (
                    allowed == Some(true) && counted("fail"),
                    "allowed, failure reported",
                ),
                "error"
                    if action == FailureAction::Enforce
                        && policy.admission.failure_policy == FailurePolicy::Fail =>
                {
                    (
                        allowed == Some(false) && blocked_by_rule,
                        "denied by failurePolicy Fail",
                    )
                }
                "error" => (allowed == Some(true), "allowed by the failure policy"),
                _ => (false, "a known result"),
            };
            let shape = match entry.expected.as_str() {
                "fail" | "error" => format!("{} under {action:?}", entry.expected),
                other => other.to_string(),
            };
            *asked.entry(shape).or_default() += 1;
            if ok {
                tally.passed += 1;
            } else {
                tally.failed += 1;
                let summary = match allowed {
                    Some(true) => "allowed".to_string(),
                    Some(false) => format!("denied: {}", message.trim().replace('\n', " | ")),
                    None => format!("HTTP {code}: {text}"),
                };
                println!(
                    "DISAGREE {}: {}/{} {} {}: expected {} ({wanted}), webhook {summary}",
                    suite.display(),
                    entry.policy,
                    entry.rule,
                    entry.kind,
                    entry.resource,
                    entry.expected
                );
            }
        }
    }
    shutdown.trigger();
    let _ = thread.join();
    let _ = std::fs::remove_dir_all(&tmp);
    for (shape, n) in &asked {
        println!("asked of the webhook: {n} entries expecting {shape}");
    }
    for (reason, n) in &apart {
        println!("not asked of the webhook: {n} entries ({reason})");
    }
    tally
}
