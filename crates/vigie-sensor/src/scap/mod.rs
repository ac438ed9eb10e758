//! libscap capture files (`.scap`, as Falco and sysdig write them, optionally
//! gzip-compressed): a pcapng-like sequence of blocks, each `type u32, total length
//! u32, body, padding to 4 bytes, total length u32`. The section header comes first,
//! then metadata blocks (machine, processes, file descriptors, interfaces, users),
//! then event blocks.
//!
//! A corrupt or truncated block is reported with its offset and reason, and reading
//! goes on with the next block when the block's length can still be trusted.

mod cursor;
mod meta;
mod sample;
mod write;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use thiserror::Error;

use crate::event::{event_info, RawEvent, HEADER_LEN};

pub use meta::{FdEntry, FdKind, GroupEntry, InterfaceEntry, MachineInfo, ThreadEntry, UserEntry};
pub use sample::{sample_capture, SAMPLE_CONTAINER};
pub use write::ScapWriter;

/// Block types (libscap's `*_BLOCK_TYPE*`).
pub mod block {
    /// Section header.
    pub const SHB: u32 = 0x0A0D0D0A;
    /// The section header's byte-order magic.
    pub const SHB_MAGIC: u32 = 0x1A2B3C4D;
    /// Machine information.
    pub const MI: u32 = 0x201;
    /// Machine information (pre-release number).
    pub const MI_INT: u32 = 0x8002ABCD;
    /// File descriptor list.
    pub const FDL: u32 = 0x203;
    /// File descriptor list (pre-release number).
    pub const FDL_INT: u32 = 0x8001ABCD;
    /// File descriptor list with entry lengths.
    pub const FDL_V2: u32 = 0x218;
    /// Event (headers without `nparams`).
    pub const EV: u32 = 0x204;
    /// Event (pre-release number).
    pub const EV_INT: u32 = 0x8010ABCD;
    /// Event.
    pub const EV_V2: u32 = 0x216;
    /// Event larger than 64 KiB.
    pub const EV_V2_LARGE: u32 = 0x221;
    /// Interface list.
    pub const IL: u32 = 0x205;
    /// Interface list (pre-release number).
    pub const IL_INT: u32 = 0x8011ABCD;
    /// Interface list with entry lengths.
    pub const IL_V2: u32 = 0x219;
    /// User list.
    pub const UL: u32 = 0x206;
    /// User list (pre-release number).
    pub const UL_INT: u32 = 0x8012ABCD;
    /// User list with entry lengths.
    pub const UL_V2: u32 = 0x220;
    /// Event with flags (headers without `nparams`).
    pub const EVF: u32 = 0x208;
    /// Event with flags.
    pub const EVF_V2: u32 = 0x217;
    /// Event with flags, larger than 64 KiB.
    pub const EVF_V2_LARGE: u32 = 0x222;
}

/// Limits on what a capture may make the reader allocate.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The whole (decompressed) capture.
    pub max_file_bytes: u64,
    /// One metadata block (process, fd, user lists).
    pub max_meta_block_bytes: u32,
    /// One large event block (ordinary event blocks are at most 64 KiB, as libscap's).
    pub max_large_event_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 4 << 30,
            max_meta_block_bytes: 64 << 20,
            max_large_event_bytes: 16 << 20,
        }
    }
}

/// A problem at one place of a capture.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("offset {offset}: {reason}")]
pub struct ScapIssue {
    /// Byte offset of the block (in the decompressed capture).
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// Why a capture cannot be read at all.
#[derive(Debug, Error)]
pub enum ScapError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The capture is larger than the limit.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// The section header is missing or wrong.
    #[error("{path}: not a libscap capture: {issue}")]
    NotScap {
        /// The file.
        path: String,
        /// What is wrong.
        issue: ScapIssue,
    },
}

/// One event of a capture.
#[derive(Clone, Debug)]
pub struct CaptureEvent<'a> {
    /// The CPU that produced it.
    pub cpu: u16,
    /// Flags of event-with-flags blocks (0 otherwise).
    pub flags: u32,
    /// The event's bytes in the current encoding (converted when the capture's
    /// headers lack `nparams`).
    bytes: Cow<'a, [u8]>,
}

impl CaptureEvent<'_> {
    /// The event.
    pub fn raw(&self) -> RawEvent<'_> {
        RawEvent::parse(&self.bytes).expect("checked when the capture was read")
    }
}

/// A capture's metadata and the places of its events.
#[derive(Debug, Default)]
pub struct Capture {
    bytes: Vec<u8>,
    /// The capture format version (major, minor).
    pub version: (u16, u16),
    /// The machine, when the capture says.
    pub machine: Option<MachineInfo>,
    /// Threads running when the capture started.
    pub threads: Vec<ThreadEntry>,
    /// Their open file descriptors.
    pub fds: Vec<FdEntry>,
    /// Users.
    pub users: Vec<UserEntry>,
    /// Groups.
    pub groups: Vec<GroupEntry>,
    /// The machine's network interfaces, from the interface list.
    pub interfaces: Vec<InterfaceEntry>,
    /// Problems found while reading; the blocks they name were skipped.
    pub issues: Vec<ScapIssue>,
    events: Vec<EventSpan>,
}

#[derive(Debug, Clone, Copy)]
struct EventSpan {
    /// Where the event header starts.
    start: usize,
    /// Where the block body ends.
    end: usize,
    cpu: u16,
    flags: u32,
    /// Whether the header lacks `nparams` (first event block versions).
    v1: bool,
}

fn issue(offset: usize, reason: impl Into<String>) -> ScapIssue {
    ScapIssue {
        offset: offset as u64,
        reason: reason.into(),
    }
}

impl Capture {
    /// Reads a capture file (gzip-compressed or not) with the default limits.
    pub fn open(path: &Path) -> Result<Capture, ScapError> {
        Self::open_with(path, Limits::default())
    }

    /// Reads a capture file with the given limits.
    pub fn open_with(path: &Path, limits: Limits) -> Result<Capture, ScapError> {
        let name = path.display().to_string();
        let io = |source| ScapError::Io {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut head = [0u8; 2];
        let mut reader = std::io::BufReader::new(file);
        let mut bytes = Vec::new();
        {
            use std::io::BufRead;
            let buf = reader.fill_buf().map_err(io)?;
            head[..buf.len().min(2)].copy_from_slice(&buf[..buf.len().min(2)]);
        }
        let limit = limits.max_file_bytes;
        let read = if head == [0x1f, 0x8b] {
            flate2::read::MultiGzDecoder::new(reader)
                .take(limit + 1)
                .read_to_end(&mut bytes)
        } else {
            reader.take(limit + 1).read_to_end(&mut bytes)
        };
        read.map_err(io)?;
        if bytes.len() as u64 > limit {
            return Err(ScapError::TooLarge { path: name, limit });
        }
        Self::parse(bytes, limits).map_err(|issue| ScapError::NotScap { path: name, issue })
    }

    /// Reads a capture from its (decompressed) bytes. Fails only when the section
    /// header is wrong; problems in later blocks are listed in [`Capture::issues`].
    pub fn parse(bytes: Vec<u8>, limits: Limits) -> Result<Capture, ScapIssue> {
        let mut cap = Capture::default();
        let mut at = 0usize;
        let b = &bytes;
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        // The section header: type, length, magic, major, minor, section length.
        let (Some(ty), Some(len), Some(magic)) = (word(0), word(4), word(8)) else {
            return Err(issue(0, "shorter than a section header"));
        };
        if ty != block::SHB {
            return Err(issue(
                0,
                format!("block type {ty:#x} is not a section header"),
            ));
        }
        if magic != block::SHB_MAGIC {
            return Err(issue(8, format!("byte-order magic {magic:#x}")));
        }
        if (len as usize) < 28 || len as usize > b.len() {
            return Err(issue(4, format!("section header length {len}")));
        }
        cap.version = (
            u16::from_le_bytes([b[12], b[13]]),
            u16::from_le_bytes([b[14], b[15]]),
        );
        if cap.version.0 > 1 {
            return Err(issue(
                12,
                format!(
                    "format version {}.{} is newer than 1.x",
                    cap.version.0, cap.version.1
                ),
            ));
        }
        at += len as usize;
        while at < b.len() {
            let (Some(ty), Some(len)) = (word(at), word(at + 4)) else {
                cap.issues.push(issue(
                    at,
                    format!("truncated block header ({} bytes left)", b.len() - at),
                ));
                break;
            };
            let len = len as usize;
            if len < 12 {
                cap.issues.push(issue(
                    at,
                    format!(
                        "block type {ty:#x}: bad length {len}; the rest of the capture is skipped"
                    ),
                ));
                break;
            }
            if at + len > b.len() {
                cap.issues.push(issue(
                    at,
                    format!("block type {ty:#x}: length {len} runs past the end of the capture ({} bytes left)", b.len() - at),
                ));
                break;
            }
            let body = &b[at + 8..at + len - 4];
            if let Err(reason) = cap.block(ty, at, body, &limits) {
                cap.issues
                    .push(issue(at, format!("block type {ty:#x}: {reason}")));
            }
            at += len;
        }
        cap.bytes = bytes;
        Ok(cap)
    }

    fn block(&mut self, ty: u32, at: usize, body: &[u8], limits: &Limits) -> Result<(), String> {
        let short = |(pos, e): (usize, cursor::Short)| {
            format!("entry at body offset {pos}: `{}` does not fit", e.0)
        };
        if !is_event_block(ty) && body.len() > limits.max_meta_block_bytes as usize {
            return Err(format!(
                "{} bytes, more than the limit of {}",
                body.len(),
                limits.max_meta_block_bytes
            ));
        }
        match ty {
            block::MI | block::MI_INT => {
                self.machine = Some(
                    meta::machine_info(body)
                        .map_err(|e| format!("machine information: `{}` does not fit", e.0))?,
                );
            }
            block::FDL | block::FDL_INT | block::FDL_V2 => {
                meta::fdlist(body, ty == block::FDL_V2, &mut self.fds).map_err(short)?
            }
            block::UL | block::UL_INT | block::UL_V2 => {
                meta::userlist(body, ty == block::UL_V2, &mut self.users, &mut self.groups)
                    .map_err(short)?
            }
            block::IL | block::IL_INT | block::IL_V2 => {
                meta::iflist(body, ty == block::IL_V2, &mut self.interfaces).map_err(short)?
            }
            block::SHB => return Err("a second section header is not supported".into()),
            ty if meta::proclist_version(ty).is_some() => {
                let version = meta::proclist_version(ty).expect("checked");
                meta::proclist(body, version, &mut self.threads).map_err(short)?
            }
            ty if is_event_block(ty) => self.event_block(ty, at, body, limits)?,
            other => return Err(format!("unknown block type {other:#x}, skipped")),
        }
        Ok(())
    }

    fn event_block(
        &mut self,
        ty: u32,
        at: usize,
        body: &[u8],
        limits: &Limits,
    ) -> Result<(), String> {
        let large = matches!(ty, block::EV_V2_LARGE | block::EVF_V2_LARGE);
        let max = if large {
            limits.max_large_event_bytes as usize
        } else {
            1 << 16
        };
        if body.len() + 12 > max {
            return Err(format!(
                "event block of {} bytes, more than {max}",
                body.len() + 12
            ));
        }
        let with_flags = matches!(ty, block::EVF | block::EVF_V2 | block::EVF_V2_LARGE);
        let v1 = matches!(ty, block::EV | block::EV_INT | block::EVF);
        let head = 2 + if with_flags { 4 } else { 0 };
        if body.len() < head {
            return Err("no room for the CPU number".into());
        }
        let cpu = u16::from_le_bytes([body[0], body[1]]);
        let flags = if with_flags {
            u32::from_le_bytes(body[2..6].try_into().expect("4"))
        } else {
            0
        };
        let start = at + 8 + head;
        let end = at + 8 + body.len();
        let span = EventSpan {
            start,
            end,
            cpu,
            flags,
            v1,
        };
        // Check now, so that iterating later cannot fail.
        let event = span_bytes(&body[head..], v1)?;
        let raw = RawEvent::parse(&event).map_err(|e| e.to_string())?;
        if event_info(raw.code).is_none() {
            // libscap skips events of codes it does not know (newer captures).
            return Err(format!("unknown event type {}, skipped", raw.code));
        }
        self.events.push(span);
        Ok(())
    }

    /// The events, in file order.
    pub fn events(&self) -> impl Iterator<Item = CaptureEvent<'_>> {
        self.events.iter().map(|s| CaptureEvent {
            cpu: s.cpu,
            flags: s.flags,
            bytes: span_bytes(&self.bytes[s.start..s.end], s.v1).expect("checked"),
        })
    }

    /// How many events the capture holds.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }
}

fn is_event_block(ty: u32) -> bool {
    matches!(
        ty,
        block::EV
            | block::EV_INT
            | block::EV_V2
            | block::EV_V2_LARGE
            | block::EVF
            | block::EVF_V2
            | block::EVF_V2_LARGE
    )
}

/// The event at the start of `body` in the current encoding. Headers of the first
/// event block versions lack `nparams`: it is the largest count, up to the table's,
/// whose lengths add up exactly to the event's length (as libscap converts them).
fn span_bytes(body: &[u8], v1: bool) -> Result<Cow<'_, [u8]>, String> {
    if !v1 {
        let raw = RawEvent::parse(body).map_err(|e| e.to_string())?;
        return Ok(Cow::Borrowed(&body[..raw.len()]));
    }
    let old_head = HEADER_LEN - 4;
    if body.len() < old_head {
        return Err(format!("event header truncated: {} bytes", body.len()));
    }
    let len = u32::from_le_bytes(body[16..20].try_into().expect("4")) as usize;
    let code = u16::from_le_bytes([body[20], body[21]]);
    if len < old_head || len > body.len() {
        return Err(format!(
            "event length {len} does not fit in its block of {}",
            body.len()
        ));
    }
    let Some(info) = event_info(code) else {
        return Err(format!("unknown event type {code}, skipped"));
    };
    let lens = &body[old_head..len];
    let mut nparams = None;
    for n in (0..=info.params.len()).rev() {
        if n * 2 > lens.len() {
            continue;
        }
        let total: usize = (0..n)
            .map(|i| u16::from_le_bytes([lens[2 * i], lens[2 * i + 1]]) as usize)
            .sum::<usize>()
            + n * 2;
        if total == lens.len() {
            nparams = Some(n);
            break;
        }
        if total < lens.len() {
            return Err(format!(
                "event type {code}: parameter lengths do not add up to its length"
            ));
        }
    }
    let Some(n) = nparams else {
        return Err(format!(
            "event type {code}: no parameter count matches its length"
        ));
    };
    let mut out = Vec::with_capacity(len + 4);
    out.extend_from_slice(&body[..16]);
    out.extend_from_slice(&((len + 4) as u32).to_le_bytes());
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(lens);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests;
