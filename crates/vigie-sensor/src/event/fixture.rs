//! Building events by parameter name, for tests and fixtures: parameters not given
//! are zero (empty text for strings), and the event carries parameters up to the
//! last one given.

use super::raw::encode_event;
use super::table::{event_table, ParamType};

/// A parameter's bytes by name.
pub type NamedParam<'a> = (&'a str, Vec<u8>);

/// Encodes event `name` of the given direction (the newest current code) at
/// time `ts` on thread `tid`. Panics on an unknown event or parameter name, which is
/// a mistake in the fixture.
pub fn build_event(
    name: &str,
    exit: bool,
    ts: u64,
    tid: u64,
    params: &[NamedParam<'_>],
) -> Vec<u8> {
    let t = event_table();
    // The newest code of that name and direction; enter events of syscalls the
    // drivers now report at exit only are all old versions.
    let code = t
        .codes_named(name)
        .iter()
        .copied()
        .filter(|&c| (t.get(c).expect("code").direction == super::Direction::Exit) == exit)
        .max_by_key(|&c| {
            let old = t.get(c).expect("code").flags & super::event_flags::OLD_VERSION != 0;
            (!old, c)
        })
        .unwrap_or_else(|| panic!("no event {name}"));
    let info = t.get(code).expect("code");
    // Parameters not given get a zero of their type's width (an empty parameter is
    // legal, but older libscap readers misread some).
    let defaults: Vec<Vec<u8>> = info.params.iter().map(|p| zero_of(p.ty)).collect();
    let mut slots: Vec<&[u8]> = defaults.iter().map(Vec::as_slice).collect();
    let mut last = 0;
    for (pname, bytes) in params {
        let i = info
            .param_index(pname)
            .unwrap_or_else(|| panic!("event {name} has no parameter {pname}"));
        slots[i] = bytes;
        last = last.max(i + 1);
    }
    encode_event(ts, tid, code, &slots[..last])
}

fn zero_of(ty: ParamType) -> Vec<u8> {
    use ParamType as T;
    let width = match ty {
        T::Int8
        | T::Uint8
        | T::Flags8
        | T::Enumflags8
        | T::Sigtype
        | T::L4proto
        | T::Sockfamily => 1,
        T::Int16 | T::Uint16 | T::Flags16 | T::Enumflags16 | T::Syscallid | T::Port => 2,
        T::Int32
        | T::Uint32
        | T::Flags32
        | T::Enumflags32
        | T::Uid
        | T::Gid
        | T::Mode
        | T::Bool
        | T::Sigset
        | T::Fd32
        | T::Pid32
        | T::Ipv4addr => 4,
        T::Int64 | T::Uint64 | T::Errno | T::Fd | T::Pid | T::Reltime | T::Abstime | T::Double => 8,
        T::Charbuf | T::Fspath | T::Fsrelpath => return vec![0],
        _ => 0,
    };
    vec![0; width]
}

/// Little-endian bytes of an i64 (fds, pids, results).
pub fn i64b(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// Little-endian bytes of a u32 (flags, modes, uids).
pub fn u32b(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A NUL-terminated string.
pub fn strb(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// NUL-separated strings (execve's args, cgroups).
pub fn listb(items: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        v.extend_from_slice(i.as_bytes());
        v.push(0);
    }
    v
}

/// An IPv4 socket tuple (source and destination address and port).
pub fn tuple4(sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16) -> Vec<u8> {
    let mut v = vec![super::family::INET];
    v.extend_from_slice(&sip);
    v.extend_from_slice(&sport.to_le_bytes());
    v.extend_from_slice(&dip);
    v.extend_from_slice(&dport.to_le_bytes());
    v
}
