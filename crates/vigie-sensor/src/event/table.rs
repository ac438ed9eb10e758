//! The event table: for each PPME event code, its name, direction, category, flags and
//! parameters, as libscap defines them (the facts are kept in `events.txt`, written by
//! `scripts/gen-event-table.py`).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Whether an event is the entry or the exit of its syscall (`evt.dir`: `>` or `<`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `>`: the syscall was entered.
    Enter,
    /// `<`: the syscall returned.
    Exit,
}

impl Direction {
    /// The character `evt.dir` shows.
    pub fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

/// The type of an event parameter (libscap's `ppm_param_type`), which fixes its
/// encoding on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are libscap's type names
pub enum ParamType {
    None,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Charbuf,
    Bytebuf,
    Errno,
    Sockaddr,
    Socktuple,
    Fd,
    Pid,
    Fdlist,
    Fspath,
    Syscallid,
    Sigtype,
    Reltime,
    Abstime,
    Port,
    L4proto,
    Sockfamily,
    Bool,
    Ipv4addr,
    Dyn,
    Flags8,
    Flags16,
    Flags32,
    Uid,
    Gid,
    Double,
    Sigset,
    Charbufarray,
    CharbufPairArray,
    Ipv4net,
    Ipv6addr,
    Ipv6net,
    Ipaddr,
    Ipnet,
    Mode,
    Fsrelpath,
    Enumflags8,
    Enumflags16,
    Enumflags32,
    Fd32,
    Pid32,
}

impl ParamType {
    fn from_word(word: &str) -> Option<Self> {
        use ParamType::*;
        Some(match word {
            "none" => None,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "uint8" => Uint8,
            "uint16" => Uint16,
            "uint32" => Uint32,
            "uint64" => Uint64,
            "charbuf" => Charbuf,
            "bytebuf" => Bytebuf,
            "errno" => Errno,
            "sockaddr" => Sockaddr,
            "socktuple" => Socktuple,
            "fd" => Fd,
            "pid" => Pid,
            "fdlist" => Fdlist,
            "fspath" => Fspath,
            "syscallid" => Syscallid,
            "sigtype" => Sigtype,
            "reltime" => Reltime,
            "abstime" => Abstime,
            "port" => Port,
            "l4proto" => L4proto,
            "sockfamily" => Sockfamily,
            "bool" => Bool,
            "ipv4addr" => Ipv4addr,
            "dyn" => Dyn,
            "flags8" => Flags8,
            "flags16" => Flags16,
            "flags32" => Flags32,
            "uid" => Uid,
            "gid" => Gid,
            "double" => Double,
            "sigset" => Sigset,
            "charbufarray" => Charbufarray,
            "charbuf_pair_array" => CharbufPairArray,
            "ipv4net" => Ipv4net,
            "ipv6addr" => Ipv6addr,
            "ipv6net" => Ipv6net,
            "ipaddr" => Ipaddr,
            "ipnet" => Ipnet,
            "mode" => Mode,
            "fsrelpath" => Fsrelpath,
            "enumflags8" => Enumflags8,
            "enumflags16" => Enumflags16,
            "enumflags32" => Enumflags32,
            "fd32" => Fd32,
            "pid32" => Pid32,
            _ => return Option::None,
        })
    }

    /// Whether values of this type are flag bits or enumerations named by a table.
    pub fn is_flags(self) -> bool {
        use ParamType::*;
        matches!(
            self,
            Flags8 | Flags16 | Flags32 | Mode | Enumflags8 | Enumflags16 | Enumflags32
        )
    }
}

/// How libscap prints a numeric parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // libscap's print formats
pub enum PrintFormat {
    Na,
    Dec,
    Hex,
    PaddedDec,
    Id,
    Dir,
    Oct,
}

impl PrintFormat {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "na" => PrintFormat::Na,
            "dec" => PrintFormat::Dec,
            "hex" => PrintFormat::Hex,
            "10_padded_dec" => PrintFormat::PaddedDec,
            "id" => PrintFormat::Id,
            "dir" => PrintFormat::Dir,
            "oct" => PrintFormat::Oct,
            _ => return None,
        })
    }
}

/// One parameter of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// The name rules use (`evt.arg.NAME`).
    pub name: &'static str,
    /// Its wire type.
    pub ty: ParamType,
    /// How it prints.
    pub format: PrintFormat,
    /// For flags: the name of the flag table naming its bits (see
    /// [`crate::event::flag_names`]); for a path relative to a directory fd: the
    /// index of the parameter holding that fd.
    pub info: ParamExtra,
}

/// What a parameter's table entry says beyond its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamExtra {
    /// Nothing.
    None,
    /// The flag table naming the value's bits.
    Flags(&'static str),
    /// The parameter holding the directory fd this path is relative to.
    DirFd(usize),
}

/// Event flags (libscap's `EF_*`) that decoding and state keeping read.
pub mod flags {
    /// The event creates a file descriptor.
    pub const CREATES_FD: u32 = 1 << 0;
    /// The event destroys a file descriptor.
    pub const DESTROYS_FD: u32 = 1 << 1;
    /// The event operates on a file descriptor.
    pub const USES_FD: u32 = 1 << 2;
    /// The event reads from a file descriptor.
    pub const READS_FROM_FD: u32 = 1 << 3;
    /// The event writes to a file descriptor.
    pub const WRITES_TO_FD: u32 = 1 << 4;
    /// The event changes the machine's state.
    pub const MODIFIES_STATE: u32 = 1 << 5;
    /// The event is unused.
    pub const UNUSED: u32 = 1 << 6;
    /// The event waits.
    pub const WAITS: u32 = 1 << 7;
    /// The event should not reset the parser's state.
    pub const SKIPPARSERESET: u32 = 1 << 8;
    /// The event is an old version kept to read old captures.
    pub const OLD_VERSION: u32 = 1 << 9;
    /// Parameter lengths are 32 bits wide instead of 16.
    pub const LARGE_PAYLOAD: u32 = 1 << 11;
    /// libscap converts this event to its newest version when reading captures.
    pub const CONVERTER_MANAGED: u32 = 1 << 12;

    pub(super) fn from_word(word: &str) -> Option<u32> {
        Some(match word {
            "creates_fd" => CREATES_FD,
            "destroys_fd" => DESTROYS_FD,
            "uses_fd" => USES_FD,
            "reads_from_fd" => READS_FROM_FD,
            "writes_to_fd" => WRITES_TO_FD,
            "modifies_state" => MODIFIES_STATE,
            "unused" => UNUSED,
            "waits" => WAITS,
            "skipparsereset" => SKIPPARSERESET,
            "old_version" => OLD_VERSION,
            "large_payload" => LARGE_PAYLOAD,
            "converter_managed" => CONVERTER_MANAGED,
            _ => return None,
        })
    }
}

/// The category of an event (`evt.category`), and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Category {
    /// What the event is about: `file`, `net`, `process`... (`unknown` when none).
    pub class: &'static str,
    /// Whether a syscall produced it (rather than a tracepoint, a plugin, the
    /// libraries themselves or a kernel iterator).
    pub syscall: bool,
    /// Whether it is a meta-event (a notification of the libraries).
    pub meta: bool,
    /// Whether it is an I/O event: `read`, `write`, `other`, or none.
    pub io: Option<&'static str>,
}

/// Everything known about one event code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventInfo {
    /// The PPME code.
    pub code: u16,
    /// The name (`evt.type`): `open`, `execve`...
    pub name: &'static str,
    /// Enter or exit.
    pub direction: Direction,
    /// What the event is about.
    pub category: Category,
    /// `EF_*` bits (see [`flags`]).
    pub flags: u32,
    /// The parameters, in wire order.
    pub params: Vec<ParamInfo>,
}

impl EventInfo {
    /// Whether parameter lengths are 32 bits wide.
    pub fn large_payload(&self) -> bool {
        self.flags & flags::LARGE_PAYLOAD != 0
    }

    /// The position of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// The whole table, indexed by code and by name.
#[derive(Debug)]
pub struct EventTable {
    events: Vec<EventInfo>,
    by_name: HashMap<&'static str, Vec<u16>>,
}

impl EventTable {
    /// The event with this code.
    pub fn get(&self, code: u16) -> Option<&EventInfo> {
        self.events.get(code as usize)
    }

    /// Every code whose name is `name` (all versions, both directions).
    pub fn codes_named(&self, name: &str) -> &[u16] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How many codes there are.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the table is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Every event, by code.
    pub fn iter(&self) -> impl Iterator<Item = &EventInfo> {
        self.events.iter()
    }
}

const EVENTS_TEXT: &str = include_str!("events.txt");

/// The event table, built once.
pub fn event_table() -> &'static EventTable {
    static TABLE: OnceLock<EventTable> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(EVENTS_TEXT))
}

/// Shorthand for `event_table().get(code)`.
pub fn event_info(code: u16) -> Option<&'static EventInfo> {
    event_table().get(code)
}

fn category(words: &str) -> Category {
    let mut c = Category {
        class: "unknown",
        ..Category::default()
    };
    for w in words.split(',') {
        match w {
            "syscall" | "tracepoint" | "plugin" | "internal" | "iter" => {
                c.syscall |= w == "syscall";
            }
            "metaevent" => c.meta = true,
            "io_read" => c.io = Some("read"),
            "io_write" => c.io = Some("write"),
            "io_other" => c.io = Some("other"),
            "wait" | "scheduler" | "io_base" | "-" => {}
            // The remaining words are the classes libsinsp prints as they are.
            class => {
                c.class = match class {
                    "other" => "other",
                    "file" => "file",
                    "net" => "net",
                    "ipc" => "ipc",
                    "memory" => "memory",
                    "process" => "process",
                    "sleep" => "sleep",
                    "system" => "system",
                    "signal" => "signal",
                    "user" => "user",
                    "time" => "time",
                    "processing" => "processing",
                    _ => "unknown",
                }
            }
        }
    }
    if c.io.is_some() && c.class == "unknown" {
        c.class = "file";
    }
    c
}

/// Parses `events.txt`; a malformed line is a programming error the tests catch.
fn parse_table(text: &'static str) -> EventTable {
    let mut events = Vec::new();
    let mut by_name: HashMap<&'static str, Vec<u16>> = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (head, params) = line.split_once('|').expect("events.txt: no `|`");
        let mut w = head.split_whitespace();
        let code: u16 = w.next().and_then(|c| c.parse().ok()).expect("code");
        let direction = match w.next() {
            Some("E") => Direction::Enter,
            Some("X") => Direction::Exit,
            other => panic!("event {code}: bad direction {other:?}"),
        };
        let name = w.next().expect("name");
        let category = category(w.next().expect("category"));
        let flags = w
            .next()
            .expect("flags")
            .split(',')
            .filter(|f| *f != "-")
            .map(|f| flags::from_word(f).unwrap_or_else(|| panic!("event {code}: flag {f}")))
            .fold(0, |a, b| a | b);
        let params = params
            .split_whitespace()
            .map(|p| {
                let mut parts = p.split(':');
                let name = parts.next().expect("param name");
                let ty = parts.next().and_then(ParamType::from_word);
                let format = parts.next().and_then(PrintFormat::from_word);
                let (Some(ty), Some(format)) = (ty, format) else {
                    panic!("event {code}: bad parameter {p}");
                };
                let info = match parts.next() {
                    None => ParamExtra::None,
                    Some(d) if d.starts_with("DIRFD_PARAM") => {
                        ParamExtra::DirFd(d["DIRFD_PARAM".len()..].parse().expect("dirfd"))
                    }
                    Some(table) => ParamExtra::Flags(table),
                };
                ParamInfo {
                    name,
                    ty,
                    format,
                    info,
                }
            })
            .collect();
        assert_eq!(
            code as usize,
            events.len(),
            "events.txt: codes out of order"
        );
        by_name.entry(name).or_default().push(code);
        events.push(EventInfo {
            code,
            name,
            direction,
            category,
            flags,
            params,
        });
    }
    EventTable { events, by_name }
}

const SYSCALLS_TEXT: &str = include_str!("syscalls.txt");

/// The name of a syscall by libscap's syscall code (`PPM_SC_*`): what generic
/// syscall events (codes 0 and 1) carry in their `ID` parameter.
pub fn syscall_name(code: u16) -> Option<&'static str> {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut names = Vec::new();
        for line in SYSCALLS_TEXT.lines().filter(|l| !l.starts_with('#')) {
            let (num, name) = line.split_once(' ').expect("syscalls.txt: CODE NAME");
            let num: usize = num.parse().expect("syscalls.txt: code");
            if names.len() <= num {
                names.resize(num + 1, "");
            }
            names[num] = name;
        }
        names
    });
    names.get(code as usize).copied().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_code_with_its_parameters() {
        let t = event_table();
        assert_eq!(t.len(), 454);
        let open_x = t.get(3).unwrap();
        assert_eq!(open_x.name, "open");
        assert_eq!(open_x.direction, Direction::Exit);
        assert_eq!(open_x.category.class, "file");
        assert!(open_x.category.syscall);
        assert_eq!(open_x.params[0].name, "fd");
        assert_eq!(open_x.params[0].ty, ParamType::Fd);
        assert_eq!(open_x.params[2].info, ParamExtra::Flags("file_flags"));
        let openat_x = t.get(307).unwrap();
        assert_eq!(openat_x.params[2].info, ParamExtra::DirFd(1));
        assert!(t.codes_named("execve").contains(&293));
        assert!(t.get(454).is_none());
    }

    #[test]
    fn large_payload_events_are_marked() {
        let large: Vec<_> = event_table().iter().filter(|e| e.large_payload()).collect();
        assert!(!large.is_empty());
        assert!(large.iter().all(|e| !e.category.syscall));
    }
}
