//! A small capture of our own: a shell on a host and a service in a container
//! doing file, process and network work. Tests and the differential test against
//! sysdig read it.

use crate::event::fixture::*;

use super::{FdEntry, FdKind, GroupEntry, MachineInfo, ScapWriter, ThreadEntry, UserEntry};

/// The container id of the sample's containerized process.
pub const SAMPLE_CONTAINER: &str =
    "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

fn thread(tid: i64, ptid: i64, comm: &str, exe: &str, uid: u32, cgroup: &str) -> ThreadEntry {
    ThreadEntry {
        tid,
        pid: tid,
        ptid,
        sid: tid,
        vpgid: tid,
        comm: comm.into(),
        exe: exe.into(),
        exepath: exe.into(),
        args: Vec::new(),
        cwd: "/root".into(),
        fdlimit: 1024,
        uid,
        gid: uid,
        vtid: tid,
        vpid: tid,
        cgroups: format!("cpu={cgroup}\0").into_bytes(),
        loginuid: u32::MAX,
        ..ThreadEntry::default()
    }
}

/// The sample capture's bytes.
pub fn sample_capture() -> Vec<u8> {
    let ts = 1_700_000_000_000_000_000u64;
    let mut w = ScapWriter::new(&MachineInfo {
        num_cpus: 2,
        memory_size_bytes: 1 << 30,
        max_pid: 1 << 22,
        hostname: "sample-node".into(),
        boot_ts_epoch: 0,
    });
    let container = format!("/kubepods/besteffort/pod1/{SAMPLE_CONTAINER}");
    w.threads(&[
        thread(1, 0, "systemd", "/sbin/init", 0, "/"),
        thread(100, 1, "bash", "/bin/bash", 1000, "/user.slice"),
        thread(200, 1, "nginx", "/usr/sbin/nginx", 33, &container),
    ]);
    w.fds(
        100,
        &[FdEntry {
            tid: 100,
            fd: 0,
            ino: 3,
            kind: FdKind::File,
            name: "/dev/pts/0".into(),
            open_flags: 3,
            sip: None,
            sport: 0,
            dip: None,
            dport: 0,
            l4proto: 0,
        }],
    );
    w.users(
        &[
            UserEntry {
                uid: 0,
                gid: 0,
                name: "root".into(),
                homedir: "/root".into(),
                shell: "/bin/bash".into(),
            },
            UserEntry {
                uid: 33,
                gid: 33,
                name: "www-data".into(),
                homedir: "/var/www".into(),
                shell: "/usr/sbin/nologin".into(),
            },
            UserEntry {
                uid: 1000,
                gid: 1000,
                name: "alice".into(),
                homedir: "/home/alice".into(),
                shell: "/bin/bash".into(),
            },
        ],
        &[
            GroupEntry {
                gid: 0,
                name: "root".into(),
            },
            GroupEntry {
                gid: 33,
                name: "www-data".into(),
            },
            GroupEntry {
                gid: 1000,
                name: "alice".into(),
            },
        ],
    );
    let mut t = ts;
    let mut ev =
        |w: &mut ScapWriter, name: &str, exit: bool, tid: u64, params: &[NamedParam<'_>]| {
            t += 1000;
            w.event(0, &build_event(name, exit, t, tid, params));
        };
    // Each syscall as a driver of sysdig's time wrote it: an enter event, then the
    // exit. The shell reads a file through a relative path, then closes it.
    ev(
        &mut w,
        "openat",
        false,
        100,
        &[
            ("dirfd", i64b(-100)),
            ("name", strb("../etc/shadow")),
            ("flags", u32b(1)),
            ("mode", u32b(0)),
        ],
    );
    ev(
        &mut w,
        "openat",
        true,
        100,
        &[
            ("fd", i64b(3)),
            ("dirfd", i64b(-100)),
            ("name", strb("../etc/shadow")),
            ("flags", u32b(1)),
            ("mode", u32b(0)),
        ],
    );
    ev(
        &mut w,
        "read",
        false,
        100,
        &[("fd", i64b(3)), ("size", u32b(5))],
    );
    ev(
        &mut w,
        "read",
        true,
        100,
        &[
            ("res", i64b(5)),
            ("data", b"root:".to_vec()),
            ("fd", i64b(3)),
            ("size", u32b(5)),
        ],
    );
    ev(&mut w, "close", false, 100, &[("fd", i64b(3))]);
    ev(
        &mut w,
        "close",
        true,
        100,
        &[("res", i64b(0)), ("fd", i64b(3))],
    );
    // It forks a child that runs cat.
    ev(
        &mut w,
        "clone",
        true,
        100,
        &[
            ("res", i64b(101)),
            ("exe", strb("/bin/bash")),
            ("args", listb(&[])),
            ("tid", i64b(100)),
            ("pid", i64b(100)),
            ("ptid", i64b(1)),
            ("cwd", strb("/root")),
            ("comm", strb("bash")),
            ("cgroups", listb(&["cpu=/user.slice"])),
            ("uid", u32b(1000)),
            ("gid", u32b(1000)),
        ],
    );
    ev(
        &mut w,
        "clone",
        true,
        101,
        &[
            ("res", i64b(0)),
            ("exe", strb("/bin/bash")),
            ("args", listb(&[])),
            ("tid", i64b(101)),
            ("pid", i64b(101)),
            ("ptid", i64b(100)),
            ("cwd", strb("/root")),
            ("comm", strb("bash")),
            ("cgroups", listb(&["cpu=/user.slice"])),
            ("uid", u32b(1000)),
            ("gid", u32b(1000)),
            ("vtid", i64b(101)),
            ("vpid", i64b(101)),
        ],
    );
    ev(
        &mut w,
        "execve",
        true,
        101,
        &[
            ("res", i64b(0)),
            ("exe", strb("cat")),
            ("args", listb(&["/etc/hosts"])),
            ("tid", i64b(101)),
            ("pid", i64b(101)),
            ("ptid", i64b(100)),
            ("cwd", strb("/root")),
            ("comm", strb("cat")),
            ("cgroups", listb(&["cpu=/user.slice"])),
            ("uid", u32b(1000)),
            ("gid", u32b(1000)),
            ("trusted_exepath", strb("/usr/bin/cat")),
        ],
    );
    ev(
        &mut w,
        "openat",
        false,
        101,
        &[
            ("dirfd", i64b(-100)),
            ("name", strb("/etc/hosts")),
            ("flags", u32b(1)),
            ("mode", u32b(0)),
        ],
    );
    ev(
        &mut w,
        "openat",
        true,
        101,
        &[
            ("fd", i64b(3)),
            ("dirfd", i64b(-100)),
            ("name", strb("/etc/hosts")),
            ("flags", u32b(1)),
            ("mode", u32b(0)),
        ],
    );
    ev(
        &mut w,
        "procexit",
        false,
        101,
        &[
            ("status", i64b(0)),
            ("ret", i64b(0)),
            ("sig", vec![0]),
            ("core", vec![0]),
        ],
    );
    // The service in the container connects out and changes a file's mode.
    ev(
        &mut w,
        "socket",
        false,
        200,
        &[("domain", u32b(2)), ("type", u32b(1)), ("proto", u32b(0))],
    );
    ev(
        &mut w,
        "socket",
        true,
        200,
        &[
            ("fd", i64b(7)),
            ("domain", u32b(2)),
            ("type", u32b(1)),
            ("proto", u32b(0)),
        ],
    );
    let mut addr = vec![crate::event::family::INET];
    addr.extend_from_slice(&[203, 0, 113, 9]);
    addr.extend_from_slice(&3333u16.to_le_bytes());
    ev(
        &mut w,
        "connect",
        false,
        200,
        &[("fd", i64b(7)), ("addr", addr)],
    );
    ev(
        &mut w,
        "connect",
        true,
        200,
        &[
            ("res", i64b(0)),
            (
                "tuple",
                tuple4([10, 1, 0, 5], 41000, [203, 0, 113, 9], 3333),
            ),
            ("fd", i64b(7)),
        ],
    );
    ev(
        &mut w,
        "chmod",
        true,
        200,
        &[
            ("res", i64b(0)),
            ("filename", strb("/tmp/x")),
            ("mode", u32b(0o4755)),
        ],
    );
    w.into_bytes()
}
