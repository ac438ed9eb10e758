//! vigie's default syscall rules on event sequences written for these tests: each
//! rule fires on the behaviour it names and stays quiet on a near miss.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use vigie_detect::rules::build_engine;
use vigie_detect::syscall::SOURCE;
use vigie_rules::{Engine, EngineOptions, RuleMatching};
use vigie_sensor::event::fixture::*;
use vigie_sensor::event::RawEvent;
use vigie_sensor::fields::SyscallEvent;
use vigie_sensor::state::{State, Thread, Users};

const CONTAINER: &str = "0::/kubepods.slice/cri-containerd-3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e.scope";

fn engine() -> Engine {
    let options = EngineOptions {
        matching: RuleMatching::All,
        ..Default::default()
    };
    build_engine(&[], true, &options).expect("default rules build")
}

fn thread(tid: i64, ptid: i64, comm: &str, container: bool) -> Thread {
    let mut t = Thread::unknown(tid);
    t.unknown = false;
    t.ptid = ptid;
    t.comm = comm.into();
    t.exe = comm.into();
    t.exepath = format!("/usr/bin/{comm}");
    t.cwd = "/".into();
    if container {
        t.cgroups = vec![CONTAINER.into()];
        t.container_id = "3ad7b26ded6d".into();
    }
    t
}

/// A state with a service (nginx, 10), a shell (bash, 20) under it, and a cat (30)
/// under the shell; all on the host unless `container`.
fn state(container: bool) -> State {
    let mut s = State::new();
    let mut users = Users::default();
    users.add_passwd("root:x:0:0:root:/root:/bin/bash\n");
    s.users = users;
    s.insert_thread(thread(1, 0, "systemd", false));
    s.insert_thread(thread(10, 1, "nginx", container));
    s.insert_thread(thread(20, 10, "bash", container));
    s.insert_thread(thread(30, 20, "cat", container));
    s
}

/// Runs events through the state and the rules; the rules each event fired.
fn run(engine: &Engine, state: &mut State, events: &[Vec<u8>]) -> Vec<Vec<String>> {
    let source = engine.source(SOURCE).unwrap();
    let mut out = Vec::new();
    for (i, bytes) in events.iter().enumerate() {
        let raw = RawEvent::parse(bytes).unwrap();
        state.before(&raw);
        let mut fired = Vec::new();
        let view = SyscallEvent::new(raw, state, i as u64 + 1, 0);
        engine.evaluate(source, &view, |r| fired.push(r.name.clone()));
        out.push(fired);
        state.after(&raw);
    }
    out
}

fn fired(engine: &Engine, state: &mut State, events: &[Vec<u8>]) -> Vec<String> {
    run(engine, state, events).into_iter().flatten().collect()
}

fn open(tid: u64, path: &str, flags: u32) -> Vec<u8> {
    build_event(
        "openat",
        true,
        1,
        tid,
        &[
            ("fd", i64b(5)),
            ("dirfd", i64b(-100)),
            ("name", strb(path)),
            ("flags", u32b(flags)),
        ],
    )
}

/// `parent` forks `child` (the clone's exit in the parent).
fn clone(parent: u64, child: i64) -> Vec<u8> {
    build_event("clone", true, 1, parent, &[("res", i64b(child))])
}

/// `parent` forks `child`, which runs `exepath` (named `comm`).
fn spawn(parent: u64, child: u64, comm: &str, exepath: &str, cgroups: &[&str]) -> [Vec<u8>; 2] {
    [
        clone(parent, child as i64),
        execve(child, parent as i64, comm, exepath, cgroups),
    ]
}

fn execve(tid: u64, ptid: i64, comm: &str, exepath: &str, cgroups: &[&str]) -> Vec<u8> {
    build_event(
        "execve",
        true,
        2,
        tid,
        &[
            ("res", i64b(0)),
            ("exe", strb(comm)),
            ("args", listb(&["-c", "id"])),
            ("pid", i64b(tid as i64)),
            ("ptid", i64b(ptid)),
            ("cwd", strb("/")),
            ("comm", strb(comm)),
            ("cgroups", listb(cgroups)),
            ("trusted_exepath", strb(exepath)),
        ],
    )
}

const O_RDONLY: u32 = 1;
const O_WRONLY: u32 = 2;
const O_CREAT: u32 = 4;
const O_TRUNC: u32 = 256;

#[test]
fn default_syscall_rules_are_clean() {
    let e = engine();
    assert!(
        e.diagnostics().iter().all(|d| !d.is_error()),
        "{:?}",
        e.diagnostics()
    );
    assert!(e.enabled_count(SOURCE) >= 15);
}

/// Opens each row's file as its thread, in [`state`]'s host with sshd (40) and
/// dpkg (41) added, and checks the rule each open fires: the one named, or none.
fn assert_opens(rows: &[(u64, &str, u32, Option<&str>)]) {
    let e = engine();
    let mut s = state(false);
    s.insert_thread(thread(40, 1, "sshd", false));
    s.insert_thread(thread(41, 1, "dpkg", false));
    for &(tid, path, flags, rule) in rows {
        let got = fired(&e, &mut s, &[open(tid, path, flags)]);
        let expected: Vec<&str> = rule.into_iter().collect();
        assert_eq!(got, expected, "thread {tid} opens {path} (flags {flags})");
    }
}

#[test]
fn credential_reads() {
    const READ: Option<&str> = Some("Vigie sensitive credential file read");
    assert_opens(&[
        (30, "/etc/shadow", O_RDONLY, READ),
        (30, "/root/.ssh/id_ed25519", O_RDONLY, READ),
        (
            30,
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
            O_RDONLY,
            READ,
        ),
        (30, "/etc/passwd", O_RDONLY, None),
        // sshd is expected to read the shadow file.
        (40, "/etc/shadow", O_RDONLY, None),
    ]);
}

#[test]
fn writes_below_system_dirs_and_persistence() {
    const SYSTEM_DIR: Option<&str> = Some("Vigie write below a system directory");
    const PERSISTENCE: Option<&str> = Some("Vigie persistence file modified");
    assert_opens(&[
        (30, "/usr/bin/ls", O_WRONLY | O_CREAT, SYSTEM_DIR),
        (30, "/usr/bin/ls", O_RDONLY, None),
        (30, "/etc/cron.d/job", O_WRONLY | O_CREAT, PERSISTENCE),
        (30, "/root/.bashrc", O_WRONLY, PERSISTENCE),
        // A package manager writes below system directories.
        (41, "/usr/bin/ls", O_WRONLY, None),
    ]);
}

#[test]
fn setuid_bits() {
    let e = engine();
    let mut s = state(false);
    let chmod = |mode: u32| {
        build_event(
            "chmod",
            true,
            1,
            30,
            &[
                ("res", i64b(0)),
                ("filename", strb("/tmp/x")),
                ("mode", u32b(mode)),
            ],
        )
    };
    assert_eq!(
        fired(&e, &mut s, &[chmod(0o4755)]),
        ["Vigie setuid or setgid bit set"]
    );
    assert_eq!(
        fired(&e, &mut s, &[chmod(0o2755)]),
        ["Vigie setuid or setgid bit set"]
    );
    assert!(fired(&e, &mut s, &[chmod(0o755)]).is_empty());
}

#[test]
fn shells_from_services_and_in_containers() {
    let e = engine();
    let mut s = state(false);
    // nginx (10) forks 50, which runs sh.
    let got = fired(&e, &mut s, &spawn(10, 50, "sh", "/usr/bin/sh", &["cpu=/"]));
    assert_eq!(got, ["Vigie shell spawned by a service"]);
    // In a container, a shell whose parent is not a shell.
    let mut s = state(true);
    let got = fired(
        &e,
        &mut s,
        &spawn(10, 60, "python3", "/usr/bin/python3", &[CONTAINER]),
    );
    assert_eq!(got, ["Vigie shell in a container"]);
    // On the host, a shell's child program is quiet.
    let mut s = state(false);
    assert!(fired(&e, &mut s, &spawn(20, 70, "ls", "/usr/bin/ls", &["cpu=/"])).is_empty());
}

#[test]
fn fileless_execution() {
    let e = engine();
    let mut s = state(false);
    let got = fired(&e, &mut s, &spawn(20, 80, "x", "/dev/shm/x", &["cpu=/"]));
    assert_eq!(got, ["Vigie fileless execution"]);
    let memfd = build_event(
        "execve",
        true,
        2,
        81,
        &[
            ("res", i64b(0)),
            ("exe", strb("3")),
            ("pid", i64b(81)),
            ("ptid", i64b(20)),
            ("comm", strb("3")),
            ("flags", u32b(4)),
        ],
    );
    assert_eq!(
        fired(&e, &mut s, &[clone(20, 81), memfd]),
        ["Vigie fileless execution"]
    );
}

fn connect(tid: u64, fd: i64, dport: u16, res: i64) -> Vec<Vec<u8>> {
    vec![
        build_event(
            "socket",
            true,
            1,
            tid,
            &[("fd", i64b(fd)), ("domain", u32b(2)), ("type", u32b(1))],
        ),
        build_event(
            "connect",
            true,
            2,
            tid,
            &[
                ("res", i64b(res)),
                (
                    "tuple",
                    tuple4([10, 0, 0, 2], 40000, [203, 0, 113, 9], dport),
                ),
                ("fd", i64b(fd)),
            ],
        ),
    ]
}

#[test]
fn outbound_connections() {
    let e = engine();
    let mut s = state(false);
    assert_eq!(
        fired(&e, &mut s, &connect(30, 5, 3333, 0)),
        ["Vigie connection to a mining port"]
    );
    assert_eq!(
        fired(&e, &mut s, &connect(30, 6, 14444, -115)),
        ["Vigie connection to a mining port"]
    );
    assert!(fired(&e, &mut s, &connect(30, 7, 443, 0)).is_empty());
    s.insert_thread(thread(42, 20, "nc", false));
    assert_eq!(
        fired(&e, &mut s, &connect(42, 5, 443, 0)),
        ["Vigie network tool connected out"]
    );
}

#[test]
fn reverse_shell() {
    let e = engine();
    let mut s = state(false);
    let mut events = connect(20, 5, 443, 0);
    events.push(build_event(
        "dup2",
        true,
        3,
        20,
        &[("res", i64b(0)), ("oldfd", i64b(5)), ("newfd", i64b(0))],
    ));
    let per_event = run(&e, &mut s, &events);
    assert_eq!(per_event[2], ["Vigie reverse shell"]);
    // Redirecting a file onto stdin is not a reverse shell.
    let mut s = state(false);
    let got = fired(
        &e,
        &mut s,
        &[
            open(20, "/tmp/input", O_RDONLY),
            build_event(
                "dup2",
                true,
                3,
                20,
                &[("res", i64b(0)), ("oldfd", i64b(5)), ("newfd", i64b(0))],
            ),
        ],
    );
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn kernel_modules_and_ptrace() {
    let e = engine();
    let mut s = state(false);
    let load = build_event("finit_module", true, 1, 30, &[("res", i64b(0))]);
    assert_eq!(fired(&e, &mut s, &[load]), ["Vigie kernel module loaded"]);
    let ptrace = |request: u32| {
        build_event(
            "ptrace",
            true,
            1,
            30,
            &[
                ("res", i64b(0)),
                ("request", (request as u16).to_le_bytes().to_vec()),
                ("pid", i64b(10)),
            ],
        )
    };
    // libscap numbers ptrace requests its own way: take them from its name table.
    let attach = vigie_sensor::event::flag_names("ptrace_requests")
        .unwrap()
        .iter()
        .find(|(n, _)| *n == "PTRACE_ATTACH")
        .unwrap()
        .1;
    let peek = vigie_sensor::event::flag_names("ptrace_requests")
        .unwrap()
        .iter()
        .find(|(n, _)| *n == "PTRACE_PEEKDATA")
        .unwrap()
        .1;
    assert_eq!(
        fired(&e, &mut s, &[ptrace(attach)]),
        ["Vigie ptrace attach"]
    );
    assert!(fired(&e, &mut s, &[ptrace(peek)]).is_empty());
}

#[test]
fn container_escapes_and_runtime_sockets() {
    let e = engine();
    let mut s = state(true);
    let setns = build_event("setns", true, 1, 30, &[("res", i64b(0))]);
    assert_eq!(
        fired(&e, &mut s, std::slice::from_ref(&setns)),
        ["Vigie mount or namespace change in a container"]
    );
    let mut host = state(false);
    assert!(fired(&e, &mut host, &[setns]).is_empty());
    let mut unix = vec![1u8];
    unix.extend_from_slice(&[0; 16]);
    unix.extend_from_slice(b"/run/containerd/containerd.sock\0");
    let events = vec![
        build_event(
            "socket",
            true,
            1,
            30,
            &[("fd", i64b(9)), ("domain", u32b(1)), ("type", u32b(1))],
        ),
        build_event(
            "connect",
            true,
            2,
            30,
            &[("res", i64b(0)), ("tuple", unix), ("fd", i64b(9))],
        ),
    ];
    assert_eq!(
        fired(&e, &mut s, &events),
        ["Vigie container runtime socket access"]
    );
}

#[test]
fn log_and_history_tampering() {
    let e = engine();
    let mut s = state(false);
    assert_eq!(
        fired(
            &e,
            &mut s,
            &[open(30, "/var/log/auth.log", O_WRONLY | O_TRUNC)]
        ),
        ["Vigie log or history tampering"]
    );
    let unlink = build_event(
        "unlinkat",
        true,
        1,
        30,
        &[
            ("res", i64b(0)),
            ("dirfd", i64b(-100)),
            ("name", strb("/root/.bash_history")),
        ],
    );
    assert_eq!(
        fired(&e, &mut s, &[unlink]),
        ["Vigie log or history tampering"]
    );
    assert!(fired(&e, &mut s, &[open(30, "/var/log/auth.log", O_WRONLY)]).is_empty());
}

#[test]
fn every_syscall_the_default_rules_name_is_captured_live() {
    let (set, not_encoded) = vigie_sensor::live::SyscallSet::for_rules(engine().rules());
    assert!(
        not_encoded.is_empty(),
        "the live sensor does not encode {not_encoded:?}"
    );
    for name in [
        "ptrace",
        "mount",
        "setns",
        "unshare",
        "finit_module",
        "unlinkat",
        "dup2",
    ] {
        assert!(set.names().contains(&name), "{name} watched");
    }
}
