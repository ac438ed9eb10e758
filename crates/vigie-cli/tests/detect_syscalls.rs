//! `vigie detect syscalls --replay` end to end: the real binary on a capture of our
//! own (vigie-sensor's sample), with the default rules and Falco's JSON form.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::assert_contains;

use std::process::{Command, Output, Stdio};

fn replay(args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.scap");
    std::fs::write(&path, vigie_sensor::scap::sample_capture()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(["detect", "syscalls", "--replay"])
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    (out, dir)
}

#[test]
fn the_default_rules_alert_on_the_sample_in_falco_json() {
    let (out, _dir) = replay(&["-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "Vigie sensitive credential file read",
            "Vigie connection to a mining port",
            "Vigie setuid or setgid bit set"
        ],
        "{stderr}"
    );
    let first = &alerts[0];
    assert_eq!(first["source"], "syscall");
    assert_eq!(first["priority"], "Warning");
    assert_eq!(first["output_fields"]["fd.name"], "/etc/shadow");
    assert_eq!(first["output_fields"]["user.name"], "alice");
    assert_eq!(first["output_fields"]["container.id"], "host");
    assert_eq!(alerts[1]["output_fields"]["container.id"], "3ad7b26ded6d");
    assert!(first["time"]
        .as_str()
        .unwrap()
        .starts_with("2023-11-14T22:13:20"));
    assert_contains(&stderr, "17 events");
}

#[test]
fn a_missing_or_corrupt_capture_exits_2_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["detect", "syscalls", "--replay", "/nonexistent/x.scap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.scap"));
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vigie_sensor::scap::sample_capture();
    let cut = bytes.len() - 7;
    bytes.truncate(cut);
    let path = dir.path().join("cut.scap");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["detect", "syscalls", "--replay"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_contains(&stderr, "runs past the end of the capture");
}
