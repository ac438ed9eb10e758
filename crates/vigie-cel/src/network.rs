//! The IP address and CIDR library of Kubernetes CEL (`ip()`, `cidr()`,
//! `isIP`, `isCIDR`, `ip.isCanonical`, and the `net.IP` / `net.CIDR`
//! methods), also CEL's `network` extension.
//!
//! Semantics follow the Kubernetes library: addresses are parsed strictly
//! (dotted decimal without leading zeros for IPv4, RFC 4291 text for IPv6),
//! zones (`fe80::1%en0`) and IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are
//! refused, a CIDR keeps the address it was written with (`masked()` clears
//! the host bits), and the address classes are those of Go's `net/netip`
//! (e.g. private ranges are global unicast).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cel::common::types::{CelBool, CelInt, CelString, Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError};

use crate::library::{add_functions, add_methods, err, one, owned, string_arg, two, R};

/// The CEL type of IP address values, `net.IP`.
pub const IP: Type = Type::new_unspecified_type("net.IP");
/// The CEL type of CIDR values, `net.CIDR`.
pub const CIDR: Type = Type::new_unspecified_type("net.CIDR");
// Values return their type by reference.
static IP_TYPE: Type = IP;
static CIDR_TYPE: Type = CIDR;

/// An IP address value (`net.IP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(pub IpAddr);

/// A CIDR value (`net.CIDR`): an address and a prefix length; the address
/// keeps its host bits as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The address as written.
    pub addr: IpAddr,
    /// The prefix length.
    pub bits: u8,
}

opaque_val!(Ip, IP_TYPE, "net.IP");
opaque_val!(Cidr, CIDR_TYPE, "net.CIDR");

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

crate::library::opaque_conversions!(Ip, Cidr);

/// Why a text is not an address or a CIDR, in the Kubernetes library's words
/// (CEL programs see these messages).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// An IPv6 zone (`fe80::1%en0`), which Kubernetes refuses.
    #[error("IP address with zone value is not allowed: {0}")]
    Zone(String),
    /// Not an address in the strict notation.
    #[error("IP address '{0}' is not valid")]
    Invalid(String),
    /// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`), which Kubernetes refuses.
    #[error("IPv4-mapped IPv6 address is not allowed: {0}")]
    Ipv4Mapped(String),
    /// A CIDR without `/bits`.
    #[error("network address '{0}' has no prefix length")]
    NoPrefix(String),
    /// A CIDR whose address part is not an address.
    #[error("network address '{cidr}': {source}")]
    Address {
        /// The CIDR text.
        cidr: String,
        /// What is wrong with its address.
        source: Box<AddressError>,
    },
    /// A prefix length that is not a decimal number in the address's range.
    #[error("network address '{0}' has an invalid prefix length")]
    PrefixLength(String),
}

/// Parses an address as Kubernetes' `ip()` does.
pub fn parse_ip(s: &str) -> Result<IpAddr, AddressError> {
    if s.contains('%') {
        return Err(AddressError::Zone(s.to_string()));
    }
    let invalid = |_| AddressError::Invalid(s.to_string());
    let addr: IpAddr = if s.contains(':') {
        IpAddr::V6(s.parse::<Ipv6Addr>().map_err(invalid)?)
    } else {
        IpAddr::V4(s.parse::<Ipv4Addr>().map_err(invalid)?)
    };
    if let IpAddr::V6(a) = addr {
        if a.to_ipv4_mapped().is_some() {
            return Err(AddressError::Ipv4Mapped(s.to_string()));
        }
    }
    Ok(addr)
}

/// Parses a CIDR as Kubernetes' `cidr()` does.
pub fn parse_cidr(s: &str) -> Result<Cidr, AddressError> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| AddressError::NoPrefix(s.to_string()))?;
    let addr = parse_ip(a).map_err(|e| AddressError::Address {
        cidr: s.to_string(),
        source: Box::new(e),
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    // Decimal digits only, no sign and no leading zero (as Go's parser).
    let valid = !b.is_empty()
        && b.len() <= 3
        && b.bytes().all(|c| c.is_ascii_digit())
        && (b == "0" || !b.starts_with('0'));
    let bits: u8 = match b.parse() {
        Ok(n) if valid && n <= max => n,
        _ => return Err(AddressError::PrefixLength(s.to_string())),
    };
    Ok(Cidr { addr, bits })
}

fn as_u128(a: IpAddr) -> (u128, u8) {
    match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn from_u128(x: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(x as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(x))
    }
}

/// `a` with all but its first `bits` bits cleared.
fn mask(a: IpAddr, bits: u8) -> IpAddr {
    let (x, width) = as_u128(a);
    let host = u32::from(width - bits);
    let m = if host >= 128 {
        0
    } else {
        (u128::MAX >> (128 - u32::from(width))) & !((1u128 << host) - 1)
    };
    from_u128(x & m, a.is_ipv4())
}

impl Cidr {
    /// Whether `ip` is in this network (never across address families).
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.bits) == mask(self.addr, self.bits)
    }

    /// Whether every address of `other` is in this network.
    pub fn contains_cidr(&self, other: &Cidr) -> bool {
        other.bits >= self.bits && self.contains_ip(other.addr)
    }

    /// The network with its host bits cleared.
    pub fn masked(&self) -> Cidr {
        Cidr {
            addr: mask(self.addr, self.bits),
            bits: self.bits,
        }
    }
}

fn is_unspecified(a: IpAddr) -> bool {
    a.is_unspecified()
}

fn is_loopback(a: IpAddr) -> bool {
    a.is_loopback()
}

fn is_multicast(a: IpAddr) -> bool {
    a.is_multicast()
}

fn is_link_local_unicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.octets()[..2] == [169, 254],
        IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
    }
}

fn is_link_local_multicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v) => v.segments()[0] & 0xff0f == 0xff02,
    }
}

/// Unicast and not one of the special classes (private ranges included),
/// as Go's `netip.Addr.IsGlobalUnicast`.
fn is_global_unicast(a: IpAddr) -> bool {
    if a == IpAddr::V4(Ipv4Addr::BROADCAST) {
        return false;
    }
    !is_unspecified(a) && !is_loopback(a) && !is_multicast(a) && !is_link_local_unicast(a)
}

fn ip_arg(v: &CowVal<'_, '_>, function: &str) -> Result<IpAddr, ExecutionError> {
    if let Some(ip) = v.downcast_ref::<Ip>() {
        return Ok(ip.0);
    }
    parse_ip(string_arg(v, function)?).map_err(|e| err(function, e))
}

fn cidr_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Cidr, ExecutionError> {
    if let Some(c) = v.downcast_ref::<Cidr>() {
        return Ok(*c);
    }
    parse_cidr(string_arg(v, function)?).map_err(|e| err(function, e))
}

fn ip_new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "ip")?;
    owned(Ip(parse_ip(s).map_err(|e| err("ip", e))?))
}

fn is_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "isIP")?;
    owned(CelBool::from(parse_ip(s).is_ok()))
}

fn ip_is_canonical<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "ip.isCanonical")?;
    let a = parse_ip(s).map_err(|e| err("ip.isCanonical", e))?;
    owned(CelBool::from(a.to_string() == s))
}

fn cidr_new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "cidr")?;
    owned(parse_cidr(s).map_err(|e| err("cidr", e))?)
}

fn is_cidr<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "isCIDR")?;
    owned(CelBool::from(parse_cidr(s).is_ok()))
}

fn ip_string<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelString::from(ip_arg(one(&args)?, "string")?.to_string()))
}

fn cidr_string<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelString::from(
        cidr_arg(one(&args)?, "string")?.to_string(),
    ))
}

fn family<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let a = ip_arg(one(&args)?, "family")?;
    owned(CelInt::from(if a.is_ipv4() { 4 } else { 6 }))
}

macro_rules! ip_predicate {
    ($name:ident, $test:ident, $cel:literal) => {
        fn $name<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
            owned(CelBool::from($test(ip_arg(one(&args)?, $cel)?)))
        }
    };
}

ip_predicate!(m_unspecified, is_unspecified, "isUnspecified");
ip_predicate!(m_loopback, is_loopback, "isLoopback");
ip_predicate!(m_global_unicast, is_global_unicast, "isGlobalUnicast");
ip_predicate!(
    m_ll_multicast,
    is_link_local_multicast,
    "isLinkLocalMulticast"
);
ip_predicate!(m_ll_unicast, is_link_local_unicast, "isLinkLocalUnicast");

fn contains_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (c, ip) = two(&args)?;
    let c = cidr_arg(c, "containsIP")?;
    owned(CelBool::from(c.contains_ip(ip_arg(ip, "containsIP")?)))
}

fn contains_cidr<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (c, o) = two(&args)?;
    let c = cidr_arg(c, "containsCIDR")?;
    owned(CelBool::from(
        c.contains_cidr(&cidr_arg(o, "containsCIDR")?),
    ))
}

fn cidr_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(Ip(cidr_arg(one(&args)?, "ip")?.addr))
}

fn cidr_masked<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(cidr_arg(one(&args)?, "masked")?.masked())
}

fn prefix_length<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(i64::from(
        cidr_arg(one(&args)?, "prefixLength")?.bits,
    )))
}

/// Registers the library's types and functions on `env`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(IP)?;
    env.add_type(CIDR)?;
    add_functions(
        env,
        &[STRING_TYPE],
        &[
            ("ip", "string_to_ip", ip_new),
            ("isIP", "is_ip_string", is_ip),
            ("ip.isCanonical", "ip_is_canonical_string", ip_is_canonical),
            ("cidr", "string_to_cidr", cidr_new),
            ("isCIDR", "is_cidr_string", is_cidr),
        ],
    )?;
    env.add_overload("string", "ip_to_string", vec![IP], ip_string)?;
    env.add_overload("string", "cidr_to_string", vec![CIDR], cidr_string)?;
    add_methods(
        env,
        &IP,
        "net.IP.",
        &[],
        &[
            ("family", family),
            ("isUnspecified", m_unspecified),
            ("isLoopback", m_loopback),
            ("isGlobalUnicast", m_global_unicast),
            ("isLinkLocalMulticast", m_ll_multicast),
            ("isLinkLocalUnicast", m_ll_unicast),
        ],
    )?;
    for (arg, id) in [(IP, "ip"), (STRING_TYPE, "string")] {
        env.add_member_overload(
            "containsIP",
            &format!("cidr_contains_ip_{id}"),
            CIDR,
            vec![arg],
            contains_ip,
        )?;
    }
    for (arg, id) in [(CIDR, "cidr"), (STRING_TYPE, "string")] {
        env.add_member_overload(
            "containsCIDR",
            &format!("cidr_contains_cidr_{id}"),
            CIDR,
            vec![arg],
            contains_cidr,
        )?;
    }
    env.add_member_overload("ip", "cidr_ip", CIDR, vec![], cidr_ip)?;
    env.add_member_overload("masked", "cidr_masked", CIDR, vec![], cidr_masked)?;
    env.add_member_overload(
        "prefixLength",
        "cidr_prefix_length",
        CIDR,
        vec![],
        prefix_length,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_is_strict() {
        assert!(parse_ip("10.0.0.1").is_ok());
        assert!(parse_ip("010.0.0.1").is_err());
        assert!(parse_ip("10.0.0").is_err());
        assert!(parse_ip("fe80::1%eth0").is_err());
        assert!(parse_ip("::ffff:10.0.0.1").is_err());
        assert!(parse_ip("2001:db8::1").is_ok());
        assert!(parse_cidr("10.0.0.0/8").is_ok());
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("10.0.0.0/08").is_err());
        assert!(parse_cidr("10.0.0.0/").is_err());
        assert!(parse_cidr("2001:db8::/129").is_err());
    }

    #[test]
    fn containment_and_masking() {
        let c = parse_cidr("10.1.2.3/16").unwrap();
        assert_eq!(c.masked().to_string(), "10.1.0.0/16");
        assert!(c.contains_ip(parse_ip("10.1.200.1").unwrap()));
        assert!(!c.contains_ip(parse_ip("10.2.0.1").unwrap()));
        assert!(c.contains_cidr(&parse_cidr("10.1.128.0/17").unwrap()));
        assert!(!c.contains_cidr(&parse_cidr("10.0.0.0/8").unwrap()));
        let all = parse_cidr("0.0.0.0/0").unwrap();
        assert!(all.contains_ip(parse_ip("255.1.1.1").unwrap()));
        assert!(!all.contains_ip(parse_ip("::1").unwrap()));
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(v6.contains_ip(parse_ip("2001:db8:ffff::1").unwrap()));
    }

    #[test]
    fn address_classes() {
        let ip = |s| parse_ip(s).unwrap();
        assert!(is_global_unicast(ip("192.168.1.1")));
        assert!(!is_global_unicast(ip("255.255.255.255")));
        assert!(!is_global_unicast(ip("fe80::1")));
        assert!(is_link_local_multicast(ip("ff02::2")));
        assert!(!is_link_local_multicast(ip("ff05::2")));
        assert!(is_link_local_unicast(ip("febf::1")));
        assert!(!is_link_local_unicast(ip("fec0::1")));
    }
}
