//! `vigie admission serve` as users run it: the binary on a loopback port, curl as
//! the client, SIGTERM to stop.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, write};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The admission tests' own requests and policy, so that both crates test the
/// same ones.
#[path = "../../vigie-admission/tests/common/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

/// The team policy, enforced.
fn policy() -> String {
    fixtures::team_policy("Enforce", "")
}

/// The same policy, whose failures are only reported.
fn audit_policy() -> String {
    fixtures::team_policy("Audit", "")
}

/// A CREATE review of Pod shop/web with these labels (a JSON object).
fn review(labels: &str) -> serde_json::Value {
    let labels = serde_json::from_str(labels).expect("labels are JSON");
    fixtures::review("CREATE", Some(&fixtures::pod("web", "shop", labels)), None)
}

fn write_certs(dir: &Path) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), cert.key_pair.serialize_pem()).unwrap();
}

/// A directory with the server's self-signed certificate, for tests that talk
/// to it with curl (which they need).
fn certs_dir() -> tempfile::TempDir {
    if Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is needed by this test (scripts/setup installs what tests need)");
    }
    let dir = tempfile::tempdir().unwrap();
    write_certs(dir.path());
    dir
}

/// `vigie admission serve` on a free loopback port, for the policy file of
/// `dir` and the certificate `cert` with its `key`.
fn serve(dir: &Path, cert: &Path, key: &Path) -> Command {
    let mut cmd = common::vigie();
    cmd.args(["admission", "serve", "--listen", "127.0.0.1:0"])
        .arg("--policies")
        .arg(dir.join("policy.yaml"))
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key);
    cmd
}

/// Starts the server reading the cluster of `kubeconfig` (`--watch-cluster`),
/// with the `extra` arguments.
fn watch_cluster(dir: &Path, kubeconfig: &str, extra: &[&str]) -> (Child, String) {
    let args = ["--watch-cluster", "--kubeconfig", kubeconfig];
    start(dir, &[&args[..], extra].concat())
}

/// Starts the server and returns it with its https address, read from its log.
fn start(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = serve(dir, &dir.join("tls.crt"), &dir.join("tls.key"))
        .args(["--shutdown-delay", "100ms"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server said where it listens")
            .unwrap();
        if let Some(rest) = line.split("on https://").nth(1) {
            break rest.split(':').take(2).collect::<Vec<_>>().join(":");
        }
    };
    // Keep reading the log so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

fn curl(dir: &Path, url: &str, body: Option<&str>) -> Option<(u16, String)> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
        .arg(dir.join("tls.crt"))
        .arg("--resolve")
        .arg(format!(
            "localhost:{}:127.0.0.1",
            url.split(':').nth(2)?.split('/').next()?
        ))
        .arg(url.replace("127.0.0.1", "localhost"));
    if let Some(body) = body {
        cmd.args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ]);
    }
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n')?;
    Some((code.trim().parse().ok()?, body.to_string()))
}

/// The AdmissionReview answered to `review` at `url`, which must answer 200,
/// and the body as text.
fn validate(dir: &Path, url: &str, review: &str) -> (serde_json::Value, String) {
    let (code, body) = curl(dir, url, Some(review)).unwrap();
    assert_eq!(code, 200, "{body}");
    (serde_json::from_str(&body).unwrap(), body)
}

#[test]
fn serve_answers_curl_over_https_and_stops_cleanly_on_sigterm() {
    let dir = certs_dir();
    write(dir.path(), "policy.yaml", policy());
    let (mut child, address) = start(dir.path(), &[]);
    let url = |path: &str| format!("https://{address}{path}");

    let (answer, _) = validate(dir.path(), &url("/validate"), &review("{}").to_string());
    assert_eq!(answer["response"]["uid"], review("{}")["request"]["uid"]);
    assert_eq!(answer["response"]["allowed"], false);
    assert!(answer["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .contains("resource Pod/shop/web was blocked due to the following policies"));

    let (_, body) = curl(
        dir.path(),
        &url("/validate"),
        Some(&review(r#"{"team":"a"}"#).to_string()),
    )
    .unwrap();
    assert_contains(&body, r#""allowed":true"#);

    let (code, body) = curl(dir.path(), &url("/validate"), Some("{oops")).unwrap();
    assert_eq!(code, 400, "{body}");
    assert_contains(&body, "not JSON: line 1, column 2");

    assert_eq!(curl(dir.path(), &url("/readyz"), None).unwrap().0, 200);
    let (_, metrics) = curl(dir.path(), &url("/metrics"), None).unwrap();
    assert_contains(&metrics, "vigie_admission_policies_loaded 1");
    assert_contains(
        &metrics,
        "vigie_admission_decode_errors_total{reason=\"not_json\"} 1",
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn a_policy_that_does_not_load_stops_the_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write_certs(dir.path());
    write(
        dir.path(),
        "policy.yaml",
        policy().replace(
            "  validationFailureAction: Enforce",
            "  validationFailureAction: Sometimes",
        ),
    );
    let out = serve(
        dir.path(),
        &dir.path().join("tls.crt"),
        &dir.path().join("tls.key"),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The policy text opens with a blank line: the action is on line 7.
    assert_contains(&stderr, "policy.yaml:7");
    assert_contains(&stderr, "unknown failure action");
}

#[test]
fn a_missing_certificate_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policy.yaml", policy());
    let missing = Path::new("/nonexistent");
    let out = serve(
        dir.path(),
        &missing.join("tls.crt"),
        &missing.join("tls.key"),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_contains(&stderr, "/nonexistent/tls.crt");
}

/// `--watch-cluster`: the namespace labels a `namespaceSelector` reads come from
/// the cluster (the API server stand-in), not from files; without them the rule
/// would not match and the Pod would be allowed. The user's cluster roles come
/// from the cluster's ClusterRoleBindings: bob's group is bound to
/// cluster-admin, which the rule excludes.
#[test]
fn watch_cluster_reads_namespace_labels_and_role_bindings_from_the_cluster() {
    use api_standin::{Standin, StandinConfig};
    let dir = certs_dir();
    write(
        dir.path(),
        "policy.yaml",
        r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: prod-needs-team
spec:
  validationFailureAction: Enforce
  rules:
  - name: team-label
    match:
      any:
      - resources:
          kinds: [Pod]
          namespaceSelector:
            matchLabels: {tier: prod}
    exclude:
      any:
      - clusterRoles: [cluster-admin]
    validate:
      message: "prod pods need a team"
      pattern:
        metadata:
          labels:
            team: "?*"
"#,
    );
    let objects_file = dir.path().join("objects.yaml");
    std::fs::write(
        &objects_file,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {tier: prod}}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
         subjects: [{kind: Group, name: ops}]\n",
    )
    .unwrap();
    let objects = api_standin::load_objects(&[objects_file.display().to_string()]).unwrap();
    let standin = Standin::start(StandinConfig::new(objects)).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig()).unwrap();
    let (mut child, address) = watch_cluster(dir.path(), kubeconfig.to_str().unwrap(), &[]);
    let url = |path: &str| format!("https://{address}{path}");

    let (answer, body) = validate(dir.path(), &url("/validate"), &review("{}").to_string());
    assert_eq!(answer["response"]["allowed"], false, "{body}");
    assert_contains(&body, "prod pods need a team");
    let mut as_ops = review("{}");
    as_ops["request"]["userInfo"] = serde_json::json!({"username": "bob", "groups": ["ops"]});
    let as_ops = as_ops.to_string();
    let (answer, body) = validate(dir.path(), &url("/validate"), &as_ops);
    assert_eq!(answer["response"]["allowed"], true, "{body}");

    let (_, metrics) = curl(dir.path(), &url("/metrics"), None).unwrap();
    assert_contains(&metrics, "vigie_admission_cluster_data_synced 1");
    stop_with_sigterm(&mut child);
}

fn stop_with_sigterm(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// Files and the cluster are two sources of the same data: not both.
#[test]
fn watch_cluster_and_files_are_exclusive() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "admission",
            "serve",
            "--policies",
            "p.yaml",
            "--tls-cert",
            "c",
            "--tls-key",
            "k",
            "--watch-cluster",
            "--namespaces",
            "ns.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// Starts the API server stand-in with a Namespace `shop` and the custom
/// resource types `extra_types`, and writes a kubeconfig for it.
fn standin_with_shop(
    dir: &Path,
    extra_types: Vec<api_standin::ResourceType>,
) -> (api_standin::Standin, String) {
    use api_standin::{Standin, StandinConfig};
    let objects = vec![serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}
    })];
    let mut config = StandinConfig::new(objects);
    config.extra_types = extra_types;
    let standin = Standin::start(config).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig()).unwrap();
    (standin, kubeconfig.display().to_string())
}

/// Waits (up to 30 s, for a loaded machine) until `done` holds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..300 {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// `--watch-cluster`: the audit results reach the cluster as an openreports
/// Report named `vigie-admission` in the request's namespace, written while the
/// server runs (every --report-interval), not only when it stops.
#[test]
fn watch_cluster_writes_audit_reports_to_the_cluster() {
    let dir = certs_dir();
    write(dir.path(), "policy.yaml", audit_policy());
    let (standin, kubeconfig) =
        standin_with_shop(dir.path(), api_standin::StandinConfig::report_types());
    let (mut child, address) =
        watch_cluster(dir.path(), &kubeconfig, &["--report-interval", "200ms"]);
    let url = format!("https://{address}/validate");
    let (answer, body) = validate(dir.path(), &url, &review("{}").to_string());
    assert_eq!(answer["response"]["allowed"], true, "audit only: {body}");

    let report = || standin.object("reports.openreports.io", Some("shop"), "vigie-admission");
    assert!(
        eventually(|| report().is_some()),
        "no report written: {:?}",
        standin.names("reports.openreports.io")
    );
    let report = report().unwrap();
    assert_eq!(report["summary"]["fail"], 1, "{report}");
    assert_eq!(report["results"][0]["policy"], "require-team", "{report}");
    assert_eq!(report["results"][0]["rule"], "team-label", "{report}");
    assert_eq!(report["results"][0]["result"], "fail", "{report}");
    assert_eq!(
        report["metadata"]["labels"]["reports.vigie.dev/writer"], "vigie-admission",
        "{report}"
    );
    let (_, metrics) = curl(dir.path(), &format!("https://{address}/metrics"), None).unwrap();
    assert_contains(
        &metrics,
        r#"vigie_admission_report_writes_total{sink="cluster",result="ok"}"#,
    );
    stop_with_sigterm(&mut child);
}

/// A cluster that does not serve the report types: writing fails, which is a
/// log line and a metric; requests are still answered and the server stops cleanly.
#[test]
fn cluster_report_write_failures_are_counted_not_fatal() {
    let dir = certs_dir();
    write(dir.path(), "policy.yaml", audit_policy());
    let (_standin, kubeconfig) = standin_with_shop(dir.path(), Vec::new());
    let (mut child, address) =
        watch_cluster(dir.path(), &kubeconfig, &["--report-interval", "200ms"]);
    let validate_url = format!("https://{address}/validate");
    let metrics_url = format!("https://{address}/metrics");
    validate(dir.path(), &validate_url, &review("{}").to_string());
    let failed = r#"vigie_admission_report_writes_total{sink="cluster",result="error"}"#;
    assert!(eventually(
        || curl(dir.path(), &metrics_url, None).is_some_and(|(_, m)| m.contains(failed))
    ));
    validate(dir.path(), &validate_url, &review("{}").to_string());
    stop_with_sigterm(&mut child);
}

/// `--watch-cluster`: ClusterPolicy objects of the cluster join the files'
/// policies; creating one changes the verdicts, deleting it changes them back.
#[test]
fn watch_cluster_serves_the_cluster_policy_objects_with_the_files() {
    let dir = certs_dir();
    // The file's policy only audits: alone, it never denies.
    let renamed = audit_policy().replace("require-team", "audit-team");
    write(dir.path(), "policy.yaml", renamed);
    let (standin, kubeconfig) = standin_with_shop(
        dir.path(),
        api_standin::StandinConfig::kyverno_policy_types(),
    );
    let (mut child, address) = watch_cluster(dir.path(), &kubeconfig, &["--no-cluster-reports"]);
    let allowed = || {
        let (code, body) = curl(
            dir.path(),
            &format!("https://{address}/validate"),
            Some(&review("{}").to_string()),
        )
        .unwrap();
        assert_eq!(code, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        answer["response"]["allowed"] == true
    };
    assert!(allowed());
    let policies = format!("{}/apis/kyverno.io/v1/clusterpolicies", standin.url());
    let policy = serde_json::json!({
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "require-team"},
        "spec": {"validationFailureAction": "Enforce", "rules": [{
            "name": "team-label",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "the label team is required",
                         "pattern": {"metadata": {"labels": {"team": "?*"}}}}
        }]}
    });
    let created = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args(["-H", "Content-Type: application/json", "--data-binary"])
        .arg(policy.to_string())
        .arg(&policies)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&created.stdout), "201");
    assert!(
        eventually(|| !allowed()),
        "the cluster's policy never served"
    );
    let deleted = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "DELETE",
        ])
        .arg(format!("{policies}/require-team"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&deleted.stdout), "200");
    assert!(eventually(allowed), "the deleted policy still served");
    stop_with_sigterm(&mut child);
}
