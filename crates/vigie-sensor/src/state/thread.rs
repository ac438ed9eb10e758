//! One thread as the state knows it.

use crate::event::{split_nul, ParamValue, RawEvent};
use crate::scap::ThreadEntry;

use super::{container, State};

/// A thread and what its process looks like.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thread {
    /// Thread id.
    pub tid: i64,
    /// Process (thread group) id.
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id in its pid namespace.
    pub vpgid: i64,
    /// Thread id in its pid namespace.
    pub vtid: i64,
    /// Process id in its pid namespace.
    pub vpid: i64,
    /// Command name (`proc.name`).
    pub comm: String,
    /// The executable as invoked: argv\[0\] (`proc.exe`).
    pub exe: String,
    /// The executable's full path (`proc.exepath`).
    pub exepath: String,
    /// The arguments after argv\[0\] (`proc.args`).
    pub args: Vec<String>,
    /// Working directory, ending with `/` as libsinsp keeps it.
    pub cwd: String,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Login user id (u32::MAX when unset).
    pub loginuid: u32,
    /// Controlling terminal.
    pub tty: u32,
    /// Cgroups, `subsystem=path`.
    pub cgroups: Vec<String>,
    /// `container.id`: 12 hex digits, or `host`.
    pub container_id: String,
    /// Whether the executable is writable by the user.
    pub exe_writable: bool,
    /// Whether the executable lives in an overlay's upper layer.
    pub exe_upper_layer: bool,
    /// Whether the executable is a memfd.
    pub exe_from_memfd: bool,
    /// What the last exec reported of the image: environment, memory, inode.
    pub image: ExecImage,
    /// Whether the thread was made up from an event of a thread the state did not
    /// know (its process fields are then unknown).
    pub unknown: bool,
}

/// What an exec event reports of the new image (execve's exit parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecImage {
    /// The environment, `NAME=value` entries.
    pub env: Vec<String>,
    /// Virtual memory size, KiB.
    pub vm_size_kb: u32,
    /// Resident memory, KiB.
    pub vm_rss_kb: u32,
    /// Swapped-out memory, KiB.
    pub vm_swap_kb: u32,
    /// The executable's inode number (0: unknown).
    pub exe_ino: u64,
    /// The executable's inode change and modification times, ns since the epoch.
    pub exe_ino_ctime: u64,
    /// See `exe_ino_ctime`.
    pub exe_ino_mtime: u64,
}

impl ExecImage {
    /// The value of environment variable `name`, if set.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    }
}

impl Thread {
    /// A thread known only by its id.
    pub fn unknown(tid: i64) -> Self {
        Thread {
            tid,
            pid: tid,
            ptid: -1,
            sid: -1,
            vpgid: -1,
            vtid: -1,
            vpid: -1,
            loginuid: u32::MAX,
            container_id: container::HOST.to_string(),
            unknown: true,
            ..Thread::default()
        }
    }

    /// From a capture's process list entry.
    pub fn from_entry(e: &ThreadEntry) -> Self {
        let mut args = split_nul(&e.args).map(|a| a.into_owned());
        // The list's args are argv after argv[0] in current captures.
        let cgroups: Vec<String> = split_nul(&e.cgroups).map(|c| c.into_owned()).collect();
        let container_id = container::short_id(cgroups.iter().map(String::as_str));
        Thread {
            tid: e.tid,
            pid: e.pid,
            ptid: e.ptid,
            sid: e.sid,
            vpgid: e.vpgid,
            vtid: e.vtid,
            vpid: e.vpid,
            comm: e.comm.clone(),
            exe: e.exe.clone(),
            exepath: e.exepath.clone(),
            args: args.by_ref().collect(),
            cwd: with_slash(&e.cwd),
            uid: e.uid,
            gid: e.gid,
            loginuid: e.loginuid,
            tty: e.tty,
            cgroups,
            container_id,
            exe_writable: e.exe_writable,
            exe_upper_layer: e.exe_upper_layer,
            exe_from_memfd: e.exe_from_memfd,
            image: ExecImage {
                env: split_nul(&e.env).map(|v| v.into_owned()).collect(),
                ..ExecImage::default()
            },
            unknown: false,
        }
    }

    /// `proc.cmdline`: the name and the arguments.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// `proc.args`: the arguments joined by spaces.
    pub fn args_line(&self) -> String {
        self.args.join(" ")
    }
}

fn with_slash(dir: &str) -> String {
    if dir.ends_with('/') || dir.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/")
    }
}

/// Fills a thread from a clone child's or an execve's exit event.
pub(super) fn fill_from_event(t: &mut Thread, e: &RawEvent<'_>, state: &State) {
    let int = |name: &str| state.arg(e, name).and_then(|v| v.as_i64());
    let text = |name: &str| {
        state
            .arg(e, name)
            .and_then(|v| v.as_str().map(str::to_string))
    };
    t.unknown = false;
    for (name, id) in [
        ("pid", &mut t.pid),
        ("ptid", &mut t.ptid),
        ("vtid", &mut t.vtid),
        ("vpid", &mut t.vpid),
        ("vpgid", &mut t.vpgid),
    ] {
        if let Some(v) = int(name) {
            *id = v;
        }
    }
    if let Some(v) = text("exe") {
        t.exe = v;
    }
    if let Some(v) = text("comm") {
        t.comm = v;
    } else if !t.exe.is_empty() {
        t.comm = super::paths::filename(&t.exe).to_string();
    }
    if let Some(v) = text("trusted_exepath").or_else(|| text("filename")) {
        t.exepath = v;
    } else if t.exe.starts_with('/') {
        t.exepath = t.exe.clone();
    }
    if let Some(ParamValue::Bytes(b)) = state.arg(e, "args") {
        t.args = split_nul(b).map(|a| a.into_owned()).collect();
    }
    if let Some(v) = text("cwd") {
        if !v.is_empty() {
            t.cwd = with_slash(&v);
        }
    }
    if let Some(ParamValue::Bytes(b)) = state.arg(e, "cgroups") {
        t.cgroups = split_nul(b).map(|c| c.into_owned()).collect();
        t.container_id = container::short_id(t.cgroups.iter().map(String::as_str));
    }
    if let Some(v) = int("uid").filter(|&u| (0..u32::MAX as i64).contains(&u)) {
        t.uid = v as u32;
    }
    if let Some(v) = int("gid").filter(|&g| (0..u32::MAX as i64).contains(&g)) {
        t.gid = v as u32;
    }
    if let Some(v) = int("loginuid") {
        t.loginuid = v as u32;
    }
    if let Some(v) = int("tty") {
        t.tty = v as u32;
    }
    if e.name().starts_with("execve") {
        if let Some(ParamValue::Bytes(b)) = state.arg(e, "env") {
            t.image.env = split_nul(b).map(|v| v.into_owned()).collect();
        }
        let kb = |name: &str| int(name).and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
        let ns = |name: &str| int(name).and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        t.image.vm_size_kb = kb("vm_size");
        t.image.vm_rss_kb = kb("vm_rss");
        t.image.vm_swap_kb = kb("vm_swap");
        t.image.exe_ino = ns("exe_ino");
        t.image.exe_ino_ctime = ns("exe_ino_ctime");
        t.image.exe_ino_mtime = ns("exe_ino_mtime");
        let flags = int("flags").unwrap_or(0) as u32;
        t.exe_writable = flags & 1 != 0;
        t.exe_upper_layer = flags & 2 != 0;
        t.exe_from_memfd = flags & 4 != 0;
    }
}
