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
            ..FdEntry::default()
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
    let mut ev = Events { w: &mut w, ts };
    // Each syscall as a driver of sysdig's time wrote it: an enter event, then the
    // exit. The shell reads a file through a relative path, then closes it.
    let shadow = || open_params("../etc/shadow");
    ev.syscall("openat", 100, vec![("fd", i64b(3))], shadow());
    ev.syscall(
        "read",
        100,
        vec![("res", i64b(5)), ("data", b"root:".to_vec())],
        vec![("fd", i64b(3)), ("size", u32b(5))],
    );
    ev.syscall("close", 100, vec![("res", i64b(0))], vec![("fd", i64b(3))]);
    // It forks a child that runs cat.
    let bash = Process {
        exe: "/bin/bash",
        args: &[],
        comm: "bash",
        cgroup: "/user.slice",
        uid: 1000,
    };
    let mut parent = vec![("res", i64b(101))];
    parent.extend(bash.params(100, 100, 1));
    ev.exit("clone", 100, &parent);
    let mut child = vec![("res", i64b(0))];
    child.extend(bash.params(101, 101, 100));
    child.extend([("vtid", i64b(101)), ("vpid", i64b(101))]);
    ev.exit("clone", 101, &child);
    let cat = Process {
        exe: "cat",
        args: &["/etc/hosts"],
        comm: "cat",
        ..bash
    };
    let mut exec = vec![("res", i64b(0))];
    exec.extend(cat.params(101, 101, 100));
    exec.push(("trusted_exepath", strb("/usr/bin/cat")));
    ev.exit("execve", 101, &exec);
    ev.syscall(
        "openat",
        101,
        vec![("fd", i64b(3))],
        open_params("/etc/hosts"),
    );
    ev.enter(
        "procexit",
        101,
        &[
            ("status", i64b(0)),
            ("ret", i64b(0)),
            ("sig", vec![0]),
            ("core", vec![0]),
        ],
    );
    // The service in the container connects out and changes a file's mode.
    ev.syscall(
        "socket",
        200,
        vec![("fd", i64b(7))],
        vec![("domain", u32b(2)), ("type", u32b(1)), ("proto", u32b(0))],
    );
    let mut addr = vec![crate::event::family::INET];
    addr.extend_from_slice(&[203, 0, 113, 9]);
    addr.extend_from_slice(&3333u16.to_le_bytes());
    ev.enter("connect", 200, &[("fd", i64b(7)), ("addr", addr)]);
    ev.exit(
        "connect",
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
    ev.exit(
        "chmod",
        200,
        &[
            ("res", i64b(0)),
            ("filename", strb("/tmp/x")),
            ("mode", u32b(0o4755)),
        ],
    );
    w.into_bytes()
}

/// Writes the sample's events one microsecond apart, on CPU 0.
struct Events<'a> {
    w: &'a mut ScapWriter,
    ts: u64,
}

impl Events<'_> {
    fn event(&mut self, name: &str, exit: bool, tid: u64, params: &[NamedParam<'_>]) {
        self.ts += 1000;
        self.w
            .event(0, &build_event(name, exit, self.ts, tid, params));
    }

    fn enter(&mut self, name: &str, tid: u64, params: &[NamedParam<'_>]) {
        self.event(name, false, tid, params);
    }

    fn exit(&mut self, name: &str, tid: u64, params: &[NamedParam<'_>]) {
        self.event(name, true, tid, params);
    }

    /// A syscall's enter event with `args`, and its exit event with `results`
    /// then `args` again (the order of the exit events that repeat them).
    fn syscall<'a>(
        &mut self,
        name: &str,
        tid: u64,
        mut results: Vec<NamedParam<'a>>,
        args: Vec<NamedParam<'a>>,
    ) {
        self.enter(name, tid, &args);
        results.extend(args);
        self.exit(name, tid, &results);
    }
}

/// The arguments of an `openat` of `path`, read-only, relative to the working
/// directory.
fn open_params(path: &str) -> Vec<NamedParam<'static>> {
    vec![
        ("dirfd", i64b(-100)),
        ("name", strb(path)),
        ("flags", u32b(1)),
        ("mode", u32b(0)),
    ]
}

/// What the exit events of `clone` and `execve` say of the process.
#[derive(Clone, Copy)]
struct Process<'a> {
    exe: &'a str,
    args: &'a [&'a str],
    comm: &'a str,
    cgroup: &'a str,
    uid: u32,
}

impl Process<'_> {
    /// Its parameters as thread `tid` of process `pid`, child of `ptid`, in
    /// `/root`.
    fn params(&self, tid: i64, pid: i64, ptid: i64) -> Vec<NamedParam<'static>> {
        vec![
            ("exe", strb(self.exe)),
            ("args", listb(self.args)),
            ("tid", i64b(tid)),
            ("pid", i64b(pid)),
            ("ptid", i64b(ptid)),
            ("cwd", strb("/root")),
            ("comm", strb(self.comm)),
            ("cgroups", listb(&[&format!("cpu={}", self.cgroup)])),
            ("uid", u32b(self.uid)),
            ("gid", u32b(self.uid)),
        ]
    }
}
