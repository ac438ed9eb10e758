//! `vigie scan --cluster` and `vigie cluster snapshot` against the API server
//! stand-in: the same findings and scores as scanning the same objects from
//! files, warnings for forbidden types, lists started again on 410, and a
//! snapshot that scans offline to the same result.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, assert_exit, items, json_report, run, stderr, write};

use std::path::{Path, PathBuf};
use std::process::Output;

use api_standin::{Counters, Standin, StandinConfig};
use serde_json::Value;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

/// A stand-in serving the objects of `paths`, and a kubeconfig that reaches it.
struct Served {
    standin: Standin,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

fn serve(paths: &[String], adjust: impl FnOnce(&mut StandinConfig)) -> Served {
    let objects = api_standin::load_objects(paths).expect("the fixture loads");
    let mut config = StandinConfig::new(objects);
    adjust(&mut config);
    let standin = Standin::start(config).expect("the stand-in starts");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig()).unwrap();
    Served {
        standin,
        kubeconfig,
        _dir: dir,
    }
}

/// The corpus `corpus-gen` writes under `dir`: `objects` objects in `files`
/// files. Returns its folder.
fn generated_corpus(dir: &Path, objects: usize, files: usize) -> String {
    let corpus = dir.join("corpus").display().to_string();
    corpus_gen::run(vec![objects.to_string(), files.to_string(), corpus.clone()]).unwrap();
    corpus
}

fn scan_cluster(served: &Served, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "--cluster", "--kubeconfig", arg(&served.kubeconfig)];
    args.extend_from_slice(extra);
    run(&args)
}

/// A report with locations taken out and lists sorted: what must not depend
/// on where the objects were read from, nor in which order they came.
/// `except` names controls left out (with the scores of frameworks that hold them).
fn comparable(report: &Value, except: &[&str]) -> Value {
    let mut report = report.clone();
    let keep = |id: &Value| !except.iter().any(|e| id == e);
    let mut findings: Vec<Value> = items(&report["findings"])
        .filter(|f| keep(&f["controlId"]))
        .cloned()
        .map(|mut f| {
            f.as_object_mut().unwrap().remove("location");
            f
        })
        .collect();
    findings.sort_by_key(|f| f.to_string());
    report["findings"] = Value::Array(findings);
    let mut resources: Vec<Value> = items(&report["resources"])
        .cloned()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("location");
            let controls: Vec<Value> = items(&r["controls"]).filter(|c| keep(c)).cloned().collect();
            r["controls"] = Value::Array(controls);
            r
        })
        .collect();
    resources.sort_by_key(|r| r.to_string());
    report["resources"] = Value::Array(resources);
    let controls: Vec<Value> = items(&report["controls"])
        .filter(|c| keep(&c["id"]))
        .cloned()
        .collect();
    report["controls"] = Value::Array(controls);
    let frameworks: Vec<Value> = items(&report["frameworks"])
        .cloned()
        .map(|mut f| {
            if items(&f["controls"]).any(|c| !keep(c)) {
                f.as_object_mut().unwrap().remove("score");
            }
            f
        })
        .collect();
    report["frameworks"] = Value::Array(frameworks);
    if !except.is_empty() {
        report.as_object_mut().unwrap().remove("summary");
    }
    report
}

/// `vigie scan` of `dir` and of the cluster `served` stands in for, both with
/// `options` (the cluster scan also with `cluster_only`): fails unless both end
/// with the same exit status, and returns their JSON reports.
fn scan_files_and_cluster(
    served: &Served,
    dir: &str,
    cluster_only: &[&str],
    options: &[&str],
) -> (Value, Value) {
    let from_files = run(&[&["scan", dir], options].concat());
    let from_cluster = scan_cluster(served, &[cluster_only, options].concat());
    assert_eq!(
        from_files.status.code(),
        from_cluster.status.code(),
        "{dir}: {}",
        stderr(&from_cluster)
    );
    (json_report(&from_files), json_report(&from_cluster))
}

/// Scans `dir` from files and through the stand-in with the same options, and
/// checks that both say the same. Returns the cluster scan's report.
fn assert_same_as_files(dir: &str, options: &[&str], except: &[&str]) -> Value {
    let served = serve(&[dir.to_string()], |_| {});
    let options = [&["-o", "json"], options].concat();
    let (files, cluster) = scan_files_and_cluster(&served, dir, &["--page-size", "50"], &options);
    assert_eq!(
        files["resources"].as_array().unwrap().len(),
        cluster["resources"].as_array().unwrap().len(),
        "{dir}: every object is scanned"
    );
    let (a, b) = (comparable(&files, except), comparable(&cluster, except));
    if a != b {
        for key in ["findings", "resources", "controls", "frameworks", "summary"] {
            assert_eq!(a[key], b[key], "{dir}: {key} differ");
        }
    }
    assert!(Counters::get(&served.standin.counters().pages) > 0);
    cluster
}

#[test]
fn a_cluster_scan_says_what_the_file_scan_of_the_same_objects_says() {
    for dir in ["examples/insecure", "examples/hardened"] {
        let dir = repo(dir);
        for options in [
            &["--pss-version", "latest"][..],
            &["-f", "all", "--pss-version", "latest"],
            &["--level", "baseline", "--pss-version", "v1.25"],
        ] {
            let report = assert_same_as_files(&dir, options, &[]);
            // Findings name the cluster object, not a line.
            for finding in report["findings"].as_array().unwrap() {
                let location = &finding["location"];
                assert_eq!(location["file"], "cluster:standin");
                assert_eq!(location["line"], 0);
                let object = &location["object"];
                assert_eq!(object["context"], "standin");
                assert_eq!(object["kind"], finding["resource"]["kind"]);
                assert!(object["uid"].as_str().is_some_and(|u| !u.is_empty()));
                assert!(object["resourceVersion"]
                    .as_str()
                    .is_some_and(|v| !v.is_empty()));
            }
        }
    }
}

#[test]
fn a_generated_corpus_scans_the_same_from_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = generated_corpus(dir.path(), 2000, 20);
    // Pod Security: everything equal, scores included.
    assert_same_as_files(&corpus, &["--pss-version", "latest"], &[]);
    // Every framework: equal, but for the one control that reads what a
    // Secret holds, which a cluster scan never reads (Secrets come as metadata).
    let report = assert_same_as_files(
        &corpus,
        &["-f", "all", "--pss-version", "latest"],
        &["VG-S005"],
    );
    let secret_findings = items(&report["findings"])
        .filter(|f| f["controlId"] == "VG-S005")
        .count();
    assert_eq!(secret_findings, 0, "no Secret value reached the scan");
}

#[test]
fn a_forbidden_type_is_a_warning_naming_the_controls_that_lose_coverage() {
    let dir = repo("examples/insecure");
    let served = serve(std::slice::from_ref(&dir), |c| {
        c.forbidden = vec!["cronjobs.batch".into(), "secrets".into()]
    });
    let allowed = serve(std::slice::from_ref(&dir), |_| {});
    let output = scan_cluster(&served, &["-f", "all", "-o", "json"]);
    let unforbidden = scan_cluster(&allowed, &["-f", "all", "-o", "json"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), unforbidden.status.code(), "{err}");
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("warning: cluster:standin: cannot list cronjobs.batch (403 Forbidden: cronjobs.batch is forbidden"),
        "{err}"
    );
    assert_contains(&err, "controls that lose coverage: ");
    assert!(
        err.contains("PSS-"),
        "CronJobs lose the Pod Security checks: {err}"
    );
    assert_contains(&err, "cannot list secrets");
    assert_contains(&err, "VG-S005");
    let report = json_report(&output);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e["fatal"] == false));
    assert!(items(&report["resources"]).all(|r| r["resource"]["kind"] != "CronJob"));
}

#[test]
fn an_expired_continue_token_restarts_the_list_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = generated_corpus(dir.path(), 600, 6);
    let plain = serve(std::slice::from_ref(&corpus), |_| {});
    let expiring = serve(std::slice::from_ref(&corpus), |c| {
        c.expire_continue_tokens = 3
    });
    let options = ["-f", "all", "-o", "json", "--page-size", "7"];
    let a = scan_cluster(&plain, &options);
    let b = scan_cluster(&expiring, &options);
    assert_eq!(a.status.code(), b.status.code(), "{}", stderr(&b));
    assert_eq!(
        comparable(&json_report(&a), &[]),
        comparable(&json_report(&b), &[])
    );
    assert_eq!(Counters::get(&expiring.standin.counters().gone), 3);
    assert_eq!(Counters::get(&plain.standin.counters().gone), 0);
    assert!(
        Counters::get(&expiring.standin.counters().pages)
            > Counters::get(&plain.standin.counters().pages)
    );
    assert_eq!(Counters::get(&plain.standin.counters().largest_limit), 7);
}

#[test]
fn a_snapshot_scans_offline_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = generated_corpus(dir.path(), 800, 8);
    let served = serve(std::slice::from_ref(&corpus), |_| {});
    let snapshot = dir.path().join("snapshot.yaml");
    let output = run(&[
        "cluster",
        "snapshot",
        "-o",
        arg(&snapshot),
        "--kubeconfig",
        arg(&served.kubeconfig),
    ]);
    assert_exit(&output, 0);
    assert_contains(&stderr(&output), "wrote 800 objects of cluster:standin");
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(text.starts_with("# vigie cluster snapshot of context standin, server v1.31.2"));
    assert!(
        !text.contains("aHVudGVyMg=="),
        "Secret values stay out of the snapshot"
    );
    let options = ["-f", "all", "-o", "json"];
    let live = scan_cluster(&served, &options);
    let mut offline_args = vec!["scan", arg(&snapshot), "--pss-version", "v1.31"];
    offline_args.extend_from_slice(&options);
    let offline = run(&offline_args);
    assert_eq!(
        live.status.code(),
        offline.status.code(),
        "{}",
        stderr(&offline)
    );
    assert_eq!(
        comparable(&json_report(&live), &[]),
        comparable(&json_report(&offline), &[])
    );
    // The cluster's version set the Pod Security version of the live scan.
    assert!(
        json_report(&live)["profile"]
            .as_str()
            .unwrap()
            .contains("v1.31"),
        "{}",
        json_report(&live)["profile"]
    );
}

#[test]
fn namespaces_are_selected_and_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = generated_corpus(dir.path(), 300, 3);
    let served = serve(std::slice::from_ref(&corpus), |_| {});
    let namespaces = |output: &Output| -> Vec<String> {
        let mut seen: Vec<String> = json_report(output)["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["resource"]["namespace"].as_str().map(str::to_string))
            .collect();
        seen.sort();
        seen.dedup();
        seen
    };
    let only = scan_cluster(&served, &["-o", "json", "-n", "shop,payments"]);
    assert_eq!(namespaces(&only), ["payments", "shop"], "{}", stderr(&only));
    let without = scan_cluster(&served, &["-o", "json", "--exclude-namespaces", "shop"]);
    let seen = namespaces(&without);
    assert!(
        !seen.iter().any(|n| n == "shop") && seen.len() > 2,
        "{seen:?}"
    );
}

#[test]
fn limits_and_unreachable_clusters_are_errors_that_say_so() {
    let served = serve(&[repo("examples/insecure")], |_| {});
    let output = scan_cluster(&served, &["--max-objects", "3"]);
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "more than 3 objects (--max-objects)");

    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) on localhost: nothing listens.
    let kubeconfig = write(dir.path(), "kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:9\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n");
    let output = run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        arg(&kubeconfig),
        "--request-timeout",
        "5",
    ]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("vigie: cannot read the cluster: /version: "),
        "{}",
        stderr(&output)
    );

    let output = run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        "/nonexistent/kubeconfig",
    ]);
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "/nonexistent/kubeconfig");

    let output = run(&["scan", "--cluster", "examples"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "paths and --cluster conflict"
    );
}

#[test]
fn nothing_but_the_report_on_a_pipe() {
    let served = serve(&[repo("examples/hardened")], |_| {});
    let output = scan_cluster(&served, &["-o", "json"]);
    assert_eq!(stderr(&output), "");
    let insecure = serve(&[repo("examples/insecure")], |_| {});
    let output = scan_cluster(&insecure, &[]);
    assert_exit(&output, 1);
    assert!(
        !stderr(&output).contains("listed"),
        "no progress line on a pipe"
    );
    let text = String::from_utf8_lossy(&output.stdout);
    // The pretty report names the cluster object where a file scan names a line.
    assert_contains(&text, "cluster:standin uid ");
}

#[test]
fn a_kubelet_configuration_read_from_configz_is_judged_as_the_same_file_is() {
    let settings = serde_json::json!({
        "authentication": {"anonymous": {"enabled": true}, "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
        "readOnlyPort": 10255,
        "streamingConnectionIdleTimeout": "0s",
        "tlsCipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
        "podPidsLimit": 4096
    });
    let node =
        serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1"}});
    let mut file = serde_json::json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "metadata": {"name": "worker-1"}
    });
    for (key, value) in settings.as_object().unwrap() {
        file[key] = value.clone();
    }
    let dir = tempfile::tempdir().unwrap();
    let (cluster_dir, file_dir) = (dir.path().join("cluster"), dir.path().join("files"));
    for d in [&cluster_dir, &file_dir] {
        std::fs::create_dir(d).unwrap();
        std::fs::write(d.join("node.yaml"), node.to_string()).unwrap();
    }
    std::fs::write(file_dir.join("kubelet.yaml"), file.to_string()).unwrap();
    let served = serve(&[cluster_dir.display().to_string()], |c| {
        c.node_configz.insert(
            "worker-1".into(),
            serde_json::json!({ "kubeletconfig": settings }),
        );
    });
    let options = ["-f", "all", "-o", "json", "--pss-version", "latest"];
    let file_dir = file_dir.display().to_string();
    let (file, cluster) = scan_files_and_cluster(&served, &file_dir, &[], &options);
    let (a, b) = (comparable(&file, &[]), comparable(&cluster, &[]));
    for key in ["findings", "resources", "controls", "frameworks", "summary"] {
        assert_eq!(a[key], b[key], "{key} differ");
    }
    let mut kubelet_findings: Vec<&str> = items(&cluster["findings"])
        .filter(|f| f["resource"]["kind"] == "KubeletConfiguration")
        .map(|f| f["controlId"].as_str().unwrap())
        .collect();
    kubelet_findings.sort();
    assert_eq!(
        kubelet_findings,
        // VG-K006 is in none of the frameworks of `-f all`.
        ["VG-K001", "VG-K004", "VG-K005", "VG-K010", "VG-K011"]
    );
}
