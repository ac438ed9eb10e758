//! Field values of one syscall event: its parameters, and the thread, process,
//! descriptor and user the state knows for it.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt::Write;
use std::sync::Arc;

use vigie_rules::{Event, Extracted, FieldRef, Val};

use super::{time, SysField};
use crate::event::{
    errno_name, resolve_flags, Direction, ParamExtra, ParamInfo, ParamType, ParamValue, RawEvent,
};
use crate::state::containers::ContainerInfo;
use crate::state::{container, paths, Fd, State, Thread};

/// How far ancestors are walked (a bound against parent loops in corrupt state).
const MAX_ANCESTORS: usize = 64;

/// Shells, for `proc.loginshellid`.
const SHELLS: &[&str] = &[
    "ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash", "fish",
];

/// One event as the rule engine sees it.
pub struct SyscallEvent<'a> {
    raw: RawEvent<'a>,
    state: &'a State,
    /// The event number (`evt.num`).
    pub num: u64,
    /// The CPU it came from.
    pub cpu: u16,
    thread: Option<&'a Thread>,
    fd_num: Option<i64>,
    fd: Option<&'a Fd>,
    /// The container's metadata, looked up once, when a field first needs it.
    container: OnceCell<Option<Arc<ContainerInfo>>>,
}

fn s(v: impl Into<String>) -> Extracted<'static> {
    Extracted::One(Val::Str(Cow::Owned(v.into())))
}

fn b<'x>(v: &'x str) -> Extracted<'x> {
    Extracted::One(Val::Str(Cow::Borrowed(v)))
}

fn n(v: i64) -> Extracted<'static> {
    Extracted::One(Val::Num(v))
}

fn flag(v: bool) -> Extracted<'static> {
    Extracted::One(Val::Bool(v))
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Extracted<'static>) -> Extracted<'static> {
    v.map_or(Extracted::Missing, f)
}

impl<'a> SyscallEvent<'a> {
    /// The event `raw` against `state` (after [`State::before`]).
    pub fn new(raw: RawEvent<'a>, state: &'a State, num: u64, cpu: u16) -> Self {
        let thread = state.thread(raw.tid as i64);
        let fd_num = state.event_fd(&raw);
        let fd = fd_num.and_then(|f| state.fd(raw.tid as i64, f));
        SyscallEvent {
            raw,
            state,
            num,
            cpu,
            thread,
            fd_num,
            fd,
            container: OnceCell::new(),
        }
    }

    /// The event.
    pub fn raw(&self) -> &RawEvent<'a> {
        &self.raw
    }

    /// The thread that produced the event, when known.
    pub fn thread(&self) -> Option<&'a Thread> {
        self.thread
    }

    fn parent(&self, t: &Thread) -> Option<&'a Thread> {
        (t.ptid != t.tid)
            .then(|| self.state.thread(t.ptid))
            .flatten()
    }

    /// The ancestors of the thread, parent first.
    fn ancestors(&self) -> Vec<&'a Thread> {
        let mut out = Vec::new();
        let mut cur = self.thread;
        while let Some(t) = cur.and_then(|t| self.parent(t)) {
            if out.len() >= MAX_ANCESTORS {
                break;
            }
            out.push(t);
            cur = Some(t);
        }
        out
    }

    fn ancestor_field(
        &self,
        field: &FieldRef,
        get: impl Fn(&Thread) -> Val<'static>,
    ) -> Extracted<'static> {
        let ancestors = self.ancestors();
        match field.arg.as_ref().and_then(|a| a.index) {
            // [0] is the process itself, [1] its parent...
            Some(0) => opt(self.thread, |t| Extracted::One(get(t))),
            Some(i) if i > 0 => opt(ancestors.get(i as usize - 1), |t| Extracted::One(get(t))),
            Some(_) => Extracted::Missing,
            None => Extracted::from_list(ancestors.iter().map(|t| get(t)).collect()),
        }
    }

    /// The exit result: the first parameter of exit events when it is an errno,
    /// descriptor or pid.
    fn res(&self) -> Option<i64> {
        let info = self.raw.info()?;
        if info.direction != Direction::Exit {
            return None;
        }
        let first = info.params.first()?;
        if !matches!(first.ty, ParamType::Errno | ParamType::Fd | ParamType::Pid) {
            return None;
        }
        self.raw.value(0)?.as_i64()
    }

    /// A parameter by name or position, with its table entry; the enter event's
    /// when the exit lacks it.
    fn param(&self, arg: &str) -> Option<(&'static ParamInfo, ParamValue<'a>)> {
        let from = |e: &RawEvent<'a>| -> Option<(&'static ParamInfo, ParamValue<'a>)> {
            let info = e.info()?;
            let i = match arg.parse::<usize>() {
                Ok(i) => i,
                Err(_) => info.param_index(arg)?,
            };
            let v = e.value(i)?;
            (v != ParamValue::Empty).then(|| (&info.params[i], v))
        };
        from(&self.raw).or_else(|| from(&self.state.enter_of(&self.raw)?))
    }

    /// A parameter rendered as `evt.arg` shows it: flag names, errno names, fd
    /// names, user names, or the value.
    fn render(&self, info: &ParamInfo, v: &ParamValue<'_>) -> String {
        match (info.ty, &info.info, v) {
            (_, ParamExtra::Flags(table), ParamValue::Uint(x)) => {
                let exact = matches!(
                    info.ty,
                    ParamType::Enumflags8 | ParamType::Enumflags16 | ParamType::Enumflags32
                );
                let names = resolve_flags(table, *x as u32, exact);
                if names.is_empty() {
                    x.to_string()
                } else {
                    names
                }
            }
            (ParamType::Errno, _, ParamValue::Int(x)) if *x < 0 => {
                errno_name(-x).map_or_else(|| x.to_string(), str::to_string)
            }
            (ParamType::Fd, _, ParamValue::Int(x)) => {
                match self.state.fd(self.raw.tid as i64, *x) {
                    Some(fd) => format!("{x}(<{}>{})", fd.kind.type_char(), fd.name),
                    None => x.to_string(),
                }
            }
            (ParamType::Uid, _, ParamValue::Uint(x)) => self
                .state
                .users
                .user(*x as u32)
                .map_or_else(|| x.to_string(), |u| u.name.clone()),
            (_, _, v) => plain(v),
        }
    }

    fn args_line(&self) -> String {
        let mut out = String::new();
        let Some(info) = self.raw.info() else {
            return out;
        };
        for (i, p) in info.params.iter().enumerate() {
            let Some(v) = self.raw.value(i) else { break };
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{}={}", p.name, self.render(p, &v));
        }
        out
    }

    fn open_flags(&self) -> Option<u32> {
        let name = self.raw.name();
        if !matches!(
            name,
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at"
        ) {
            return None;
        }
        if self.res().is_some_and(|r| r < 0) {
            return None;
        }
        Some(
            self.param("flags")
                .and_then(|(_, v)| v.as_u64())
                .unwrap_or(0) as u32,
        )
    }

    /// For the enter event of a syscall that creates a descriptor: the kind it will
    /// create (libsinsp shows `fd.num` -1 and this type letter before the exit).
    fn pending_fd_char(&self) -> Option<char> {
        let info = self.raw.info()?;
        if info.direction != Direction::Enter
            || info.flags & crate::event::event_flags::CREATES_FD == 0
        {
            return None;
        }
        match info.name {
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => Some('f'),
            "socket" => match self.param("domain").and_then(|(_, v)| v.as_u64()) {
                Some(1) => Some('u'),
                Some(2) => Some('4'),
                Some(10) => Some('6'),
                _ => None,
            },
            _ => None,
        }
    }

    /// The path a failed open named: libsinsp shows it as a file descriptor -1, so
    /// that rules on failed opens read `fd.name` (Falco's `open_file_failed`).
    fn failed_open_path(&self) -> Option<String> {
        let info = self.raw.info()?;
        if info.direction != Direction::Exit
            || !matches!(info.name, "open" | "openat" | "openat2" | "creat")
            || self.res()? >= 0
        {
            return None;
        }
        let path = self.param("name")?.1.as_str()?.to_string();
        let cwd = self.thread.map_or("/", |t| t.cwd.as_str());
        Some(paths::resolve(cwd, &path))
    }

    fn fd_field(&self, f: SysField) -> Extracted<'a> {
        if self.fd.is_none() {
            if let Some(path) = self.failed_open_path() {
                return match f {
                    SysField::FdNum => n(-1),
                    SysField::FdType => b("file"),
                    SysField::FdTypechar => b("f"),
                    SysField::FdName | SysField::FdNameraw | SysField::FsPathName => s(path),
                    SysField::FdDirectory => s(paths::directory(&path).to_string()),
                    SysField::FdFilename => s(paths::filename(&path).to_string()),
                    _ => Extracted::Missing,
                };
            }
        }
        let Some(fd) = self.fd else {
            let pending = if self.fd_num.is_none() {
                self.pending_fd_char()
            } else {
                None
            };
            return match (f, pending) {
                (SysField::FdNum, Some(_)) => n(-1),
                (SysField::FdTypechar, Some(c)) => s(c.to_string()),
                (SysField::FdNum, None) => opt(self.fd_num, n),
                _ => Extracted::Missing,
            };
        };
        let is_ip = fd.sip.is_some() || fd.dip.is_some();
        let ip = |x: Option<std::net::IpAddr>| opt(x, |ip| s(ip.to_string()));
        let port = |p: u16| {
            if is_ip {
                n(p as i64)
            } else {
                Extracted::Missing
            }
        };
        let (lip, lport, rip, rport) = if fd.is_server {
            (fd.dip, fd.dport, fd.sip, fd.sport)
        } else {
            (fd.sip, fd.sport, fd.dip, fd.dport)
        };
        let is_file = matches!(
            fd.kind,
            crate::scap::FdKind::File | crate::scap::FdKind::Directory
        );
        match f {
            SysField::FdNum => opt(self.fd_num, n),
            SysField::FdType => b(fd.kind.type_str()),
            SysField::FdTypechar => s(fd.kind.type_char().to_string()),
            SysField::FdName | SysField::FdNameraw | SysField::FsPathName => {
                Extracted::One(Val::Str(Cow::Borrowed(fd.name.as_str())))
            }
            SysField::FdDirectory if is_file => b(paths::directory(&fd.name)),
            SysField::FdFilename if is_file => b(paths::filename(&fd.name)),
            SysField::FdIp | SysField::FdNet => Extracted::from_list(
                [fd.sip, fd.dip]
                    .into_iter()
                    .flatten()
                    .map(|ip| Val::Str(Cow::Owned(ip.to_string())))
                    .collect(),
            ),
            SysField::FdCip | SysField::FdCnet => ip(fd.sip),
            SysField::FdSip | SysField::FdSnet => ip(fd.dip),
            SysField::FdLip | SysField::FdLnet => ip(lip),
            SysField::FdRip | SysField::FdRnet => ip(rip),
            SysField::FdPort if is_ip => {
                Extracted::Many(vec![Val::Num(fd.sport as i64), Val::Num(fd.dport as i64)])
            }
            SysField::FdCport => port(fd.sport),
            SysField::FdSport => port(fd.dport),
            SysField::FdLport => port(lport),
            SysField::FdRport => port(rport),
            // The protocol shows once the socket has addresses, as libsinsp's does.
            SysField::FdL4proto if !is_ip => Extracted::Missing,
            SysField::FdL4proto => match fd.l4proto {
                1 => b("tcp"),
                2 => b("udp"),
                3 => b("icmp"),
                4 => b("raw"),
                _ => Extracted::Missing,
            },
            SysField::FdSockfamily => match fd.kind.type_str() {
                "ipv4" | "ipv6" => b("ip"),
                "unix" => b("unix"),
                _ => Extracted::Missing,
            },
            SysField::FdIsServer => flag(fd.is_server),
            SysField::FdConnected => flag(fd.sip.is_some() && fd.dip.is_some()),
            _ => Extracted::Missing,
        }
    }

    fn std_fd(&self, num: i64, name: bool) -> Extracted<'a> {
        match self.state.fd(self.raw.tid as i64, num) {
            Some(fd) if name => Extracted::One(Val::Str(Cow::Borrowed(fd.name.as_str()))),
            Some(fd) => b(fd.kind.type_str()),
            None => Extracted::Missing,
        }
    }

    fn proc_field(&self, f: SysField, field: &FieldRef) -> Extracted<'a> {
        let Some(t) = self.thread.filter(|t| !t.unknown) else {
            return match f {
                SysField::ProcPid | SysField::ThreadTid => n(self.raw.tid as i64),
                _ => Extracted::Missing,
            };
        };
        let parent = self.parent(t);
        let st = |v: &'a str| Extracted::One(Val::Str(Cow::Borrowed(v)));
        match f {
            SysField::ProcName => st(&t.comm),
            SysField::ProcExe => st(&t.exe),
            SysField::ProcExepath => st(&t.exepath),
            SysField::ProcPname => opt(parent, |p| s(p.comm.clone())),
            SysField::ProcPexe => opt(parent, |p| s(p.exe.clone())),
            SysField::ProcPexepath => opt(parent, |p| s(p.exepath.clone())),
            SysField::ProcAname => {
                self.ancestor_field(field, |a| Val::Str(Cow::Owned(a.comm.clone())))
            }
            SysField::ProcAexe => {
                self.ancestor_field(field, |a| Val::Str(Cow::Owned(a.exe.clone())))
            }
            SysField::ProcAexepath => {
                self.ancestor_field(field, |a| Val::Str(Cow::Owned(a.exepath.clone())))
            }
            SysField::ProcApid => self.ancestor_field(field, |a| Val::Num(a.pid)),
            SysField::ProcAcmdline => {
                self.ancestor_field(field, |a| Val::Str(Cow::Owned(a.cmdline())))
            }
            SysField::ProcArgs => s(t.args_line()),
            SysField::ProcCmdline => s(t.cmdline()),
            SysField::ProcPcmdline => opt(parent, |p| s(p.cmdline())),
            SysField::ProcCmdnargs => n(t.args.len() as i64),
            SysField::ProcCmdlenargs => n(t.args.iter().map(|a| a.len() as i64).sum::<i64>()
                + t.args.len().saturating_sub(1) as i64),
            SysField::ProcExeline => {
                let mut line = t.exe.clone();
                for a in &t.args {
                    line.push(' ');
                    line.push_str(a);
                }
                s(line)
            }
            SysField::ProcCwd => st(&t.cwd),
            SysField::ProcEnv => match field.arg.as_ref() {
                Some(name) => t.image.env_var(&name.raw).map_or(Extracted::Missing, st),
                None if t.image.env.is_empty() => Extracted::Missing,
                None => s(t.image.env.join(" ")),
            },
            // Known from an exec only (a process found in /proc has none yet).
            SysField::ProcVmsize if t.image.vm_size_kb != 0 => n(i64::from(t.image.vm_size_kb)),
            SysField::ProcVmrss if t.image.vm_size_kb != 0 => n(i64::from(t.image.vm_rss_kb)),
            SysField::ProcVmswap if t.image.vm_size_kb != 0 => n(i64::from(t.image.vm_swap_kb)),
            SysField::ProcExeIno if t.image.exe_ino != 0 => n(t.image.exe_ino as i64),
            SysField::ProcExeInoCtime if t.image.exe_ino != 0 => n(t.image.exe_ino_ctime as i64),
            SysField::ProcExeInoMtime if t.image.exe_ino != 0 => n(t.image.exe_ino_mtime as i64),
            SysField::ProcLoginshellid => {
                let mut id = None;
                for a in std::iter::once(t).chain(self.ancestors()) {
                    if SHELLS.contains(&a.comm.as_str()) {
                        id = Some(a.pid);
                    }
                }
                n(id.unwrap_or(0))
            }
            SysField::ProcTty => n(t.tty as i64),
            SysField::ProcPid => n(t.pid),
            SysField::ProcPpid => opt(parent.map(|p| p.pid).or(Some(t.ptid)), n),
            SysField::ProcVpid => n(t.vpid),
            SysField::ProcPvpid => opt(parent.map(|p| p.vpid), n),
            SysField::ProcSid => n(t.sid),
            SysField::ProcSname => {
                let leader = self
                    .state
                    .thread(t.sid)
                    .or_else(|| self.ancestors().into_iter().rev().find(|a| a.pid == t.sid));
                opt(leader, |l| s(l.comm.clone()))
            }
            SysField::ProcVpgid => n(t.vpgid),
            SysField::ProcIsSidLeader => flag(t.sid == t.vpid || t.sid == t.pid),
            SysField::ProcIsVpgidLeader => flag(t.vpgid == t.vpid),
            SysField::ProcIsExeWritable => flag(t.exe_writable),
            SysField::ProcIsExeUpperLayer => flag(t.exe_upper_layer),
            SysField::ProcIsExeFromMemfd => flag(t.exe_from_memfd),
            SysField::ProcStdinType => self.std_fd(0, false),
            SysField::ProcStdoutType => self.std_fd(1, false),
            SysField::ProcStderrType => self.std_fd(2, false),
            SysField::ProcStdinName => self.std_fd(0, true),
            SysField::ProcStdoutName => self.std_fd(1, true),
            SysField::ProcStderrName => self.std_fd(2, true),
            SysField::ThreadTid => n(t.tid),
            SysField::ThreadVtid => n(t.vtid),
            SysField::ThreadIsmain => flag(t.tid == t.pid),
            SysField::ThreadCgroups => s(t.cgroups.join(" ")),
            SysField::UserUid => n(t.uid as i64),
            SysField::UserName => opt(self.state.users.user(t.uid), |u| s(u.name.clone())),
            SysField::UserHomedir => opt(self.state.users.user(t.uid), |u| s(u.homedir.clone())),
            SysField::UserShell => opt(self.state.users.user(t.uid), |u| s(u.shell.clone())),
            SysField::UserLoginuid => n(if t.loginuid == u32::MAX {
                -1
            } else {
                t.loginuid as i64
            }),
            SysField::UserLoginname => opt(
                (t.loginuid != u32::MAX)
                    .then(|| self.state.users.user(t.loginuid))
                    .flatten(),
                |u| s(u.name.clone()),
            ),
            SysField::GroupGid => n(t.gid as i64),
            SysField::GroupName => opt(self.state.users.group(t.gid), |g| s(g.to_string())),
            _ => Extracted::Missing,
        }
    }

    /// The metadata of the thread's container, when known.
    fn container(&self) -> Option<&ContainerInfo> {
        self.container
            .get_or_init(|| {
                let t = self.thread?;
                self.state
                    .containers
                    .lookup(&t.container_id, t.cgroups.iter().map(String::as_str))
            })
            .as_deref()
    }

    /// The container and Kubernetes fields: `host` names the host's processes;
    /// a container the capture or the runtime has not described (yet) has none.
    fn container_field(&self, f: SysField, field: &FieldRef) -> Extracted<'_> {
        let Some(t) = self.thread.filter(|t| !t.unknown) else {
            return Extracted::Missing;
        };
        let on_host = t.container_id == container::HOST;
        match f {
            SysField::ContainerId => b(&t.container_id),
            SysField::ContainerFullId => {
                let full = container::full_id(t.cgroups.iter().map(String::as_str));
                s(full.unwrap_or(container::HOST).to_string())
            }
            SysField::ContainerName if on_host => b(container::HOST),
            SysField::ContainerType if on_host => b(container::HOST),
            SysField::ContainerPrivileged if on_host => flag(false),
            _ => {
                let Some(c) = self.container() else {
                    return Extracted::Missing;
                };
                let text = |v: &str| {
                    if v.is_empty() {
                        Extracted::Missing
                    } else {
                        s(v)
                    }
                };
                let pod = c.pod.as_ref();
                match f {
                    SysField::ContainerName => text(&c.name),
                    SysField::ContainerImage => text(&c.image.full),
                    SysField::ContainerImageRepository => text(&c.image.repository),
                    SysField::ContainerImageTag => text(&c.image.tag),
                    SysField::ContainerImageDigest => text(&c.image.digest),
                    SysField::ContainerType => text(&c.runtime),
                    SysField::ContainerPrivileged => opt(c.privileged, flag),
                    SysField::K8sPodName => opt(pod, |p| text(&p.name)),
                    SysField::K8sPodUid => opt(pod, |p| text(&p.uid)),
                    SysField::K8sNsName => opt(pod, |p| text(&p.namespace)),
                    SysField::K8sPodLabels => opt(pod, |p| s(p.labels_line())),
                    SysField::K8sPodLabel => {
                        let key = field.arg.as_ref().map(|a| &*a.raw);
                        opt(pod.zip(key), |(p, k)| {
                            opt(p.labels.get(k), |v| s(v.as_str()))
                        })
                    }
                    _ => Extracted::Missing,
                }
            }
        }
    }
}

/// A value as text, without resolution.
fn plain(v: &ParamValue<'_>) -> String {
    match v {
        ParamValue::Empty => String::new(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Uint(u) => u.to_string(),
        ParamValue::Double(d) => d.to_string(),
        ParamValue::Str(s) => s.to_string(),
        ParamValue::Bytes(b) | ParamValue::Malformed(b) => {
            // Byte buffers print with NULs as dots, as sysdig shows them.
            b.iter()
                .map(|&c| {
                    if c.is_ascii_graphic() || c == b' ' {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect()
        }
        ParamValue::Ip(ip) => ip.to_string(),
        ParamValue::SockAddr(a) => a.to_string(),
        ParamValue::SockTuple(t) => t.to_string(),
        ParamValue::FdList(l) => l
            .iter()
            .map(|(fd, _)| fd.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn raw_val(v: &ParamValue<'_>) -> Val<'static> {
    match v {
        ParamValue::Int(i) => Val::Num(*i),
        ParamValue::Uint(u) => Val::Num(*u as i64),
        other => Val::Str(Cow::Owned(plain(other))),
    }
}

impl Event for SyscallEvent<'_> {
    fn event_type(&self) -> Option<&str> {
        Some(self.raw.name())
    }

    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        let Some(f) = SysField::from_id(field.id) else {
            return Extracted::Missing;
        };
        let ts = self.raw.ts;
        let info = self.raw.info();
        match f {
            SysField::EvtNum => n(self.num as i64),
            SysField::EvtTime => s(time::time(ts)),
            SysField::EvtTimeS => s(time::time_s(ts)),
            SysField::EvtTimeIso => s(time::iso8601(ts)),
            SysField::EvtDatetime => s(time::datetime(ts)),
            SysField::EvtDatetimeS => s(time::datetime_s(ts)),
            SysField::EvtRawtime => n(ts as i64),
            SysField::EvtRawtimeS => n((ts / 1_000_000_000) as i64),
            SysField::EvtRawtimeNs => n((ts % 1_000_000_000) as i64),
            SysField::EvtSource => b(super::SOURCE),
            SysField::EvtHostname => b(&self.state.hostname),
            SysField::EvtDir => opt(info, |i| s(i.direction.as_char().to_string())),
            SysField::EvtType => b(self.raw.name()),
            SysField::SyscallType => match info {
                Some(i) if i.category.syscall => b(i.name),
                _ => Extracted::Missing,
            },
            SysField::EvtCategory => opt(info, |i| s(i.category.class)),
            SysField::EvtCpu => n(self.cpu as i64),
            SysField::EvtArgs => s(self.args_line()),
            SysField::EvtArg => {
                let Some(arg) = field.arg.as_ref() else {
                    return Extracted::Missing;
                };
                opt(self.param(&arg.raw), |(p, v)| s(self.render(p, &v)))
            }
            SysField::EvtRawarg => {
                let Some(arg) = field.arg.as_ref() else {
                    return Extracted::Missing;
                };
                opt(self.param(&arg.raw), |(_, v)| Extracted::One(raw_val(&v)))
            }
            SysField::EvtRes => opt(self.res(), |r| {
                if r >= 0 {
                    b("SUCCESS")
                } else {
                    s(errno_name(-r).map_or_else(|| r.to_string(), str::to_string))
                }
            }),
            SysField::EvtRawres => opt(self.res(), n),
            SysField::EvtFailed => flag(self.res().is_some_and(|r| r < 0)),
            SysField::EvtIsOpenRead => flag(self.open_flags().is_some_and(|f| f & 1 != 0)),
            SysField::EvtIsOpenWrite => flag(self.open_flags().is_some_and(|f| f & 2 != 0)),
            SysField::EvtIsOpenExec => {
                // The file was created with an executable mode.
                let mode = self
                    .param("mode")
                    .and_then(|(_, v)| v.as_u64())
                    .unwrap_or(0);
                flag(
                    self.open_flags().is_some_and(|f| f & (4 | (1 << 14)) != 0)
                        && mode & 0o111 != 0,
                )
            }
            SysField::EvtIsOpenCreate => {
                flag(self.open_flags().is_some_and(|f| f & (1 << 14) != 0))
            }
            SysField::EvtAbspath => {
                let path = self
                    .param("name")
                    .or_else(|| self.param("path"))
                    .and_then(|(_, v)| v.as_str().map(str::to_string));
                let cwd = self.thread.map_or("/", |t| t.cwd.as_str());
                opt(path, |p| s(paths::resolve(cwd, &p)))
            }
            f if (SysField::ProcName as u16..=SysField::GroupName as u16).contains(&(f as u16)) => {
                self.proc_field(f, field)
            }
            f if (SysField::ContainerId as u16..=SysField::K8sNsName as u16)
                .contains(&(f as u16)) =>
            {
                self.container_field(f, field)
            }
            f => self.fd_field(f),
        }
    }
}
