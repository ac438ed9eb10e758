//! `vigie detect audit` end to end: the real binary on files it must read, refuse or
//! wait for. Exit codes: 0 clean, 1 alerts, 2 input not read (wins over 1).

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, assert_exit, repo, stderr, write};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

fn vigie() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    vigie()
        .args(["detect", "audit"])
        .args(args)
        .output()
        .unwrap()
}

/// `vigie detect audit` with `args`, started with its outputs piped.
fn spawn(args: &[&str]) -> Child {
    vigie()
        .args(["detect", "audit"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// An exec into a pod, allowed: vigie's default rules alert on it.
const EXEC: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x1","stage":"ResponseStarted","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"pods","subresource":"exec","namespace":"prod","name":"web"},"annotations":{"authorization.k8s.io/decision":"allow"}}"#;
/// A routine read: no alert.
const GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"g1","stage":"ResponseComplete","verb":"get","user":{"username":"alice"},"objectRef":{"resource":"configmaps","namespace":"prod","name":"c"},"annotations":{"authorization.k8s.io/decision":"allow"}}"#;

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn clean_logs_exit_0_and_alerts_exit_1() {
    let dir = temp_dir();
    let clean = write(dir.path(), "clean.log", format!("{GET}\n"));
    let out = run(&[clean.to_str().unwrap()]);
    assert_exit(&out, 0);
    let alerting = write(dir.path(), "exec.log", format!("{GET}\n{EXEC}\n"));
    let out = run(&[alerting.to_str().unwrap()]);
    assert_exit(&out, 1);
}

#[test]
fn a_missing_or_unreadable_log_exits_2_naming_it() {
    let dir = temp_dir();
    let missing = dir.path().join("missing.log");
    let out = run(&[missing.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "missing.log");
    // Another input that alerts does not hide it: 2 wins over 1.
    let alerting = write(dir.path(), "exec.log", format!("{EXEC}\n"));
    let out = run(&[missing.to_str().unwrap(), alerting.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Interactive session"));
}

#[test]
fn a_log_of_garbage_exits_2_with_file_and_line() {
    let dir = temp_dir();
    let garbage = write(dir.path(), "garbage.log", "hello\nworld\n");
    let out = run(&[garbage.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "garbage.log:2: invalid JSON");
}

#[test]
fn a_missing_rules_file_exits_2_instead_of_running_the_defaults() {
    let dir = temp_dir();
    let log = write(dir.path(), "clean.log", format!("{GET}\n"));
    let out = run(&["-r", "/nonexistent/rules.yaml", log.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert_contains(
        &stderr(&out),
        "cannot read rules file /nonexistent/rules.yaml",
    );
}

#[test]
fn a_rule_that_does_not_compile_runs_the_others_and_exits_2() {
    let dir = temp_dir();
    let log = write(dir.path(), "exec.log", format!("{EXEC}\n"));
    let rules = write(
        dir.path(),
        "rules.yaml",
        "- rule: Broken\n  desc: refers to a field that does not exist\n  condition: ka.no.such.field = x\n  output: never\n  priority: WARNING\n  source: k8s_audit\n",
    );
    let out = run(&["-r", rules.to_str().unwrap(), log.to_str().unwrap()]);
    let err = stderr(&out);
    // The default rules still alert on the exec, but the run is not called clean or
    // merely alerting.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Interactive session"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(&err, "rules.yaml");
    assert_contains(&err, "1 errors in the rules");
}

#[test]
fn an_over_long_line_is_skipped_naming_the_limit_and_the_rest_is_read() {
    let dir = temp_dir();
    let long = format!("{{\"kind\":\"Event\",\"x\":\"{}\"}}", "a".repeat(5000));
    let log = write(dir.path(), "long.log", format!("{long}\n{EXEC}\n"));
    let out = run(&["--max-event-bytes", "2000", log.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("long.log:1: line of 5024 bytes exceeds the limit of 2000 bytes")
            && err.contains("--max-event-bytes"),
        "{err}"
    );
    // The line after it was read and alerted.
    assert!(String::from_utf8_lossy(&out.stdout).contains("Interactive session"));
    // With the limit raised, the line is read.
    let out = run(&["--max-event-bytes", "10000", log.to_str().unwrap()]);
    assert_exit(&out, 1);
}

#[test]
fn dev_zero_is_refused_as_binary_without_reading_it_all() {
    let out = run(&["/dev/zero"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(&err, "/dev/zero:1: binary data");
}

#[test]
fn follow_waits_for_a_file_that_does_not_exist_yet() {
    let dir = temp_dir();
    let path = dir.path().join("later.log");
    let mut child = spawn(&["-f", path.to_str().unwrap()]);
    // The waiting is announced; then the file appears and its event alerts.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "vigie exited");
        if line.contains("does not exist yet, waiting for it") {
            break;
        }
    }
    std::fs::write(&path, format!("{EXEC}\n")).unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut alert = String::new();
    out.read_line(&mut alert).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_contains(&alert, "Interactive session");
}

/// Sends one request on a new connection; returns the status code and the body
/// (the server closes after answering a request with `Connection: close`).
fn http(addr: &str, request: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    let code = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_string();
    (code, body)
}

#[test]
fn the_webhook_takes_event_lists_and_serves_both_kinds_of_metrics() {
    let mut child = spawn(&["--listen", "127.0.0.1:0", "--max-body-bytes", "4096"]);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "vigie exited");
        if let Some(rest) = line.split("listening for audit events on http://").nth(1) {
            break rest.trim().trim_end_matches("/k8s-audit").to_string();
        }
    };
    let list =
        format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{GET},{EXEC}]}}"#);
    let post = |body: &str| {
        format!(
            "POST /k8s-audit HTTP/1.1\r\nHost: v\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    assert_eq!(http(&addr, &post(&list)), (200, "ok".to_string()));
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut alert = String::new();
    out.read_line(&mut alert).unwrap();
    assert_contains(&alert, "Interactive session");
    // Over --max-body-bytes, chunked: 413. Another method: 405.
    let chunk = "a".repeat(5000);
    let chunked = format!(
        "POST /k8s-audit HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert_eq!(http(&addr, &chunked).0, 413);
    assert_eq!(
        http(
            &addr,
            "PUT /k8s-audit HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .0,
        405
    );
    let (code, metrics) = http(&addr, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 200);
    for expected in [
        "vigie_detect_events_total 2\n",
        "vigie_detect_events_rejected_total{source=\"http\",reason=\"too_large\"} 1\n",
        "vigie_http_requests_total{code=\"413\"} 1\n",
        "vigie_http_requests_total{code=\"405\"} 1\n",
    ] {
        assert_contains(&metrics, expected);
    }
}

#[test]
fn sigterm_stops_a_follow_run_cleanly_with_its_counters_and_exit_code() {
    let dir = temp_dir();
    let path = write(dir.path(), "live.log", format!("{EXEC}\n"));
    let mut child = spawn(&["-f", path.to_str().unwrap()]);
    // Once the alert is out, the run is following the file; then it is told to stop.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut alert = String::new();
    out.read_line(&mut alert).unwrap();
    assert_contains(&alert, "Interactive session");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    // Stopped by the command, not by the signal: counters printed, alerts decide the code.
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_contains(&err, "1 events, 0 rejected, 1 alerts");
}

#[test]
fn listing_rules_from_a_file_that_cannot_be_read_exits_2_naming_it() {
    let out = vigie()
        .args(["detect", "rules", "list", "-r", "/nonexistent/rules.yaml"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(
        &err,
        "/nonexistent/rules.yaml: error: cannot read rules file",
    );
    assert!(!err.contains(":0:0"), "{err}");
}

#[test]
fn the_bundled_rules_validate_in_strict_mode() {
    let rules = repo("crates/vigie-detect/rules");
    let out = vigie()
        .args(["detect", "rules", "validate", "--strict"])
        .arg(rules.join("k8s_audit_rules.yaml"))
        .arg(rules.join("syscall_rules.yaml"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_contains(
        &String::from_utf8_lossy(&out.stdout),
        "0 errors, 0 warnings",
    );
}
