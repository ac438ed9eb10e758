//! `vigie detect syscalls` live on this machine, end to end through the sinks:
//! the drop alert when the ring overflows, and silence of the default rules on
//! an idle machine. These tests need root and a BTF kernel (CI runs as root
//! here); without them they fail, naming the reason, rather than skip.

// Children forked by these tests make raw system calls through libc (each
// block says why it is sound); an unwrap that fails is the test's own report.
#![allow(unsafe_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use vigie_detect::config::{DetectConfig, SinkConfig};
use vigie_detect::metrics::Metrics;
use vigie_detect::pipeline::RunSummary;
use vigie_detect::rules::build_engine;
use vigie_detect::sinks::Format;
use vigie_detect::syscall::drops::DROP_RULE;
use vigie_detect::syscall::live::{run_live, LiveOptions};
use vigie_rules::EngineOptions;

// One sensor at a time: the load of one test would be the other's noise.
static ONE: Mutex<()> = Mutex::new(());

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vigie-detect-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// The JSON alerts written so far to a file sink.
fn alerts_in(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("the file sink writes JSON lines"))
        .collect()
}

/// Runs the live sensor with `rules` (and the defaults when `defaults`) and a
/// JSON file sink until `until` returns (it runs on another thread and gets the
/// sink's path); returns the run's summary and the alerts written.
fn run_until(
    name: &str,
    rules: &[PathBuf],
    defaults: bool,
    options: LiveOptions,
    until: impl FnOnce(&Path) + Send + 'static,
) -> (RunSummary, Vec<Value>) {
    let _g = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch(name);
    let out = dir.join("alerts.json");
    let engine = build_engine(rules, defaults, &EngineOptions::default()).expect("rules build");
    let config = DetectConfig {
        sinks: vec![SinkConfig::File {
            path: out.clone(),
            format: Format::Json,
        }],
        ..DetectConfig::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (stop2, out2) = (stop.clone(), out.clone());
    let driver = std::thread::spawn(move || {
        until(&out2);
        stop2.store(true, Ordering::Relaxed);
    });
    let summary = run_live(
        &config,
        engine,
        Arc::new(Metrics::default()),
        &stop,
        &options,
    )
    .unwrap_or_else(|e| panic!("the live sensor must run here (root, BTF kernel): {e}"));
    driver.join().expect("driver thread");
    let alerts = alerts_in(&out);
    let _ = std::fs::remove_dir_all(&dir);
    (summary, alerts)
}

#[test]
fn a_full_ring_raises_the_drop_alert_through_the_sinks() {
    let dir = scratch("drop-rules");
    // Watching read and write (a rule on them that never matches) in a tiny ring
    // that a byte-at-a-time dd overflows between two polls of the consumer.
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: never\n  desc: keeps read and write watched\n  condition: evt.type in (read, write) and proc.name = vigie-no-such-process\n  output: never\n  priority: INFO\n",
    )
    .expect("rules written");
    let options = LiveOptions {
        ring_bytes: vigie_sensor::live::MIN_RING_BYTES,
        ..LiveOptions::default()
    };
    let (summary, alerts) = run_until("drop", &[rules], false, options, |out| {
        // Load until the alert reaches the sink (the consumer reads the drop
        // counters every second), at most 30 rounds.
        for _ in 0..30 {
            let st = Command::new("dd")
                .args(["if=/dev/zero", "of=/dev/null", "bs=1", "count=200000"])
                .stderr(std::process::Stdio::null())
                .status()
                .expect("dd runs");
            assert!(st.success());
            if alerts_in(out).iter().any(|a| a["rule"] == DROP_RULE) {
                return;
            }
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(summary.rejected > 0, "drops counted: {summary:?}");
    let drop = alerts
        .iter()
        .find(|a| a["rule"] == DROP_RULE)
        .unwrap_or_else(|| panic!("a drop alert among {alerts:?}"));
    assert_eq!(drop["priority"], "Critical");
    assert_eq!(drop["source"], "syscall");
    assert_eq!(
        drop["tags"],
        serde_json::json!(["vigie_internal", "sensor"])
    );
    let f = &drop["output_fields"];
    let n = f["sensor.drops"].as_i64().expect("a drop count");
    assert!(n > 0);
    assert_eq!(f["sensor.ring_bytes"], 65536);
    assert!(
        f["sensor.drops_per_cpu"]
            .as_str()
            .is_some_and(|s| s.starts_with("cpu")),
        "{f}"
    );
    let output = drop["output"].as_str().expect("output");
    assert!(
        output.contains(&format!(
            "The sensor lost {n} syscall events because its ring buffer was full"
        )),
        "{output}"
    );
    // Rate-limited: one alert in the run (the interval is a minute), plus at
    // most the last one flushing drops left at stop.
    let n_alerts = alerts.iter().filter(|a| a["rule"] == DROP_RULE).count();
    assert!((1..=2).contains(&n_alerts), "{n_alerts} drop alerts");
}

#[test]
fn sixty_idle_seconds_with_the_default_rules_raise_no_alert() {
    // An idle machine may make no syscall the rules watch in a minute, so
    // the test makes ordinary activity of its own (a process started and
    // ended every two seconds, by a child: the sensor skips its own process):
    // the sensor must see it, and it must raise nothing.
    let (summary, alerts) = run_until("idle", &[], true, LiveOptions::default(), |_| {
        for _ in 0..30 {
            let status = std::process::Command::new("true")
                .status()
                .expect("true runs");
            assert!(status.success());
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    assert!(
        summary.events > 0,
        "the sensor saw none of the test's own processes: {summary:?}"
    );
    let rules: Vec<String> = alerts
        .iter()
        .map(|a| format!("{}: {}", a["rule"], a["output"]))
        .collect();
    assert!(
        rules.is_empty(),
        "alerts on an idle machine:\n{}",
        rules.join("\n")
    );
    assert_eq!(summary.alerts, 0);
}

/// Runs `action` in a forked child (the sensor does not watch its own process)
/// until an alert reaches the sink, at most 50 times; returns the alerts and
/// the children's name (fork keeps the forking thread's).
fn alert_from_child(name: &str, action: impl Fn() -> i32 + Send + 'static) -> (Vec<Value>, String) {
    let comm = Arc::new(Mutex::new(String::new()));
    let seen = comm.clone();
    let (_, alerts) = run_until(name, &[], true, LiveOptions::default(), move |out| {
        *seen.lock().unwrap() = std::fs::read_to_string("/proc/thread-self/comm")
            .unwrap()
            .trim_end()
            .to_string();
        for _ in 0..50 {
            // SAFETY: the child runs `action` (raw system calls) and exits.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork");
            if pid == 0 {
                let code = action();
                unsafe { libc::_exit(code) };
            }
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert_eq!(libc::WEXITSTATUS(status), 0, "the child's action succeeded");
            std::thread::sleep(Duration::from_millis(200));
            if !alerts_in(out).is_empty() {
                return;
            }
        }
    });
    let comm = comm.lock().unwrap().clone();
    (alerts, comm)
}

#[test]
fn a_ptrace_attach_raises_the_default_rule_with_its_fields() {
    // The child attaches to a waiting grandchild, then lets it go.
    let (alerts, comm) = alert_from_child("ptrace", || unsafe {
        let target = libc::fork();
        if target == 0 {
            libc::pause();
            libc::_exit(0);
        }
        let ok = libc::ptrace(libc::PTRACE_ATTACH, target, 0, 0) == 0;
        let mut st = 0;
        libc::waitpid(target, &mut st, 0);
        libc::ptrace(libc::PTRACE_DETACH, target, 0, 0);
        libc::kill(target, libc::SIGKILL);
        libc::waitpid(target, &mut st, 0);
        if ok {
            0
        } else {
            1
        }
    });
    let alert = alerts
        .iter()
        .find(|a| a["rule"] == "Vigie ptrace attach")
        .unwrap_or_else(|| panic!("a ptrace alert among {alerts:?}"));
    assert_eq!(alert["priority"], "Warning");
    assert_eq!(alert["source"], "syscall");
    let f = &alert["output_fields"];
    assert_eq!(f["evt.arg.request"], "PTRACE_ATTACH");
    assert_eq!(f["user.name"], "root");
    assert_eq!(f["container.id"], "host");
    assert_eq!(f["proc.name"], comm.as_str());
    let target: i64 = f["evt.arg.pid"]
        .as_i64()
        .or_else(|| f["evt.arg.pid"].as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("a target pid in {f}"));
    assert!(target > 0);
    let output = alert["output"].as_str().unwrap();
    assert!(
        output.contains(&format!(
            "Ptrace attach (request=PTRACE_ATTACH target_pid={target} process={comm} command="
        )),
        "{output}"
    );
}

/// The file the history-tampering child makes and deletes.
const HISTORY: &str = "/tmp/vigie-live-test_history";
const HISTORY_C: &std::ffi::CStr = c"/tmp/vigie-live-test_history";

#[test]
fn deleting_a_shell_history_raises_the_default_rule_with_its_fields() {
    let (alerts, comm) = alert_from_child("history", || unsafe {
        // No allocation after fork (the test process has other threads).
        let path = HISTORY_C;
        let fd = libc::open(path.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o600);
        libc::close(fd);
        if libc::syscall(libc::SYS_unlink, path.as_ptr()) == 0 {
            0
        } else {
            1
        }
    });
    let alert = alerts
        .iter()
        .find(|a| a["rule"] == "Vigie log or history tampering")
        .unwrap_or_else(|| panic!("a tampering alert among {alerts:?}"));
    let f = &alert["output_fields"];
    assert_eq!(f["evt.args"], format!("res=0 path={HISTORY}"));
    assert_eq!(f["proc.name"], comm.as_str());
    assert_eq!(f["user.name"], "root");
    let output = alert["output"].as_str().unwrap();
    assert!(
        output.contains(&format!(
            "Log or history tampering (file=<NA> args=res=0 path={HISTORY} process={comm} command="
        )),
        "{output}"
    );
}

#[test]
fn a_shell_writing_to_a_socket_raises_the_reverse_shell_rule_with_its_fields() {
    // The child connects to a loopback listener, puts the socket on fd 3 and
    // runs a shell that makes it its standard output (dash: dup2(3, 1)).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("bound").port();
    let (alerts, _) = alert_from_child("reverse", move || unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as u16,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        if libc::connect(s, (&addr as *const libc::sockaddr_in).cast(), len) != 0 {
            return 1;
        }
        libc::dup2(s, 3);
        // No allocation after fork (the test process has other threads).
        let args = [
            c"sh".as_ptr(),
            c"-c".as_ptr(),
            c"exec 1>&3".as_ptr(),
            std::ptr::null(),
        ];
        libc::execv(c"/bin/sh".as_ptr(), args.as_ptr());
        1
    });
    drop(listener);
    let alert = alerts
        .iter()
        .find(|a| a["rule"] == "Vigie reverse shell")
        .unwrap_or_else(|| panic!("a reverse shell alert among {alerts:?}"));
    assert_eq!(alert["priority"], "Critical");
    let f = &alert["output_fields"];
    assert_eq!(f["proc.name"], "sh");
    assert_eq!(f["proc.cmdline"], "sh -c exec 1>&3");
    let connection = f["fd.name"].as_str().expect("the socket's name");
    assert!(
        connection.starts_with("127.0.0.1:")
            && connection.ends_with(&format!("->127.0.0.1:{port}")),
        "{connection}"
    );
    assert_eq!(f["user.name"], "root");
    assert_eq!(f["container.id"], "host");
}
