use super::*;
use crate::event::fixture::*;

fn run(state: &mut State, bytes: &[u8]) {
    let e = RawEvent::parse(bytes).unwrap();
    state.before(&e);
    state.after(&e);
}

fn shell(state: &mut State) {
    let mut t = Thread::unknown(100);
    t.unknown = false;
    t.comm = "bash".into();
    t.exe = "/bin/bash".into();
    t.cwd = "/root/".into();
    state.insert_thread(t);
}

#[test]
fn clone_then_execve_builds_the_child() {
    let mut s = State::new();
    shell(&mut s);
    run(
        &mut s,
        &build_event("clone", true, 1, 100, &[("res", i64b(200))]),
    );
    assert_eq!(s.thread(200).unwrap().ptid, 100);
    assert_eq!(s.thread(200).unwrap().pid, 200);
    assert_eq!(s.thread(200).unwrap().comm, "bash");
    let id = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
    let cg = format!("cpu=/docker/{id}");
    run(
        &mut s,
        &build_event(
            "execve",
            true,
            2,
            200,
            &[
                ("res", i64b(0)),
                ("exe", strb("cat")),
                ("args", listb(&["/etc/shadow"])),
                ("pid", i64b(200)),
                ("ptid", i64b(100)),
                ("cwd", strb("/tmp")),
                ("comm", strb("cat")),
                ("cgroups", listb(&[&cg])),
                ("trusted_exepath", strb("/usr/bin/cat")),
            ],
        ),
    );
    let t = s.thread(200).unwrap();
    assert_eq!(t.comm, "cat");
    assert_eq!(t.exepath, "/usr/bin/cat");
    assert_eq!(t.cmdline(), "cat /etc/shadow");
    assert_eq!(t.cwd, "/tmp/");
    assert_eq!(t.container_id, &id[..12]);
    run(&mut s, &build_event("procexit", false, 3, 200, &[]));
    assert!(s.thread(200).is_none());
}

#[test]
fn descriptors_follow_open_dup_connect_and_close() {
    let mut s = State::new();
    shell(&mut s);
    run(
        &mut s,
        &build_event(
            "openat",
            true,
            1,
            100,
            &[
                ("fd", i64b(3)),
                ("dirfd", i64b(-100)),
                ("name", strb("../etc/shadow")),
                ("flags", u32b(1)),
            ],
        ),
    );
    assert_eq!(s.fd(100, 3).unwrap().name, "/etc/shadow");
    run(
        &mut s,
        &build_event(
            "dup2",
            true,
            2,
            100,
            &[("res", i64b(0)), ("oldfd", i64b(3)), ("newfd", i64b(0))],
        ),
    );
    assert_eq!(s.fd(100, 0).unwrap().name, "/etc/shadow");
    run(
        &mut s,
        &build_event(
            "socket",
            true,
            3,
            100,
            &[("fd", i64b(4)), ("domain", u32b(2)), ("type", u32b(1))],
        ),
    );
    run(
        &mut s,
        &build_event(
            "connect",
            true,
            4,
            100,
            &[
                ("res", i64b(0)),
                ("tuple", tuple4([10, 0, 0, 2], 40000, [1, 2, 3, 4], 4444)),
                ("fd", i64b(4)),
            ],
        ),
    );
    let fd = s.fd(100, 4).unwrap();
    assert_eq!(fd.name, "10.0.0.2:40000->1.2.3.4:4444");
    assert_eq!(fd.kind.type_str(), "ipv4");
    assert_eq!(fd.l4proto, 1);
    // close: the descriptor is still there for the rules of the close itself.
    let close = build_event("close", true, 5, 100, &[("res", i64b(0)), ("fd", i64b(3))]);
    let e = RawEvent::parse(&close).unwrap();
    s.before(&e);
    assert_eq!(s.event_fd(&e), Some(3));
    assert!(s.fd(100, 3).is_some());
    s.after(&e);
    assert!(s.fd(100, 3).is_none());
}

#[test]
fn exit_parameters_fall_back_to_the_enter_event() {
    let mut s = State::new();
    shell(&mut s);
    // An old-style pair: the enter carries the descriptor, the exit only the result.
    let enter_raw = build_event("close", false, 1, 100, &[("fd", i64b(9))]);
    let exit = crate::event::encode_event(2, 100, 5, &[&0i64.to_le_bytes()]);
    let e1 = RawEvent::parse(&enter_raw).unwrap();
    s.before(&e1);
    s.after(&e1);
    let e2 = RawEvent::parse(&exit).unwrap();
    s.before(&e2);
    assert_eq!(s.arg(&e2, "fd").and_then(|v| v.as_i64()), Some(9));
    assert_eq!(s.event_fd(&e2), Some(9));
}
