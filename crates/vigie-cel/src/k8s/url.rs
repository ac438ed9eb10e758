//! Kubernetes' URL library: `url(s)`, `isURL(s)` and the methods
//! `getScheme()`, `getHost()`, `getHostname()`, `getPort()`,
//! `getEscapedPath()`, `getQuery()`.
//!
//! Kubernetes reads the text as a request URI (Go's `url.ParseRequestURI`):
//! an absolute URI (`https://host:8443/p?q=1`, `mailto:x`) or an absolute
//! path (`/p?q=1`); there is no fragment (a `#` is part of the path or
//! query). `getHostname()` drops the port and an IPv6 address's brackets;
//! `getQuery()` maps each key to its values, decoded.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{CelBool, CelString, Type, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::{Key, Map};
use cel::{DeclarationError, Env, ExecutionError, Value};

use crate::library::{add_methods, err, one, owned, string_arg, R};

/// The CEL type of URLs, `kubernetes.URL`.
pub const URL: Type = Type::new_unspecified_type("kubernetes.URL");
static URL_TYPE: Type = URL;

/// A URL, kept in its parts as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Url {
    /// `https`; empty for an absolute path.
    pub scheme: String,
    /// `host:port` (brackets kept around an IPv6 address); empty if none.
    pub host: String,
    /// The path as written (percent escapes kept).
    pub path: String,
    /// The text after `?`, undecoded.
    pub query: String,
}

/// A text that is not a URL as Go's `url.Parse` reads it; `url()` reports this
/// message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("URL parse error during conversion from string: parse {text:?}: {reason}")]
pub struct UrlError {
    /// The text given.
    pub text: String,
    /// What is wrong with it, in Go's words.
    pub reason: String,
}

fn invalid(text: &str, why: &str) -> UrlError {
    UrlError {
        text: text.to_string(),
        reason: why.to_string(),
    }
}

/// Whether every `%` starts a two-digit hexadecimal escape.
fn escapes_valid(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                let end = (i + 3).min(b.len());
                return Err(format!("invalid URL escape {:?}", &s[i..end]));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

impl Url {
    /// Parses `text` as Kubernetes' `url()` does.
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        if text.is_empty() {
            return Err(invalid(text, "empty url"));
        }
        if text.bytes().any(|c| c < 0x20 || c == 0x7f) {
            return Err(invalid(text, "net/url: invalid control character in URL"));
        }
        let mut url = Url::default();
        let mut rest = text;
        if !rest.starts_with('/') {
            let colon = rest
                .find(':')
                .ok_or_else(|| invalid(text, "invalid URI for request"))?;
            let scheme = &rest[..colon];
            let valid = scheme.bytes().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || i > 0 && (c.is_ascii_digit() || b"+-.".contains(&c))
            });
            if scheme.is_empty() {
                return Err(invalid(text, "missing protocol scheme"));
            }
            if !valid {
                return Err(invalid(
                    text,
                    "first path segment in URL cannot contain colon",
                ));
            }
            url.scheme = scheme.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        }
        if let Some((before, query)) = rest.split_once('?') {
            url.query = query.to_string();
            rest = before;
        }
        if let Some(after) = rest.strip_prefix("//").filter(|_| !url.scheme.is_empty()) {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            check_host(host).map_err(|e| invalid(text, &e))?;
            url.host = host.to_string();
            rest = &after[end..];
        } else if !url.scheme.is_empty() && !rest.starts_with('/') {
            // An opaque URI (`mailto:x`): no host, no path.
            return Ok(url);
        }
        escapes_valid(rest).map_err(|e| invalid(text, &e))?;
        url.path = rest.to_string();
        Ok(url)
    }

    /// The host without its port, and without brackets for IPv6.
    pub fn hostname(&self) -> &str {
        if let Some(inner) = self.host.strip_prefix('[') {
            return inner.split(']').next().unwrap_or_default();
        }
        self.host.split(':').next().unwrap_or_default()
    }

    /// The port as written, or empty.
    pub fn port(&self) -> &str {
        let after = match self.host.rfind(']') {
            Some(i) => &self.host[i + 1..],
            None => &self.host,
        };
        after.split_once(':').map_or("", |(_, p)| p)
    }

    /// The query as a map from key to values, decoded (`+` is a space).
    pub fn query_map(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            // A key or value that does not decode is left out, as Go does.
            if let (Some(k), Some(v)) = (decode(k), decode(v)) {
                out.entry(k).or_default().push(v);
            }
        }
        out
    }
}

/// A port after the host must be digits; an IPv6 address needs brackets.
fn check_host(host: &str) -> Result<(), String> {
    let port = if let Some(inner) = host.strip_prefix('[') {
        let (_, after) = inner
            .split_once(']')
            .ok_or_else(|| "missing ']' in host".to_string())?;
        match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("invalid port {p:?} after host"))?,
            ),
        }
    } else {
        if host
            .bytes()
            .any(|c| c == b' ' || c == b'"' || c == b'<' || c == b'>')
        {
            return Err("invalid character in host name".into());
        }
        host.split_once(':').map(|(_, p)| p)
    };
    match port {
        Some(p) if !p.bytes().all(|c| c.is_ascii_digit()) => {
            Err(format!("invalid port \":{p}\" after host"))
        }
        _ => escapes_valid(host),
    }
}

/// Percent-decodes a query component (`+` is a space); `None` if invalid.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

opaque_val!(Url, URL_TYPE, "kubernetes.URL");

fn url_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Url, ExecutionError> {
    match v.downcast_ref::<Url>() {
        Some(u) => Ok(u.clone()),
        None => Url::parse(string_arg(v, function)?).map_err(|e| err(function, e)),
    }
}

fn new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(url_arg(one(&args)?, "url")?)
}

fn is_url<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "isURL")?;
    owned(CelBool::from(Url::parse(s).is_ok()))
}

macro_rules! url_string {
    ($name:ident, $cel:literal, |$u:ident| $body:expr) => {
        fn $name<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
            let $u = url_arg(one(&args)?, $cel)?;
            owned(CelString::from($body.to_string()))
        }
    };
}

url_string!(scheme, "getScheme", |u| u.scheme);
url_string!(host, "getHost", |u| u.host);
url_string!(hostname, "getHostname", |u| u.hostname());
url_string!(port, "getPort", |u| u.port());
url_string!(escaped_path, "getEscapedPath", |u| u.path);

fn query<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let u = url_arg(one(&args)?, "getQuery")?;
    let map: HashMap<Key, Value> = u
        .query_map()
        .into_iter()
        .map(|(k, vs)| {
            let list = vs.into_iter().map(|v| Value::String(Arc::new(v))).collect();
            (Key::String(Arc::new(k)), Value::List(Arc::new(list)))
        })
        .collect();
    let boxed: Box<dyn Val> = Value::Map(Map { map: Arc::new(map) }).try_into()?;
    Ok(CowVal::Owned(boxed))
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(URL)?;
    env.add_overload("url", "string_to_url", vec![STRING_TYPE], new)?;
    env.add_overload("isURL", "is_url_string", vec![STRING_TYPE], is_url)?;
    add_methods(
        env,
        &URL,
        "url_",
        &[],
        &[
            ("getScheme", scheme),
            ("getHost", host),
            ("getHostname", hostname),
            ("getPort", port),
            ("getEscapedPath", escaped_path),
            ("getQuery", query),
        ],
    )
}
