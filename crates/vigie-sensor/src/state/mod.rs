//! The state syscall fields read: threads (from the capture's process list or /proc,
//! then kept by clone/fork/execve/exit events), one file descriptor table per
//! process (kept by open, socket, connect, accept, dup, pipe, close... events),
//! users and groups, and the container of each process.
//!
//! Events go through [`State::before`] (what the event creates is added, so that
//! its rules see it), then the rules, then [`State::after`] (what it destroys is
//! removed: a `close` still shows the file it closes).

pub mod container;
pub mod containers;
pub mod paths;
mod proc;
mod thread;
pub mod users;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::event::{event_flags, Direction, ParamValue, RawEvent, SockAddr};
use crate::scap::{Capture, FdKind};

pub use proc::bootstrap_from_proc;
pub use thread::{ExecImage, Thread};
pub use users::{User, Users};

/// An open file descriptor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fd {
    /// What it is.
    pub kind: FdKind,
    /// Its name: the path of files, `sip:sport->dip:dport` of connected sockets,
    /// the path of unix sockets, `memfd:NAME`...
    pub name: String,
    /// Open flags (files).
    pub open_flags: u32,
    /// Client address (sockets).
    pub sip: Option<IpAddr>,
    /// Client port.
    pub sport: u16,
    /// Server address.
    pub dip: Option<IpAddr>,
    /// Server port.
    pub dport: u16,
    /// Transport protocol: 1 tcp, 2 udp, 3 icmp, 4 raw (libscap's numbering); 0 unknown.
    pub l4proto: u8,
    /// Whether this process is the server end (accepted or listening).
    pub is_server: bool,
}

impl Fd {
    /// A descriptor of some kind with a name.
    pub fn named(kind: FdKind, name: impl Into<String>) -> Self {
        Fd {
            kind,
            name: name.into(),
            ..Fd::default()
        }
    }

    /// Makes this a connected IPv4 or IPv6 socket (the family of `dip`), named
    /// `sip:sport->dip:dport`.
    fn connect(&mut self, sip: IpAddr, sport: u16, dip: IpAddr, dport: u16) {
        self.kind = FdKind::of_family(dip, FdKind::Ipv4Sock, FdKind::Ipv6Sock);
        self.sip = Some(sip);
        self.sport = sport;
        self.dip = Some(dip);
        self.dport = dport;
        self.name = format!(
            "{}->{}",
            SockAddr::Inet(sip, sport),
            SockAddr::Inet(dip, dport)
        );
    }

    /// Makes this a server socket bound to `ip:port`, and names it so.
    fn serve(&mut self, ip: IpAddr, port: u16) {
        self.kind = FdKind::of_family(ip, FdKind::Ipv4ServSock, FdKind::Ipv6ServSock);
        self.dip = Some(ip);
        self.dport = port;
        self.is_server = true;
        self.name = SockAddr::Inet(ip, port).to_string();
    }
}

impl FdKind {
    /// `v4` for an IPv4 address, `v6` for an IPv6 one.
    fn of_family(ip: IpAddr, v4: FdKind, v6: FdKind) -> FdKind {
        if ip.is_ipv4() {
            v4
        } else {
            v6
        }
    }

    /// `fd.type`.
    pub fn type_str(self) -> &'static str {
        self.names().0
    }

    /// `fd.typechar`.
    pub fn type_char(self) -> char {
        self.names().1
    }

    /// `fd.type` and `fd.typechar`, side by side.
    fn names(self) -> (&'static str, char) {
        match self {
            FdKind::File => ("file", 'f'),
            FdKind::Directory => ("directory", 'd'),
            FdKind::Ipv4Sock | FdKind::Ipv4ServSock => ("ipv4", '4'),
            FdKind::Ipv6Sock | FdKind::Ipv6ServSock => ("ipv6", '6'),
            FdKind::UnixSock => ("unix", 'u'),
            FdKind::Fifo => ("pipe", 'p'),
            FdKind::Event => ("event", 'e'),
            FdKind::Signalfd => ("signalfd", 's'),
            FdKind::Eventpoll => ("eventpoll", 'l'),
            FdKind::Inotify => ("inotify", 'i'),
            FdKind::Timerfd => ("timerfd", 't'),
            FdKind::Netlink => ("netlink", 'n'),
            FdKind::Bpf => ("bpf", 'b'),
            FdKind::Userfaultfd => ("userfaultfd", 'u'),
            FdKind::Iouring => ("io_uring", 'r'),
            FdKind::Memfd => ("memfd", 'm'),
            FdKind::Pidfd => ("pidfd", 'P'),
            FdKind::Unsupported => ("unsupported", 'X'),
        }
    }
}

/// Processes, file descriptors and users.
#[derive(Debug, Default)]
pub struct State {
    threads: HashMap<i64, Thread>,
    /// File descriptor tables, by process (thread group) id.
    fds: HashMap<i64, HashMap<i64, Fd>>,
    /// The last enter event of each thread, for exit events whose parameters are in
    /// their enter event (old captures).
    enters: HashMap<i64, Vec<u8>>,
    /// Users and groups.
    pub users: Users,
    /// The host name (`evt.hostname`).
    pub hostname: String,
    /// Threads created from events because they were unknown.
    pub threads_created: u64,
    /// What is known of containers beyond their ids.
    pub containers: containers::Containers,
}

/// How many threads the table keeps at most: past it, clone events of unknown
/// threads are not tracked (a bound on what a flood of events can allocate).
pub const MAX_THREADS: usize = 1 << 20;
/// How many descriptors one process table keeps at most.
pub const MAX_FDS_PER_PROCESS: usize = 1 << 16;

/// `AT_FDCWD`: paths relative to the working directory.
const AT_FDCWD: i64 = -100;

fn tuple_fd(fd: &mut Fd, src: SockAddr<'_>, dst: SockAddr<'_>) {
    match (src, dst) {
        (SockAddr::Inet(sip, sport), SockAddr::Inet(dip, dport)) => {
            fd.connect(sip, sport, dip, dport);
        }
        (_, SockAddr::Unix(path)) => {
            fd.kind = FdKind::UnixSock;
            fd.name = path.to_string();
        }
        _ => {}
    }
}

impl State {
    /// An empty state.
    pub fn new() -> Self {
        State::default()
    }

    /// The state a capture starts with: its process list, descriptors and users.
    pub fn from_capture(cap: &Capture) -> Self {
        let mut s = State::new();
        s.users = Users::from_capture(&cap.users, &cap.groups);
        if let Some(m) = &cap.machine {
            s.hostname = m.hostname.clone();
        }
        for t in &cap.threads {
            s.threads.insert(t.tid, Thread::from_entry(t));
        }
        for f in &cap.fds {
            let pid = s.threads.get(&f.tid).map_or(f.tid, |t| t.pid);
            let mut fd = Fd::named(f.kind, f.name.clone());
            fd.open_flags = f.open_flags;
            fd.sip = f.sip;
            fd.sport = f.sport;
            fd.dip = f.dip;
            fd.dport = f.dport;
            fd.l4proto = f.l4proto;
            match f.kind {
                FdKind::Ipv4Sock | FdKind::Ipv6Sock => {
                    if let (Some(sip), Some(dip)) = (f.sip, f.dip) {
                        fd.connect(sip, f.sport, dip, f.dport);
                    }
                }
                FdKind::Ipv4ServSock | FdKind::Ipv6ServSock => {
                    fd.is_server = true;
                    if let Some(ip) = f.dip {
                        fd.serve(ip, f.dport);
                    }
                }
                _ => {}
            }
            s.fds.entry(pid).or_default().insert(f.fd, fd);
        }
        s
    }

    /// Adds or replaces a thread.
    pub fn insert_thread(&mut self, t: Thread) {
        if self.threads.len() < MAX_THREADS || self.threads.contains_key(&t.tid) {
            self.threads.insert(t.tid, t);
        }
    }

    /// Adds or replaces a descriptor of a process.
    pub fn insert_fd(&mut self, pid: i64, num: i64, fd: Fd) {
        let table = self.fds.entry(pid).or_default();
        if table.len() < MAX_FDS_PER_PROCESS || table.contains_key(&num) {
            table.insert(num, fd);
        }
    }

    /// The thread with this id.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// How many threads are known.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Descriptor `num` of the process that thread `tid` belongs to.
    pub fn fd(&self, tid: i64, num: i64) -> Option<&Fd> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.get(&pid)?.get(&num)
    }

    /// The enter event paired with an exit event, when it was the thread's last.
    pub fn enter_of<'s>(&'s self, exit: &RawEvent<'_>) -> Option<RawEvent<'s>> {
        if exit.info()?.direction != Direction::Exit {
            return None;
        }
        let bytes = self.enters.get(&(exit.tid as i64))?;
        let enter = RawEvent::parse(bytes).ok()?;
        (enter.code + 1 == exit.code).then_some(enter)
    }

    /// A parameter of the event, or of its enter event when the exit lacks it.
    pub fn arg<'s, 'e: 's>(&'s self, e: &RawEvent<'e>, name: &str) -> Option<ParamValue<'s>> {
        match e.value_named(name) {
            Some(ParamValue::Empty) | None => self.enter_of(e)?.value_named(name),
            v => v,
        }
    }

    fn int_arg(&self, e: &RawEvent<'_>, name: &str) -> Option<i64> {
        self.arg(e, name)?.as_i64()
    }

    fn str_arg(&self, e: &RawEvent<'_>, name: &str) -> Option<String> {
        self.arg(e, name)?.as_str().map(str::to_string)
    }

    /// The descriptor number an event is about: the one it creates (its result),
    /// or the one it uses (its `fd` argument).
    pub fn event_fd(&self, e: &RawEvent<'_>) -> Option<i64> {
        let info = e.info()?;
        if info.flags & event_flags::CREATES_FD != 0 && info.direction == Direction::Exit {
            let res = self.int_arg(e, "fd").or_else(|| self.int_arg(e, "res"));
            // dup/fcntl return the new descriptor in `res`.
            let res = if matches!(info.name, "dup" | "dup2" | "dup3" | "fcntl") {
                self.int_arg(e, "res")
            } else {
                res
            };
            return res.filter(|&fd| fd >= 0);
        }
        if info.flags & (event_flags::USES_FD | event_flags::DESTROYS_FD) != 0 {
            return self.int_arg(e, "fd");
        }
        None
    }

    /// Updates the state with what an event creates or changes, before rules see it.
    pub fn before(&mut self, e: &RawEvent<'_>) {
        let Some(info) = e.info() else { return };
        let tid = e.tid as i64;
        if let Some(c) = containers::ContainerInfo::from_event(e) {
            self.containers.insert_captured(c);
            return;
        }
        if info.direction == Direction::Enter {
            let slot = self.enters.entry(tid).or_default();
            slot.clear();
            slot.extend_from_slice(e.bytes());
            if info.name == "procexit" {
                return;
            }
            return;
        }
        if !self.threads.contains_key(&tid) && self.threads.len() < MAX_THREADS {
            self.threads_created += 1;
            self.threads.insert(tid, Thread::unknown(tid));
        }
        match info.name {
            "clone" | "fork" | "vfork" | "clone3" => self.on_clone(e),
            "execve" | "execveat" => self.on_execve(e),
            "chdir" if self.int_arg(e, "res") == Some(0) => {
                if let Some(path) = self.str_arg(e, "path") {
                    if let Some(t) = self.threads.get_mut(&tid) {
                        t.cwd = format!("{}/", paths::resolve(&t.cwd, &path).trim_end_matches('/'));
                    }
                }
            }
            "fchdir" if self.int_arg(e, "res") == Some(0) => {
                let dir = self
                    .int_arg(e, "fd")
                    .and_then(|fd| self.fd(tid, fd))
                    .map(|f| format!("{}/", f.name.trim_end_matches('/')));
                if let (Some(dir), Some(t)) = (dir, self.threads.get_mut(&tid)) {
                    t.cwd = dir;
                }
            }
            "setuid" | "setresuid" | "setreuid" | "setgid" | "setresgid" | "setregid"
            | "setsid" => self.on_credentials(e),
            _ => {}
        }
        if info.flags & event_flags::CREATES_FD != 0 {
            self.on_new_fd(e);
        }
        if matches!(info.name, "connect" | "bind" | "listen") {
            self.on_socket_use(e);
        }
    }

    /// Removes what an event destroyed, after rules saw it.
    pub fn after(&mut self, e: &RawEvent<'_>) {
        let Some(info) = e.info() else { return };
        let tid = e.tid as i64;
        match (info.name, info.direction) {
            ("close", Direction::Exit) if self.int_arg(e, "res") == Some(0) => {
                if let Some(fd) = self.int_arg(e, "fd") {
                    let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
                    if let Some(table) = self.fds.get_mut(&pid) {
                        table.remove(&fd);
                    }
                }
            }
            ("procexit", _) => {
                self.enters.remove(&tid);
                if let Some(t) = self.threads.remove(&tid) {
                    // The descriptor table goes with the last thread of the process.
                    if !self.threads.values().any(|o| o.pid == t.pid) {
                        self.fds.remove(&t.pid);
                    }
                }
            }
            _ => {}
        }
        if info.direction == Direction::Exit {
            self.enters.remove(&tid);
        }
    }

    fn on_clone(&mut self, e: &RawEvent<'_>) {
        let Some(res) = self.int_arg(e, "res") else {
            return;
        };
        let tid = e.tid as i64;
        if res < 0 {
            return;
        }
        // The child's own event (res 0) describes it; the parent's (res = child)
        // creates it from the parent when the child's event has not come yet.
        let child_tid = if res == 0 { tid } else { res };
        if res > 0 && self.threads.contains_key(&child_tid) {
            return;
        }
        let flags = self.int_arg(e, "flags").unwrap_or(0) as u32;
        let parent = if res == 0 {
            self.int_arg(e, "ptid")
                .and_then(|p| self.threads.get(&p))
                .cloned()
        } else {
            self.threads.get(&tid).cloned()
        };
        let mut t = parent.unwrap_or_else(|| Thread::unknown(child_tid));
        t.tid = child_tid;
        const CLONE_THREAD: u32 = 1 << 13;
        if res == 0 {
            thread::fill_from_event(&mut t, e, self);
        } else {
            t.ptid = tid;
            if flags & CLONE_THREAD == 0 {
                t.pid = child_tid;
            }
        }
        let parent_pid = self.threads.get(&t.ptid).map(|p| p.pid);
        if t.pid != parent_pid.unwrap_or(t.pid) && flags & CLONE_THREAD == 0 {
            // A new process gets a copy of its parent's descriptors.
            if let Some(table) = parent_pid.and_then(|p| self.fds.get(&p)).cloned() {
                self.fds.insert(t.pid, table);
            }
        }
        self.insert_thread(t);
    }

    fn on_execve(&mut self, e: &RawEvent<'_>) {
        if self.int_arg(e, "res") != Some(0) {
            return;
        }
        let tid = e.tid as i64;
        let mut t = self
            .threads
            .remove(&tid)
            .unwrap_or_else(|| Thread::unknown(tid));
        thread::fill_from_event(&mut t, e, self);
        self.threads.insert(tid, t);
    }

    fn on_credentials(&mut self, e: &RawEvent<'_>) {
        if self.int_arg(e, "res").is_some_and(|r| r < 0) {
            return;
        }
        let tid = e.tid as i64;
        let name = e.name();
        let uid = self.int_arg(e, "uid").or_else(|| self.int_arg(e, "euid"));
        let gid = self.int_arg(e, "gid").or_else(|| self.int_arg(e, "egid"));
        let sid = self.int_arg(e, "res");
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        match name {
            "setuid" | "setresuid" | "setreuid" => {
                if let Some(u) = uid.filter(|&u| u >= 0 && u < u32::MAX as i64) {
                    t.uid = u as u32;
                }
            }
            "setgid" | "setresgid" | "setregid" => {
                if let Some(g) = gid.filter(|&g| g >= 0 && g < u32::MAX as i64) {
                    t.gid = g as u32;
                }
            }
            "setsid" => {
                if let Some(s) = sid {
                    t.sid = s;
                }
            }
            _ => {}
        }
    }

    fn on_new_fd(&mut self, e: &RawEvent<'_>) {
        let tid = e.tid as i64;
        let name = e.name();
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let cwd = self
            .threads
            .get(&tid)
            .map(|t| t.cwd.clone())
            .unwrap_or_default();
        match name {
            "pipe" | "pipe2" | "socketpair" => {
                if self.int_arg(e, "res").is_some_and(|r| r < 0) {
                    return;
                }
                let kind = if name == "socketpair" {
                    FdKind::UnixSock
                } else {
                    FdKind::Fifo
                };
                for p in ["fd1", "fd2"] {
                    if let Some(fd) = self.int_arg(e, p).filter(|&f| f >= 0) {
                        self.insert_fd(pid, fd, Fd::named(kind, ""));
                    }
                }
                return;
            }
            _ => {}
        }
        let Some(num) = self.event_fd(e) else { return };
        let fd = match name {
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => {
                let path = self
                    .str_arg(e, "name")
                    .or_else(|| self.str_arg(e, "path"))
                    .unwrap_or_default();
                let dirfd = self.int_arg(e, "dirfd").unwrap_or(AT_FDCWD);
                let base = if path.starts_with('/') || dirfd == AT_FDCWD {
                    cwd
                } else {
                    self.fd(tid, dirfd).map(|f| f.name.clone()).unwrap_or(cwd)
                };
                let flags = self.int_arg(e, "flags").unwrap_or(0) as u32;
                const O_DIRECTORY: u32 = 1 << 10;
                let kind = if flags & O_DIRECTORY != 0 {
                    FdKind::Directory
                } else {
                    FdKind::File
                };
                let mut fd = Fd::named(kind, paths::resolve(&base, &path));
                fd.open_flags = flags;
                fd
            }
            "socket" => {
                let domain = self.int_arg(e, "domain").unwrap_or(0);
                let ty = self.int_arg(e, "type").unwrap_or(0) & 0xf;
                let kind = match domain {
                    1 => FdKind::UnixSock,
                    2 => FdKind::Ipv4Sock,
                    10 => FdKind::Ipv6Sock,
                    16 => FdKind::Netlink,
                    _ => FdKind::Unsupported,
                };
                let mut fd = Fd::named(kind, "");
                // SOCK_STREAM 1 → tcp, SOCK_DGRAM 2 → udp, SOCK_RAW 3 → raw.
                fd.l4proto = match ty {
                    1 => 1,
                    2 => 2,
                    3 => 4,
                    _ => 0,
                };
                fd
            }
            "accept" | "accept4" => {
                let mut fd = Fd::named(FdKind::Ipv4Sock, "");
                if let Some(ParamValue::SockTuple(t)) = self.arg(e, "tuple") {
                    tuple_fd(&mut fd, t.src, t.dst);
                }
                fd.is_server = true;
                fd.l4proto = 1;
                fd
            }
            "dup" | "dup2" | "dup3" | "fcntl" => {
                let old = self.int_arg(e, "oldfd").or_else(|| self.int_arg(e, "fd"));
                if name == "fcntl" {
                    // Only F_DUPFD (1) and F_DUPFD_CLOEXEC (2 in libscap's numbering)
                    // create descriptors.
                    let cmd = self.int_arg(e, "cmd").unwrap_or(0);
                    if !matches!(cmd, 1 | 2) {
                        return;
                    }
                }
                match old.and_then(|o| self.fd(tid, o)).cloned() {
                    Some(fd) => fd,
                    None => return,
                }
            }
            "memfd_create" => {
                let n = self.str_arg(e, "name").unwrap_or_default();
                Fd::named(FdKind::Memfd, format!("memfd:{n}"))
            }
            "eventfd" | "eventfd2" => Fd::named(FdKind::Event, ""),
            "signalfd" | "signalfd4" => Fd::named(FdKind::Signalfd, ""),
            "timerfd_create" => Fd::named(FdKind::Timerfd, ""),
            "inotify_init" | "inotify_init1" => Fd::named(FdKind::Inotify, ""),
            "epoll_create" | "epoll_create1" => Fd::named(FdKind::Eventpoll, ""),
            "userfaultfd" => Fd::named(FdKind::Userfaultfd, ""),
            "io_uring_setup" => Fd::named(FdKind::Iouring, ""),
            "bpf" => Fd::named(FdKind::Bpf, ""),
            "pidfd_open" | "pidfd_getfd" => Fd::named(FdKind::Pidfd, ""),
            _ => return,
        };
        self.insert_fd(pid, num, fd);
    }

    fn on_socket_use(&mut self, e: &RawEvent<'_>) {
        let tid = e.tid as i64;
        let Some(num) = self.int_arg(e, "fd") else {
            return;
        };
        let res = self.int_arg(e, "res").unwrap_or(0);
        let tuple = self.arg(e, "tuple");
        let addr = self.arg(e, "addr");
        let name = e.name();
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let Some(mut fd) = self.fd(tid, num).cloned() else {
            return;
        };
        let fd_ref = &mut fd;
        match name {
            // A connect in progress (EINPROGRESS, -115) still names its peer.
            "connect" if res == 0 || res == -115 => {
                if let Some(ParamValue::SockTuple(t)) = tuple {
                    tuple_fd(fd_ref, t.src, t.dst);
                } else if let Some(ParamValue::SockAddr(a)) = addr {
                    tuple_fd(fd_ref, SockAddr::Unix(""), a);
                }
            }
            "bind" if res == 0 => {
                if let Some(ParamValue::SockAddr(SockAddr::Inet(ip, port))) = addr {
                    fd_ref.serve(ip, port);
                } else if let Some(ParamValue::SockAddr(SockAddr::Unix(p))) = addr {
                    fd_ref.name = p.to_string();
                }
            }
            "listen" => fd_ref.is_server = true,
            _ => {}
        }
        self.insert_fd(pid, num, fd);
    }
}

#[cfg(test)]
mod tests;

/// The host name from `PROC/sys/kernel/hostname`.
fn hostname(proc_root: &std::path::Path) -> String {
    std::fs::read_to_string(proc_root.join("sys/kernel/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}
