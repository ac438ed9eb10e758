//! The metadata blocks of a capture: machine information, the process list (block
//! versions 1 to 9), file descriptor lists, and users and groups.

use super::cursor::{Cursor, Short};

/// libscap's string limits for the process list.
const MAX_PATH: usize = 1024;
const MAX_ARGS: usize = 4096;
const MAX_ENV: usize = 4096;
const MAX_CGROUPS: usize = 4096;
const MAX_CREDENTIALS: usize = 256;

/// The machine the capture was taken on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineInfo {
    /// Processors.
    pub num_cpus: u32,
    /// Physical memory.
    pub memory_size_bytes: u64,
    /// The highest pid.
    pub max_pid: u64,
    /// The host name.
    pub hostname: String,
    /// Boot time, nanoseconds since the epoch (0 in old captures).
    pub boot_ts_epoch: u64,
}

pub(super) fn machine_info(body: &[u8]) -> Result<MachineInfo, Short> {
    let mut c = Cursor::new(body);
    let num_cpus = c.u32("num_cpus")?;
    let memory_size_bytes = c.u64("memory_size_bytes")?;
    let max_pid = c.u64("max_pid")?;
    let hostname = super::super::event::c_str(c.take(128, "hostname")?)
        .unwrap_or("")
        .to_string();
    let boot_ts_epoch = if c.left() >= 8 { c.u64("boot_ts")? } else { 0 };
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch,
    })
}

/// One thread of the capture's process list (what was running when it started).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadEntry {
    /// Thread id.
    pub tid: i64,
    /// Process id.
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id (-1 when the block version has none).
    pub sid: i64,
    /// Process group id in its namespace (-1 when unknown).
    pub vpgid: i64,
    /// The command name.
    pub comm: String,
    /// The executable as invoked (argv\[0\]).
    pub exe: String,
    /// The executable's full path (block version 7 on).
    pub exepath: String,
    /// Arguments, NUL-separated.
    pub args: Vec<u8>,
    /// Working directory.
    pub cwd: String,
    /// File descriptor limit.
    pub fdlimit: u64,
    /// libscap's thread flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Environment, NUL-separated.
    pub env: Vec<u8>,
    /// Thread id in its pid namespace (-1 when unknown).
    pub vtid: i64,
    /// Process id in its pid namespace (-1 when unknown).
    pub vpid: i64,
    /// Cgroups, NUL-separated `subsystem=path` entries.
    pub cgroups: Vec<u8>,
    /// Root directory.
    pub root: String,
    /// Controlling terminal.
    pub tty: u32,
    /// Login user id (u32::MAX when unset).
    pub loginuid: u32,
    /// Whether the executable is writable by the user.
    pub exe_writable: bool,
    /// Whether the executable lives in an overlay's upper layer.
    pub exe_upper_layer: bool,
    /// Whether the executable is a memfd.
    pub exe_from_memfd: bool,
}

/// Process list block versions, from their block type.
pub(super) fn proclist_version(block_type: u32) -> Option<u32> {
    Some(match block_type {
        0x202 | 0x8000ABCD => 1,
        0x207 | 0x8013ABCD => 2,
        0x209 | 0x8014ABCD => 3,
        0x210 => 4,
        0x211 => 5,
        0x212 => 6,
        0x213 => 7,
        0x214 => 8,
        0x215 => 9,
        _ => return None,
    })
}

/// Reads the entries of a process list block; stops at the first entry that does
/// not fit and reports it, keeping the entries before it.
pub(super) fn proclist(
    body: &[u8],
    version: u32,
    out: &mut Vec<ThreadEntry>,
) -> Result<(), (usize, Short)> {
    each_entry(&mut Cursor::new(body), |c| {
        out.push(thread(c, version)?);
        Ok(())
    })
}

/// Reads entries with `read` while at least 4 bytes are left (the smallest
/// entry); stops at the first that does not fit and reports where it starts.
fn each_entry(
    c: &mut Cursor<'_>,
    mut read: impl FnMut(&mut Cursor<'_>) -> Result<(), Short>,
) -> Result<(), (usize, Short)> {
    while c.left() >= 4 {
        let start = c.pos();
        read(c).map_err(|e| (start, e))?;
    }
    Ok(())
}

fn thread(c: &mut Cursor<'_>, version: u32) -> Result<ThreadEntry, Short> {
    let sub_len = if version >= 9 {
        c.u32("entry length")? as usize
    } else {
        0
    };
    let start = c.pos();
    let mut t = ThreadEntry {
        sid: -1,
        vpgid: -1,
        vtid: -1,
        vpid: -1,
        loginuid: u32::MAX,
        ..ThreadEntry::default()
    };
    t.tid = c.u64("tid")? as i64;
    t.pid = c.u64("pid")? as i64;
    t.ptid = c.u64("ptid")? as i64;
    if version >= 6 {
        t.sid = c.u64("sid")? as i64;
    }
    if version >= 8 {
        t.vpgid = c.u64("vpgid")? as i64;
    }
    t.comm = c.str16("comm", MAX_PATH)?;
    t.exe = c.str16("exe", MAX_PATH)?;
    if version >= 7 {
        t.exepath = c.str16("exepath", MAX_PATH)?;
    }
    t.args = c.bytes16("args", MAX_ARGS)?.to_vec();
    t.cwd = c.str16("cwd", MAX_PATH)?;
    t.fdlimit = c.u64("fdlimit")?;
    t.flags = c.u32("flags")?;
    t.uid = c.u32("uid")?;
    t.gid = c.u32("gid")?;
    if version >= 2 {
        c.skip(4 + 4 + 4 + 8 + 8, "memory counters")?;
        if version >= 3 {
            t.env = c.bytes16("env", MAX_ENV)?.to_vec();
        }
        if version >= 4 {
            t.vtid = c.u64("vtid")? as i64;
            t.vpid = c.u64("vpid")? as i64;
            t.cgroups = c.bytes16("cgroups", MAX_CGROUPS)?.to_vec();
            if version >= 5 {
                t.root = c.str16("root", MAX_PATH)?;
            }
        }
    }
    if sub_len > 0 {
        // Fields added later are present when the entry's length leaves room for
        // them. Captures written before libs 0.10 end with 29 bytes (loginuid,
        // exe_writable, three capability sets) and lack the two fields that were
        // inserted before them.
        let read = |c: &Cursor<'_>| c.pos() - start + 4;
        let room = |c: &Cursor<'_>, n: usize| read(c) + n <= sub_len;
        if sub_len.saturating_sub(read(c)) > 29 {
            if room(c, 8) {
                c.skip(8, "pidns_init_start_ts")?;
            }
            if room(c, 4) {
                t.tty = c.u32("tty")?;
            }
        }
        if room(c, 4) {
            t.loginuid = c.u32("loginuid")?;
        }
        if room(c, 1) {
            t.exe_writable = c.u8("exe_writable")? != 0;
        }
        for _ in 0..3 {
            if room(c, 8) {
                c.skip(8, "capabilities")?;
            }
        }
        if room(c, 1) {
            t.exe_upper_layer = c.u8("exe_upper_layer")? != 0;
        }
        for _ in 0..3 {
            if room(c, 8) {
                c.skip(8, "exe inode")?;
            }
        }
        if room(c, 1) {
            t.exe_from_memfd = c.u8("exe_from_memfd")? != 0;
        }
        // Skip what this reader does not know (newer fields).
        // The length counts its own 4 bytes, which precede `start`.
        skip_rest(c, start, sub_len.saturating_sub(4))?;
    }
    Ok(t)
}

/// libscap's file descriptor types in captures; `Unsupported` when not known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FdKind {
    File,
    Directory,
    Ipv4Sock,
    Ipv6Sock,
    Ipv4ServSock,
    Ipv6ServSock,
    Fifo,
    UnixSock,
    Event,
    #[default]
    Unsupported,
    Signalfd,
    Eventpoll,
    Inotify,
    Timerfd,
    Netlink,
    Bpf,
    Userfaultfd,
    Iouring,
    Memfd,
    Pidfd,
}

impl FdKind {
    fn from_code(code: u8) -> FdKind {
        use FdKind::*;
        match code {
            1 | 16 => File,
            2 => Directory,
            3 => Ipv4Sock,
            4 => Ipv6Sock,
            5 => Ipv4ServSock,
            6 => Ipv6ServSock,
            7 => Fifo,
            8 => UnixSock,
            9 => Event,
            11 => Signalfd,
            12 => Eventpoll,
            13 => Inotify,
            14 => Timerfd,
            15 => Netlink,
            17 => Bpf,
            18 => Userfaultfd,
            19 => Iouring,
            20 => Memfd,
            21 => Pidfd,
            _ => Unsupported,
        }
    }
}

/// One open file descriptor of a thread when the capture started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdEntry {
    /// The thread owning it.
    pub tid: i64,
    /// Its number.
    pub fd: i64,
    /// Its inode.
    pub ino: u64,
    /// What it is.
    pub kind: FdKind,
    /// Its name: path, or unix socket path.
    pub name: String,
    /// Open flags (files of the second version).
    pub open_flags: u32,
    /// Source and destination (client and server) for sockets; the local address
    /// and port as destination for listening sockets.
    pub sip: Option<std::net::IpAddr>,
    /// Source port.
    pub sport: u16,
    /// Destination address.
    pub dip: Option<std::net::IpAddr>,
    /// Destination port.
    pub dport: u16,
    /// Transport protocol (libscap's `SCAP_L4_*`: 1 tcp, 2 udp, 3 icmp, 4 raw).
    pub l4proto: u8,
}

pub(super) fn fdlist(body: &[u8], v2: bool, out: &mut Vec<FdEntry>) -> Result<(), (usize, Short)> {
    let mut c = Cursor::new(body);
    let tid = c.u64("tid").map_err(|e| (0, e))? as i64;
    each_entry(&mut c, |c| {
        out.push(fd_entry(c, v2, tid)?);
        Ok(())
    })
}

fn ip4(c: &mut Cursor<'_>, what: &'static str) -> Result<std::net::IpAddr, Short> {
    let b: [u8; 4] = c.take(4, what)?.try_into().expect("4");
    Ok(std::net::Ipv4Addr::from(b).into())
}

fn ip6(c: &mut Cursor<'_>, what: &'static str) -> Result<std::net::IpAddr, Short> {
    let b: [u8; 16] = c.take(16, what)?.try_into().expect("16");
    Ok(std::net::Ipv6Addr::from(b).into())
}

fn fd_entry(c: &mut Cursor<'_>, v2: bool, tid: i64) -> Result<FdEntry, Short> {
    let start = c.pos();
    let sub_len = if v2 {
        c.u32("entry length")? as usize
    } else {
        0
    };
    let fd = c.u64("fd")? as i64;
    let ino = c.u64("ino")?;
    let code = c.u8("type")?;
    let kind = FdKind::from_code(code);
    let mut e = FdEntry {
        tid,
        fd,
        ino,
        kind,
        ..FdEntry::default()
    };
    match code {
        // IPv4 (3) and IPv6 (4) sockets give both ends; IPv4 (5) and IPv6 (6)
        // servers their own address.
        3..=6 => {
            let ip = if matches!(code, 3 | 5) { ip4 } else { ip6 };
            if matches!(code, 3 | 4) {
                e.sip = Some(ip(c, "sip")?);
                e.dip = Some(ip(c, "dip")?);
                e.sport = c.u16("sport")?;
                e.dport = c.u16("dport")?;
            } else {
                e.dip = Some(ip(c, "ip")?);
                e.dport = c.u16("port")?;
            }
            e.l4proto = c.u8("l4proto")?;
        }
        8 => {
            c.skip(16, "unix socket pointers")?;
            e.name = c.str16("name", MAX_PATH)?;
        }
        16 => {
            e.open_flags = c.u32("open_flags")?;
            e.name = c.str16("name", MAX_PATH)?;
        }
        0 => {}
        c_ if FdKind::from_code(c_) == FdKind::Unsupported && c_ != 10 => {
            // A type from a newer library: its layout is unknown; the entry length
            // (second version) lets the rest be read.
            e.name = format!("unknown-type:[{c_}]");
        }
        _ => e.name = c.str16("name", MAX_PATH)?,
    }
    if sub_len > 0 {
        skip_rest(c, start, sub_len)?;
    }
    Ok(e)
}

/// A user of the capture's user list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEntry {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// A group of the capture's user list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEntry {
    /// Group id.
    pub gid: u32,
    /// Name.
    pub name: String,
}

pub(super) fn userlist(
    body: &[u8],
    v2: bool,
    users: &mut Vec<UserEntry>,
    groups: &mut Vec<GroupEntry>,
) -> Result<(), (usize, Short)> {
    each_entry(&mut Cursor::new(body), |c| {
        let start = c.pos();
        let sub_len = if v2 {
            c.u32("entry length")? as usize
        } else {
            0
        };
        let kind = c.u8("type")?;
        if kind == 0 {
            users.push(UserEntry {
                uid: c.u32("uid")?,
                gid: c.u32("gid")?,
                name: c.str16("name", MAX_CREDENTIALS)?,
                homedir: c.str16("homedir", MAX_CREDENTIALS)?,
                shell: c.str16("shell", MAX_CREDENTIALS)?,
            });
        } else {
            groups.push(GroupEntry {
                gid: c.u32("gid")?,
                name: c.str16("name", MAX_CREDENTIALS)?,
            });
        }
        if sub_len > 0 {
            skip_rest(c, start, sub_len)?;
        }
        Ok(())
    })
}

/// A network interface of the capture's interface list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceEntry {
    /// Its name (`lo`, `eth0`).
    pub name: String,
    /// Its address.
    pub addr: std::net::IpAddr,
    /// Its network mask.
    pub netmask: std::net::IpAddr,
    /// Its broadcast address (IPv4), or libscap's third address (IPv6).
    pub bcast: std::net::IpAddr,
}

/// Longest interface name read (Linux allows 15 bytes; this leaves room).
const MAX_IFNAME: usize = 256;

/// The interface list: per entry (after a u32 entry length in the second
/// version) a u16 type (1 IPv4, 2 IPv6, 3 and 4 the same without the link
/// speed), a u16 name length, address, netmask and broadcast address (4 or 16
/// bytes each, network order), the u64 link speed, and the name.
pub(super) fn iflist(
    body: &[u8],
    v2: bool,
    out: &mut Vec<InterfaceEntry>,
) -> Result<(), (usize, Short)> {
    each_entry(&mut Cursor::new(body), |c| {
        let sub_len = if v2 {
            c.u32("entry length")? as usize
        } else {
            0
        };
        let after_len = c.pos();
        let kind = c.u16("interface type")?;
        let name_len = c.u16("name length")? as usize;
        if name_len > MAX_IFNAME {
            return Err(Short("name length"));
        }
        let (v6, speed) = match kind {
            1 => (false, true),
            2 => (true, true),
            3 => (false, false),
            4 => (true, false),
            _ => return Err(Short("interface type (1 to 4)")),
        };
        let ip = if v6 { ip6 } else { ip4 };
        let (a, m, b) = (ip(c, "address")?, ip(c, "netmask")?, ip(c, "broadcast")?);
        if speed {
            c.skip(8, "link speed")?;
        }
        let name = c.take(name_len, "name")?;
        let name = name.split(|&x| x == 0).next().unwrap_or(name);
        out.push(InterfaceEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            addr: a,
            netmask: m,
            bcast: b,
        });
        if v2 {
            skip_rest(c, after_len, sub_len)?;
        }
        Ok(())
    })
}

/// Skips what an entry of `len` bytes starting at `start` leaves unread: newer
/// libraries add fields that older readers skip.
fn skip_rest(c: &mut Cursor<'_>, start: usize, len: usize) -> Result<(), Short> {
    let done = c.pos() - start;
    if done > len {
        return Err(Short("entry longer than its length"));
    }
    c.skip(len - done, "entry padding")
}
