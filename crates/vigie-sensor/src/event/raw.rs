//! One event in libscap's wire encoding, borrowed from a byte slice: the header
//! (`ppm_evt_hdr`: ts u64, tid u64, len u32, type u16, nparams u32, little-endian,
//! packed), then one length per parameter (u16, or u32 for large-payload events),
//! then the parameters' bytes one after the other.

use thiserror::Error;

use super::param::ParamValue;
use super::table::{event_info, syscall_name, EventInfo};

/// The size of the fixed header.
pub const HEADER_LEN: usize = 26;

/// Why bytes are not an event.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header.
    #[error("event truncated: {have} bytes, the header needs {HEADER_LEN}")]
    ShortHeader {
        /// Bytes available.
        have: usize,
    },
    /// The header's length is smaller than the header or larger than the bytes.
    #[error("event length {len} does not fit: {have} bytes available")]
    BadLength {
        /// The header's length.
        len: u32,
        /// Bytes available.
        have: usize,
    },
    /// The parameter lengths do not fit in the event.
    #[error("event type {code}: {nparams} parameters' lengths and data exceed its length {len}")]
    ParamsOverflow {
        /// The event code.
        code: u16,
        /// Parameters claimed.
        nparams: u32,
        /// The event length.
        len: u32,
    },
    /// More parameters than any event has.
    #[error("event type {code}: {nparams} parameters (at most {MAX_PARAMS})")]
    TooManyParams {
        /// The event code.
        code: u16,
        /// Parameters claimed.
        nparams: u32,
    },
}

/// No event has more parameters than this (libscap's `PPM_MAX_EVENT_PARAMS`).
pub const MAX_PARAMS: u32 = 64;

/// One decoded event header with access to its parameters.
#[derive(Clone, Copy, Debug)]
pub struct RawEvent<'a> {
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// The thread that produced it.
    pub tid: u64,
    /// The PPME code.
    pub code: u16,
    /// How many parameters it carries.
    pub nparams: u32,
    /// Width of each parameter length: 2 or 4 bytes.
    len_width: usize,
    /// The whole event, header included.
    bytes: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl<'a> RawEvent<'a> {
    /// Decodes the event at the start of `bytes`; the event may be followed by more.
    /// Parameter lengths are checked against the event's length here, so that every
    /// accessor afterwards is in bounds. Unknown codes decode (with 16-bit lengths),
    /// and then have no [`RawEvent::info`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::ShortHeader { have: bytes.len() });
        }
        let len = u32_at(bytes, 16);
        if (len as usize) < HEADER_LEN || len as usize > bytes.len() {
            return Err(DecodeError::BadLength {
                len,
                have: bytes.len(),
            });
        }
        let code = u16_at(bytes, 20);
        let nparams = u32_at(bytes, 22);
        if nparams > MAX_PARAMS {
            return Err(DecodeError::TooManyParams { code, nparams });
        }
        let len_width = match event_info(code) {
            Some(info) if info.large_payload() => 4,
            _ => 2,
        };
        let bytes = &bytes[..len as usize];
        let lens_end = HEADER_LEN + nparams as usize * len_width;
        let overflow = DecodeError::ParamsOverflow { code, nparams, len };
        if lens_end > bytes.len() {
            return Err(overflow);
        }
        let mut total = lens_end;
        for i in 0..nparams as usize {
            total += read_len(bytes, len_width, i);
        }
        if total > bytes.len() {
            return Err(overflow);
        }
        Ok(RawEvent {
            ts: u64_at(bytes, 0),
            tid: u64_at(bytes, 8),
            code,
            nparams,
            len_width,
            bytes,
        })
    }

    /// The event's length in bytes, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the event has no bytes (never: the header is always there).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The event's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The table entry of the event's code.
    pub fn info(&self) -> Option<&'static EventInfo> {
        event_info(self.code)
    }

    /// The event's name (`evt.type`), or `NA` for an unknown code. Generic syscall
    /// events (codes 0 and 1) are named by the syscall code they carry.
    pub fn name(&self) -> &'static str {
        if self.code <= 1 {
            let id = self
                .param(0)
                .and_then(|b| b.get(..2))
                .map(|b| u16::from_le_bytes([b[0], b[1]]));
            if let Some(name) = id.and_then(syscall_name) {
                return name;
            }
        }
        self.info().map_or("NA", |i| i.name)
    }

    /// The bytes of parameter `i`; `None` past the last parameter. An empty slice is
    /// a parameter the producer left empty.
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams as usize {
            return None;
        }
        let mut at = HEADER_LEN + self.nparams as usize * self.len_width;
        for j in 0..i {
            at += read_len(self.bytes, self.len_width, j);
        }
        let len = read_len(self.bytes, self.len_width, i);
        Some(&self.bytes[at..at + len])
    }

    /// Every parameter's bytes, in order.
    pub fn params(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        let width = self.len_width;
        let n = self.nparams as usize;
        let mut at = HEADER_LEN + n * width;
        (0..n).map(move |i| {
            let len = read_len(bytes, width, i);
            let p = &bytes[at..at + len];
            at += len;
            p
        })
    }

    /// The index of the parameter called `name` in this event's table entry, when the
    /// event carries it.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.info()?
            .param_index(name)
            .filter(|&i| i < self.nparams as usize)
    }

    /// Parameter `i` decoded by its table type; `None` when the event does not carry
    /// it or its code is unknown.
    pub fn value(&self, i: usize) -> Option<ParamValue<'a>> {
        let info = self.info()?.params.get(i)?;
        Some(ParamValue::decode(info.ty, self.param(i)?))
    }

    /// The parameter called `name`, decoded.
    pub fn value_named(&self, name: &str) -> Option<ParamValue<'a>> {
        self.value(self.param_index(name)?)
    }

    /// The parameter called `name` as a signed number (fds, pids, errnos...).
    pub fn int_named(&self, name: &str) -> Option<i64> {
        self.value_named(name)?.as_i64()
    }

    /// The parameter called `name` as text (paths, names), without its trailing NUL.
    pub fn str_named(&self, name: &str) -> Option<&'a str> {
        self.value_named(name)?.as_str()
    }
}

fn read_len(bytes: &[u8], width: usize, i: usize) -> usize {
    let at = HEADER_LEN + i * width;
    if width == 4 {
        u32_at(bytes, at) as usize
    } else {
        u16_at(bytes, at) as usize
    }
}

/// Encodes an event (for tests, fixtures and the `.scap` writer): the header, the
/// lengths (by the code's width) and the parameters.
pub fn encode_event(ts: u64, tid: u64, code: u16, params: &[&[u8]]) -> Vec<u8> {
    let width = match event_info(code) {
        Some(info) if info.large_payload() => 4,
        _ => 2,
    };
    let len = HEADER_LEN + params.len() * width + params.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        if width == 4 {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
    }
    for p in params {
        out.extend_from_slice(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::param::SockAddr;

    #[test]
    fn decodes_an_openat_exit() {
        let fd = 3i64.to_le_bytes();
        let dirfd = (-100i64).to_le_bytes();
        let flags = 1u32.to_le_bytes();
        let mode = 0u32.to_le_bytes();
        let dev = 0u32.to_le_bytes();
        let ino = 42u64.to_le_bytes();
        let bytes = encode_event(
            7,
            1234,
            307,
            &[&fd, &dirfd, b"/etc/shadow\0", &flags, &mode, &dev, &ino],
        );
        let e = RawEvent::parse(&bytes).unwrap();
        assert_eq!((e.ts, e.tid, e.code, e.nparams), (7, 1234, 307, 7));
        assert_eq!(e.name(), "openat");
        assert_eq!(e.int_named("fd"), Some(3));
        assert_eq!(e.int_named("dirfd"), Some(-100));
        assert_eq!(e.str_named("name"), Some("/etc/shadow"));
        assert_eq!(e.value_named("ino").and_then(|v| v.as_u64()), Some(42));
        assert_eq!(e.params().count(), 7);
        assert_eq!(e.param(7), None);
    }

    #[test]
    fn generic_events_are_named_by_their_syscall() {
        // PPME_GENERIC_X with the syscall code of madvise.
        let bytes = encode_event(1, 1, 1, &[&139u16.to_le_bytes(), &28u16.to_le_bytes()]);
        assert_eq!(RawEvent::parse(&bytes).unwrap().name(), "madvise");
        let bytes = encode_event(1, 1, 1, &[&60000u16.to_le_bytes()]);
        assert_eq!(RawEvent::parse(&bytes).unwrap().name(), "syscall");
    }

    #[test]
    fn rejects_lengths_that_do_not_fit() {
        let mut bytes = encode_event(1, 1, 3, &[&3i64.to_le_bytes()]);
        assert!(matches!(
            RawEvent::parse(&bytes[..20]),
            Err(DecodeError::ShortHeader { have: 20 })
        ));
        // A parameter length pointing past the end.
        bytes[HEADER_LEN] = 200;
        assert!(matches!(
            RawEvent::parse(&bytes),
            Err(DecodeError::ParamsOverflow { code: 3, .. })
        ));
        // An event length past the buffer.
        let mut bytes = encode_event(1, 1, 3, &[]);
        bytes[16] = 99;
        assert!(matches!(
            RawEvent::parse(&bytes),
            Err(DecodeError::BadLength { len: 99, .. })
        ));
    }

    #[test]
    fn decodes_a_connect_tuple() {
        let mut tuple = vec![2u8];
        tuple.extend_from_slice(&[10, 0, 0, 1]);
        tuple.extend_from_slice(&40000u16.to_le_bytes());
        tuple.extend_from_slice(&[1, 2, 3, 4]);
        tuple.extend_from_slice(&4444u16.to_le_bytes());
        let bytes = encode_event(
            1,
            1,
            23,
            &[&0i64.to_le_bytes(), &tuple, &5i64.to_le_bytes()],
        );
        let e = RawEvent::parse(&bytes).unwrap();
        let Some(ParamValue::SockTuple(t)) = e.value_named("tuple") else {
            panic!("no tuple")
        };
        assert_eq!(t.to_string(), "10.0.0.1:40000->1.2.3.4:4444");
        assert!(matches!(t.dst, SockAddr::Inet(ip, 4444) if ip.to_string() == "1.2.3.4"));
    }
}
