//! The threads and descriptors running when the live sensor starts, read from
//! /proc (a `.scap` replay reads them from the capture instead).

use std::fs;
use std::path::Path;

use crate::scap::FdKind;

use super::{container, paths, Fd, State, Thread, Users, MAX_THREADS};

fn read_small(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

fn status_field(status: &str, key: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_string())
}

/// One thread from `/proc/PID/task/TID`.
fn read_thread(proc_root: &Path, pid: i64, tid: i64) -> Option<Thread> {
    let dir = proc_root
        .join(pid.to_string())
        .join("task")
        .join(tid.to_string());
    let status = String::from_utf8(read_small(&dir.join("status"))?).ok()?;
    let mut t = Thread::unknown(tid);
    t.unknown = false;
    t.pid = pid;
    t.comm = status_field(&status, "Name:").unwrap_or_default();
    t.ptid = status_field(&status, "PPid:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let ids = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().nth(1).and_then(|e| e.parse().ok()))
            .unwrap_or(0)
    };
    t.uid = ids("Uid:");
    t.gid = ids("Gid:");
    let last = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().last().and_then(|x| x.parse().ok()))
    };
    t.vpid = last("NSpid:").unwrap_or(pid);
    t.vtid = last("NSpid:").map_or(tid, |_| tid);
    let cmdline = read_small(&dir.join("cmdline")).unwrap_or_default();
    let mut args = crate::event::split_nul(&cmdline).map(|a| a.into_owned());
    t.exe = args.next().unwrap_or_default();
    t.args = args.collect();
    t.exepath = fs::read_link(dir.join("exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    t.exe_from_memfd = t.exepath.starts_with("/memfd:");
    t.cwd = fs::read_link(dir.join("cwd"))
        .map(|p| format!("{}/", p.to_string_lossy().trim_end_matches('/')))
        .unwrap_or_default();
    let cgroup =
        String::from_utf8(read_small(&dir.join("cgroup")).unwrap_or_default()).unwrap_or_default();
    t.cgroups = cgroup
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, sub, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some(format!("{sub}={path}"))
        })
        .collect();
    t.container_id = container::short_id(t.cgroups.iter().map(String::as_str));
    t.loginuid = String::from_utf8(read_small(&dir.join("loginuid")).unwrap_or_default())
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u32::MAX);
    let stat =
        String::from_utf8(read_small(&dir.join("stat")).unwrap_or_default()).unwrap_or_default();
    // After the command name in parentheses: state ppid pgrp session tty_nr.
    if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
        let f: Vec<&str> = rest.split_whitespace().collect();
        t.sid = f.get(3).and_then(|v| v.parse().ok()).unwrap_or(-1);
        t.vpgid = f.get(2).and_then(|v| v.parse().ok()).unwrap_or(-1);
        t.tty = f.get(4).and_then(|v| v.parse().ok()).unwrap_or(0);
    }
    Some(t)
}

/// The descriptors of a process from `/proc/PID/fd` (files, directories, pipes,
/// sockets by inode, memfds, anonymous inodes by kind).
fn read_fds(proc_root: &Path, pid: i64, state: &mut State) {
    let Ok(entries) = fs::read_dir(proc_root.join(pid.to_string()).join("fd")) else {
        return;
    };
    for entry in entries.flatten().take(super::MAX_FDS_PER_PROCESS) {
        let Some(num) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        let fd = if let Some(inner) = target.strip_prefix("anon_inode:") {
            let kind = match inner.trim_matches(['[', ']']) {
                "eventfd" => FdKind::Event,
                "eventpoll" => FdKind::Eventpoll,
                "inotify" => FdKind::Inotify,
                "signalfd" => FdKind::Signalfd,
                "timerfd" => FdKind::Timerfd,
                "bpf-map" | "bpf-prog" | "bpf_link" => FdKind::Bpf,
                "io_uring" => FdKind::Iouring,
                "userfaultfd" => FdKind::Userfaultfd,
                "pidfd" => FdKind::Pidfd,
                _ => FdKind::Unsupported,
            };
            Fd::named(kind, "")
        } else if target.starts_with("pipe:") {
            Fd::named(FdKind::Fifo, "")
        } else if target.starts_with("socket:") {
            // Sockets are named when their connections show in events.
            Fd::named(FdKind::Unsupported, "")
        } else if let Some(name) = target.strip_prefix("/memfd:") {
            Fd::named(
                FdKind::Memfd,
                format!("memfd:{}", name.trim_end_matches(" (deleted)")),
            )
        } else {
            let kind = if Path::new(&target).is_dir() {
                FdKind::Directory
            } else {
                FdKind::File
            };
            Fd::named(kind, paths::normalize(&target))
        };
        state.insert_fd(pid, num, fd);
    }
}

/// Reads every thread and process descriptor table under `proc_root` (normally
/// `/proc`), and users from the host's passwd and group files under `host_root`.
pub fn bootstrap_from_proc(proc_root: &Path, host_root: &Path) -> State {
    let mut state = State::new();
    state.users = Users::from_root(host_root);
    state.hostname = crate::state::hostname(proc_root);
    let Ok(dir) = fs::read_dir(proc_root) else {
        return state;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i64>().ok())
        else {
            continue;
        };
        let Ok(tasks) = fs::read_dir(entry.path().join("task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if state.thread_count() >= MAX_THREADS {
                return state;
            }
            let Some(tid) = task.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(t) = read_thread(proc_root, pid, tid) {
                state.insert_thread(t);
            }
        }
        read_fds(proc_root, pid, &mut state);
    }
    state
}
