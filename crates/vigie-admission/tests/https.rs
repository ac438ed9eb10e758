//! The webhook over real HTTPS on loopback: verdicts, bad bodies, the server's
//! limits at the admission routes, and policy reloads.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use vigie_admission::{load_set, AdmissionMetrics, ClusterData, ClusterView, PolicyStore, Webhook};
use vigie_server::{Deadline, Limits};

use common::https::serve;
use common::{assert_warned, pod, pod_create, review, team_policy, webhook};

#[test]
fn allowed_denied_and_audited_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "{}---\n{}",
        team_policy("Enforce", ""),
        team_policy("Audit", "  emitWarning: true")
            .replace("name: require-team", "name: audit-owner")
            .replace("team: \"?*\"", "owner: \"?*\"")
    );
    let webhook = webhook(&yaml);
    let served = serve(&webhook, Limits::default(), dir.path());
    let good = review(
        "CREATE",
        Some(&pod("a", "shop", json!({"team": "x", "owner": "y"}))),
        None,
    );
    let reply = served.post("/validate", good.to_string().as_bytes());
    assert_eq!(reply.code, 200);
    let answer = reply.json();
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(answer["kind"], "AdmissionReview");
    assert_eq!(answer["response"]["allowed"], true);
    assert_eq!(answer["response"]["uid"], good["request"]["uid"]);

    let audited = review(
        "CREATE",
        Some(&pod("b", "shop", json!({"team": "x"}))),
        None,
    );
    let answer = served
        .post("/validate", audited.to_string().as_bytes())
        .json();
    assert_warned(&answer["response"], "audit-owner");

    let bad = review("CREATE", Some(&pod("c", "shop", json!({}))), None);
    let answer = served.post("/validate", bad.to_string().as_bytes()).json();
    assert_eq!(answer["response"]["allowed"], false);
    assert_eq!(answer["response"]["status"]["code"], 403);

    // No mutate rule: allowed, no patch.
    let answer = served.post("/mutate", bad.to_string().as_bytes()).json();
    assert_eq!(answer["response"]["allowed"], true);
    assert!(answer["response"].get("patch").is_none());

    let metrics = served.get("/metrics").body;
    assert!(metrics.contains("vigie_admission_requests_total{path=\"/validate\",operation=\"CREATE\",kind=\"Pod\",verdict=\"denied\"} 1"), "{metrics}");
    assert!(metrics.contains("vigie_admission_policy_results_total{policy=\"audit-owner\",rule=\"team-label\",result=\"fail\"} 2"), "{metrics}");
}

#[test]
fn bad_bodies_get_400_or_a_400_review_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let webhook = webhook(&team_policy("Enforce", ""));
    let served = serve(&webhook, Limits::default(), dir.path());
    let reply = served.post("/validate", b"{\"apiVersion\": \"admission.k8s.io/v1\",");
    assert_eq!(reply.code, 400);
    assert!(
        reply.body.contains("not JSON: line 1, column 37"),
        "{}",
        reply.body
    );

    // A good review with one edit, posted to /validate.
    let post_edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut body = pod_create("a", "shop", json!({}));
        edit(&mut body);
        served.post("/validate", body.to_string().as_bytes())
    };
    let reply = post_edited(&|body| body["apiVersion"] = json!("admission.k8s.io/v1beta1"));
    assert_eq!(reply.code, 400);
    assert!(
        reply.body.contains("only admission.k8s.io/v1 is"),
        "{}",
        reply.body
    );

    let reply = post_edited(&|body| {
        body["request"].as_object_mut().unwrap().remove("uid");
    });
    assert_eq!(reply.code, 400);
    assert!(
        reply.body.contains("request.uid is missing"),
        "{}",
        reply.body
    );

    let reply = post_edited(&|body| body["request"]["object"] = json!(42));
    assert_eq!(reply.code, 200);
    let answer = reply.json();
    assert_eq!(answer["response"]["allowed"], false);
    assert_eq!(answer["response"]["status"]["code"], 400);

    for reason in ["not_json", "api_version", "missing_uid", "object_shape"] {
        assert_eq!(webhook.metrics.decode_errors(reason), 1, "{reason}");
    }
    // Still serving.
    let good = review(
        "CREATE",
        Some(&pod("a", "shop", json!({"team": "x"}))),
        None,
    );
    assert_eq!(
        served.post("/validate", good.to_string().as_bytes()).json()["response"]["allowed"],
        true
    );
}

#[test]
fn a_50_mb_body_gets_413_and_the_refusal_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let webhook = webhook(&team_policy("Enforce", ""));
    let served = serve(&webhook, Limits::default(), dir.path());
    let mut tls = served.connect();
    let size = 50 << 20;
    let head =
        format!("POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: {size}\r\n\r\n");
    tls.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    // The server may answer and close before all of it is sent.
    for _ in 0..50 {
        if tls.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = tls.flush();
    let reply = common::https::read_reply(&mut tls);
    assert_eq!(reply.code, 413);
    assert!(reply.body.contains("the limit is"), "{}", reply.body);
    assert_eq!(webhook.metrics.decode_errors("too_large"), 1);
}

#[test]
fn a_slow_loris_client_does_not_block_others() {
    let dir = tempfile::tempdir().unwrap();
    let webhook = webhook(&team_policy("Enforce", ""));
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let served = serve(&webhook, limits, dir.path());
    // Several clients that complete the handshake and then send a byte now and then.
    let mut slow: Vec<_> = (0..8).map(|_| served.connect()).collect();
    for s in &mut slow {
        s.write_all(b"P").unwrap();
    }
    // Meanwhile every ordinary request is answered.
    let good = review(
        "CREATE",
        Some(&pod("a", "shop", json!({"team": "x"}))),
        None,
    );
    for _ in 0..20 {
        let answer = served.post("/validate", good.to_string().as_bytes()).json();
        assert_eq!(answer["response"]["allowed"], true);
    }
    // The trickling clients are cut by the header deadline, not served.
    for s in &mut slow {
        let cut = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            s.write_all(b"O").and_then(|_| s.flush()).is_err()
        });
        assert!(cut, "a slow client was not cut");
    }
    assert!(served.metrics().timeouts(Deadline::Header) >= 8);
}

#[test]
fn reload_serves_the_new_set_and_keeps_the_old_one_when_broken() {
    // The watcher polls; a file rewritten in place can be seen half written
    // (each half a distinct broken version). Swap whole files, as a mounted
    // ConfigMap's update does.
    fn replace(file: &std::path::Path, content: &str) {
        let next = file.with_extension("next");
        std::fs::write(&next, content).unwrap();
        std::fs::rename(&next, file).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.yaml");
    std::fs::write(&file, team_policy("Enforce", "")).unwrap();
    let paths = vec![file.display().to_string()];
    let metrics = Arc::new(AdmissionMetrics::default());
    let (set, _) = load_set(&paths, 1 << 20, 1).unwrap();
    let store = Arc::new(PolicyStore::new(paths, 1 << 20, set, metrics.clone()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = stop.clone();
    store.watch(Duration::from_millis(50), move || {
        watching.load(std::sync::atomic::Ordering::Relaxed)
    });
    let webhook = Arc::new(Webhook {
        store: store.clone(),
        cluster: Arc::new(ClusterView::fixed(ClusterData::default())),
        metrics: metrics.clone(),
        timeout: Duration::from_secs(8),
        reports: None,
    });
    let served = serve(&webhook, Limits::default(), dir.path());
    let body = review("CREATE", Some(&pod("a", "shop", json!({}))), None).to_string();
    assert_eq!(
        served.post("/validate", body.as_bytes()).json()["response"]["allowed"],
        false
    );

    // Audit now: the next request, once the change is seen, is allowed.
    replace(&file, &team_policy("Audit", ""));
    let generation = |g| {
        (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            store.current().generation() == g
        })
    };
    assert!(generation(2), "the change was not picked up");
    assert_eq!(
        served.post("/validate", body.as_bytes()).json()["response"]["allowed"],
        true
    );

    // A broken file is refused; generation 2 keeps serving.
    replace(
        &file,
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: x\nspec:\n  rules: 3\n",
    );
    let refused = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        metrics.reloads_failed() == 1
    });
    assert!(refused, "the broken file was not refused");
    assert_eq!(store.current().generation(), 2);
    assert_eq!(
        served.post("/validate", body.as_bytes()).json()["response"]["allowed"],
        true
    );
    let text = served.get("/metrics").body;
    assert!(
        text.contains("vigie_admission_policy_reloads_total{result=\"failed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("vigie_admission_policy_generation 2"),
        "{text}"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}
