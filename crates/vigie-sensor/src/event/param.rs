//! Parameter values decoded by their wire type. Numbers are little-endian; text is
//! NUL-terminated; socket addresses start with a family byte (libscap's `PPM_AF_*`)
//! and carry ports in host order.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::table::ParamType;

/// libscap's address family numbers.
pub mod family {
    /// Unix domain sockets.
    pub const UNIX: u8 = 1;
    /// IPv4.
    pub const INET: u8 = 2;
    /// IPv6.
    pub const INET6: u8 = 10;
}

/// A socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// An IP address and port.
    Inet(IpAddr, u16),
    /// A unix socket path (empty for unnamed sockets).
    Unix(&'a str),
    /// Another family, by its number.
    Other(u8),
}

impl fmt::Display for SockAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Inet(IpAddr::V4(ip), port) => write!(f, "{ip}:{port}"),
            SockAddr::Inet(IpAddr::V6(ip), port) => write!(f, "{ip}:{port}"),
            SockAddr::Unix(path) => f.write_str(path),
            SockAddr::Other(_) => Ok(()),
        }
    }
}

/// Both ends of a connection: source (client) and destination (server) for IP; for
/// unix sockets, the kernel's socket pointers and the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockTuple<'a> {
    /// The source end.
    pub src: SockAddr<'a>,
    /// The destination end.
    pub dst: SockAddr<'a>,
}

impl fmt::Display for SockTuple<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.src, self.dst) {
            (SockAddr::Unix(_), SockAddr::Unix(path)) => f.write_str(path),
            (src, dst) => write!(f, "{src}->{dst}"),
        }
    }
}

/// One decoded parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue<'a> {
    /// Empty: the producer had no value.
    Empty,
    /// A signed number (ints, fds, pids, errnos).
    Int(i64),
    /// An unsigned number (uints, flags, modes, uids, times).
    Uint(u64),
    /// A floating point number.
    Double(f64),
    /// Text, without its trailing NUL (invalid UTF-8 is kept as bytes).
    Str(&'a str),
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// An IP address.
    Ip(IpAddr),
    /// A socket address.
    SockAddr(SockAddr<'a>),
    /// A connection's ends.
    SockTuple(SockTuple<'a>),
    /// A list of (fd, flags) pairs.
    FdList(Vec<(i64, u16)>),
    /// Bytes too short for the type.
    Malformed(&'a [u8]),
}

fn le<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.get(..N)?.try_into().ok()
}

/// Text up to the first NUL.
pub fn c_str(b: &[u8]) -> Result<&str, &[u8]> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    std::str::from_utf8(&b[..end]).map_err(|_| &b[..end])
}

fn ip4(b: &[u8]) -> Option<Ipv4Addr> {
    le::<4>(b).map(Ipv4Addr::from)
}

fn ip6(b: &[u8]) -> Option<Ipv6Addr> {
    le::<16>(b).map(Ipv6Addr::from)
}

fn port(b: &[u8]) -> Option<u16> {
    le::<2>(b).map(u16::from_le_bytes)
}

fn sockaddr(b: &[u8]) -> Option<SockAddr<'_>> {
    let (&fam, rest) = b.split_first()?;
    Some(match fam {
        family::INET => SockAddr::Inet(ip4(rest)?.into(), port(rest.get(4..)?)?),
        family::INET6 => SockAddr::Inet(ip6(rest)?.into(), port(rest.get(16..)?)?),
        family::UNIX => SockAddr::Unix(c_str(rest).unwrap_or("")),
        other => SockAddr::Other(other),
    })
}

fn socktuple(b: &[u8]) -> Option<SockTuple<'_>> {
    let (&fam, rest) = b.split_first()?;
    Some(match fam {
        family::INET => SockTuple {
            src: SockAddr::Inet(ip4(rest)?.into(), port(rest.get(4..)?)?),
            dst: SockAddr::Inet(ip4(rest.get(6..)?)?.into(), port(rest.get(10..)?)?),
        },
        family::INET6 => SockTuple {
            src: SockAddr::Inet(ip6(rest)?.into(), port(rest.get(16..)?)?),
            dst: SockAddr::Inet(ip6(rest.get(18..)?)?.into(), port(rest.get(34..)?)?),
        },
        family::UNIX => {
            // Two kernel pointers (source, destination), then the path.
            let path = c_str(rest.get(16..)?).unwrap_or("");
            SockTuple {
                src: SockAddr::Unix(""),
                dst: SockAddr::Unix(path),
            }
        }
        other => SockTuple {
            src: SockAddr::Other(other),
            dst: SockAddr::Other(other),
        },
    })
}

fn fdlist(b: &[u8]) -> Option<Vec<(i64, u16)>> {
    let n = u16::from_le_bytes(le::<2>(b)?) as usize;
    let body = b.get(2..2 + n * 10)?;
    Some(
        body.chunks_exact(10)
            .map(|c| {
                (
                    i64::from_le_bytes(c[..8].try_into().expect("8")),
                    u16::from_le_bytes([c[8], c[9]]),
                )
            })
            .collect(),
    )
}

impl<'a> ParamValue<'a> {
    /// Decodes bytes of the given type.
    pub fn decode(ty: ParamType, b: &'a [u8]) -> ParamValue<'a> {
        use ParamType as T;
        if b.is_empty() {
            return ParamValue::Empty;
        }
        let v = match ty {
            T::Int8 => le::<1>(b).map(|x| ParamValue::Int(i8::from_le_bytes(x) as i64)),
            T::Int16 => le::<2>(b).map(|x| ParamValue::Int(i16::from_le_bytes(x) as i64)),
            T::Int32 | T::Fd32 | T::Pid32 => {
                le::<4>(b).map(|x| ParamValue::Int(i32::from_le_bytes(x) as i64))
            }
            T::Int64 | T::Errno | T::Fd | T::Pid => {
                le::<8>(b).map(|x| ParamValue::Int(i64::from_le_bytes(x)))
            }
            T::Uint8 | T::Flags8 | T::Enumflags8 | T::Sigtype | T::L4proto | T::Sockfamily => {
                Some(ParamValue::Uint(b[0] as u64))
            }
            T::Uint16 | T::Flags16 | T::Enumflags16 | T::Syscallid | T::Port => {
                le::<2>(b).map(|x| ParamValue::Uint(u16::from_le_bytes(x) as u64))
            }
            T::Uint32
            | T::Flags32
            | T::Enumflags32
            | T::Uid
            | T::Gid
            | T::Mode
            | T::Bool
            | T::Sigset => le::<4>(b).map(|x| ParamValue::Uint(u32::from_le_bytes(x) as u64)),
            T::Uint64 | T::Reltime | T::Abstime => {
                le::<8>(b).map(|x| ParamValue::Uint(u64::from_le_bytes(x)))
            }
            T::Double => le::<8>(b).map(|x| ParamValue::Double(f64::from_le_bytes(x))),
            T::Charbuf | T::Fspath | T::Fsrelpath => Some(match c_str(b) {
                Ok(s) => ParamValue::Str(s),
                Err(bytes) => ParamValue::Bytes(bytes),
            }),
            T::Ipv4addr => ip4(b).map(|ip| ParamValue::Ip(ip.into())),
            T::Ipv6addr => ip6(b).map(|ip| ParamValue::Ip(ip.into())),
            T::Ipaddr if b.len() == 4 => ip4(b).map(|ip| ParamValue::Ip(ip.into())),
            T::Ipaddr => ip6(b).map(|ip| ParamValue::Ip(ip.into())),
            T::Sockaddr => sockaddr(b).map(ParamValue::SockAddr),
            T::Socktuple => socktuple(b).map(ParamValue::SockTuple),
            T::Fdlist => fdlist(b).map(ParamValue::FdList),
            T::Bytebuf
            | T::None
            | T::Dyn
            | T::Charbufarray
            | T::CharbufPairArray
            | T::Ipv4net
            | T::Ipv6net
            | T::Ipnet => Some(ParamValue::Bytes(b)),
        };
        v.unwrap_or(ParamValue::Malformed(b))
    }

    /// The value as a signed number.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ParamValue::Int(v) => Some(v),
            ParamValue::Uint(v) => Some(v as i64),
            _ => None,
        }
    }

    /// The value as an unsigned number.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            ParamValue::Int(v) => Some(v as u64),
            ParamValue::Uint(v) => Some(v),
            _ => None,
        }
    }

    /// The value as text.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            ParamValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes (text and byte buffers).
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            ParamValue::Str(s) => Some(s.as_bytes()),
            ParamValue::Bytes(b) | ParamValue::Malformed(b) => Some(b),
            _ => None,
        }
    }
}

/// The NUL-separated strings of a byte buffer (execve's `args`, `env`, `cgroups`).
pub fn split_nul(b: &[u8]) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    b.split(|&c| c == 0)
        .filter(move |_| !b.is_empty())
        .map(String::from_utf8_lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_numbers_text_and_short_input() {
        assert_eq!(
            ParamValue::decode(ParamType::Fd, &(-2i64).to_le_bytes()),
            ParamValue::Int(-2)
        );
        assert_eq!(
            ParamValue::decode(ParamType::Charbuf, b"bash\0"),
            ParamValue::Str("bash")
        );
        assert_eq!(
            ParamValue::decode(ParamType::Uint32, &[1, 2]),
            ParamValue::Malformed(&[1, 2])
        );
        assert_eq!(ParamValue::decode(ParamType::Pid, &[]), ParamValue::Empty);
    }

    #[test]
    fn splits_argument_buffers() {
        let args: Vec<_> = split_nul(b"-c\0echo hi\0").collect();
        assert_eq!(args, ["-c", "echo hi"]);
        assert_eq!(split_nul(b"").count(), 0);
    }

    #[test]
    fn decodes_unix_and_v6_addresses() {
        let mut unix = vec![family::UNIX];
        unix.extend_from_slice(&[0; 16]);
        unix.extend_from_slice(b"/run/containerd/containerd.sock\0");
        let ParamValue::SockTuple(t) = ParamValue::decode(ParamType::Socktuple, &unix) else {
            panic!()
        };
        assert_eq!(t.to_string(), "/run/containerd/containerd.sock");
        let mut v6 = vec![family::INET6];
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v6.extend_from_slice(&80u16.to_le_bytes());
        let v = ParamValue::decode(ParamType::Sockaddr, &v6);
        assert_eq!(
            v,
            ParamValue::SockAddr(SockAddr::Inet(Ipv6Addr::LOCALHOST.into(), 80))
        );
    }
}
