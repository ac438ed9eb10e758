//! `vigie detect syscalls` live: the eBPF sensor attached, an action on this
//! machine, the exact alert of a default rule, and a clean stop on SIGINT. Needs
//! root and a BTF kernel (CI runs as root here): without them the test fails,
//! naming the reason, rather than skip.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn setuid_bit_on_a_scratch_file_raises_the_default_rule_alert_then_sigint_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"#!/bin/sh\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["detect", "syscalls", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the sensor to say it is attached (or for its error).
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                let attached = line.contains("live sensor attached");
                log.push(line);
                if attached {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the live sensor must attach here (root, BTF kernel); stderr: {log:?}");
            }
        }
    }
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    perms.set_mode(0o4755);
    std::fs::set_permissions(&file, perms).unwrap();

    let pid = child.id().to_string();
    let st = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    // A clean stop after alerts: exit code 1 (alerts raised), not a signal death.
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit after SIGINT: {:?}",
        out.status
    );
    let path = file.to_str().unwrap();
    let alert = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|a| {
            a["rule"] == "Vigie setuid or setgid bit set"
                && a["output"].as_str().unwrap_or("").contains(path)
        })
        .unwrap_or_else(|| {
            panic!(
                "the setuid alert for {path}; stdout: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
    assert_eq!(alert["source"], "syscall");
    assert_eq!(alert["priority"], "Warning");
    let fields = &alert["output_fields"];
    assert!(fields["evt.arg.mode"].as_str().unwrap().contains("S_ISUID"));
    assert_eq!(fields["user.name"], "root");
    assert_eq!(fields["container.id"], "host");
    // The counters are printed at the end. The reader thread may still be
    // draining stderr after the process exited: wait for its end of file
    // (the channel closes) rather than take only what has arrived.
    let mut rest = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        rest.push(line);
    }
    assert!(
        rest.iter().any(|l| l.contains("events")),
        "summary line: {rest:?}"
    );
}
