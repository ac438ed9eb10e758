//! Kyverno's JMESPath functions, registered on top of the standard ones.
//!
//! Each function checks its own arguments and reports a plain message; the
//! wrapper turns it into a JMESPath error carrying the expression and offset.

use std::collections::BTreeMap;
use vigie_resource::wildcard_match;

use jmespath::{Context, ErrorReason, JmespathError, Rcvar, Runtime, Variable};
use serde_json::Number;

use super::encoding::{base64_decode, base64_encode};
use super::limits::MAX_STRING_BYTES;
use super::time::{format_duration, format_rfc3339, now, parse_rfc3339, Timestamp};
use crate::quantity::{parse_duration, parse_quantity};

type FnResult = Result<Rcvar, String>;
type KyvernoFn = fn(&[Rcvar]) -> FnResult;

fn register_fn(runtime: &mut Runtime, name: &'static str, min: usize, max: usize, f: KyvernoFn) {
    let closure = move |args: &[Rcvar], ctx: &mut Context<'_>| -> Result<Rcvar, JmespathError> {
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(error(
                ctx,
                format!("{name}() takes {expected} arguments, got {}", args.len()),
            ));
        }
        f(args).map_err(|reason| error(ctx, format!("{name}(): {reason}")))
    };
    runtime.register_function(name, Box::new(closure));
}

fn error(ctx: &Context<'_>, reason: String) -> JmespathError {
    JmespathError::new(ctx.expression, ctx.offset, ErrorReason::Parse(reason))
}

pub fn register(runtime: &mut Runtime) {
    let table: &[(&'static str, usize, usize, KyvernoFn)] = &[
        ("compare", 2, 2, compare),
        ("equal_fold", 2, 2, equal_fold),
        ("replace", 4, 4, replace),
        ("replace_all", 3, 3, replace_all),
        ("to_upper", 1, 1, |a| {
            Ok(super::string(str_arg(a, 0)?.to_uppercase()))
        }),
        ("to_lower", 1, 1, |a| {
            Ok(super::string(str_arg(a, 0)?.to_lowercase()))
        }),
        ("trim", 2, 2, trim),
        ("trim_prefix", 2, 2, |a| {
            let s = str_arg(a, 0)?;
            Ok(super::string(s.strip_prefix(str_arg(a, 1)?).unwrap_or(s)))
        }),
        ("trim_suffix", 2, 2, |a| {
            let s = str_arg(a, 0)?;
            Ok(super::string(s.strip_suffix(str_arg(a, 1)?).unwrap_or(s)))
        }),
        ("split", 2, 2, split),
        ("regex_replace_all", 3, 3, |a| regex_replace(a, true)),
        ("regex_replace_all_literal", 3, 3, |a| {
            regex_replace(a, false)
        }),
        ("regex_match", 2, 2, regex_match),
        ("pattern_match", 2, 2, |a| {
            Ok(boolean(wildcard_match(str_arg(a, 0)?, &text_of(&a[1])?)))
        }),
        ("label_match", 2, 2, label_match),
        ("to_boolean", 1, 1, to_boolean),
        ("add", 2, 2, |a| arithmetic(a, Arith::Add)),
        ("subtract", 2, 2, |a| arithmetic(a, Arith::Subtract)),
        ("multiply", 2, 2, |a| arithmetic(a, Arith::Multiply)),
        ("divide", 2, 2, |a| arithmetic(a, Arith::Divide)),
        ("modulo", 2, 2, |a| arithmetic(a, Arith::Modulo)),
        ("sum", 1, 1, sum),
        ("round", 2, 2, round),
        ("base64_decode", 1, 1, |a| {
            let bytes = base64_decode(str_arg(a, 0)?).ok_or("invalid base64")?;
            Ok(super::string(String::from_utf8_lossy(&bytes).into_owned()))
        }),
        ("base64_encode", 1, 1, |a| {
            Ok(super::string(base64_encode(str_arg(a, 0)?.as_bytes())))
        }),
        ("path_canonicalize", 1, 1, |a| {
            Ok(super::string(canonical_path(str_arg(a, 0)?)))
        }),
        ("truncate", 2, 2, truncate),
        ("semver_compare", 2, 2, semver_compare),
        ("parse_json", 1, 1, |a| {
            let v: serde_json::Value =
                serde_json::from_str(str_arg(a, 0)?).map_err(|e| e.to_string())?;
            Ok(super::to_var(&v))
        }),
        ("parse_yaml", 1, 1, parse_yaml),
        ("lookup", 2, 2, lookup),
        ("items", 3, 3, items),
        ("object_from_lists", 2, 2, object_from_lists),
        ("image_normalize", 1, 1, |a| {
            let image = crate::images::parse(str_arg(a, 0)?).ok_or("invalid image reference")?;
            Ok(super::string(image.normalized()))
        }),
        ("is_external_url", 1, 1, is_external_url),
        ("time_now", 0, 0, |_| {
            Ok(super::string(format_rfc3339(now())))
        }),
        ("time_now_utc", 0, 0, |_| {
            Ok(super::string(format_rfc3339(now())))
        }),
        ("time_utc", 1, 1, |a| {
            let t = time_arg(a, 0)?;
            Ok(super::string(format_rfc3339(Timestamp { offset: 0, ..t })))
        }),
        ("time_add", 2, 2, |a| {
            let t = time_arg(a, 0)?;
            let d = duration_arg(a, 1)?;
            Ok(super::string(format_rfc3339(Timestamp {
                seconds: t.seconds + d,
                ..t
            })))
        }),
        ("time_parse", 2, 2, time_parse),
        ("time_diff", 2, 2, |a| {
            Ok(super::string(format_duration(
                time_arg(a, 1)?.seconds - time_arg(a, 0)?.seconds,
            )))
        }),
        ("time_before", 2, 2, |a| {
            Ok(boolean(time_arg(a, 0)?.seconds < time_arg(a, 1)?.seconds))
        }),
        ("time_after", 2, 2, |a| {
            Ok(boolean(time_arg(a, 0)?.seconds > time_arg(a, 1)?.seconds))
        }),
        ("time_between", 3, 3, |a| {
            let t = time_arg(a, 0)?.seconds;
            Ok(boolean(
                t > time_arg(a, 1)?.seconds && t < time_arg(a, 2)?.seconds,
            ))
        }),
        ("time_truncate", 2, 2, |a| {
            let t = time_arg(a, 0)?;
            let d = duration_arg(a, 1)?;
            let seconds = if d > 0.0 {
                (t.seconds / d).floor() * d
            } else {
                t.seconds
            };
            Ok(super::string(format_rfc3339(Timestamp {
                seconds,
                offset: 0,
            })))
        }),
        ("time_since", 3, 3, time_since),
        ("time_to_cron", 1, 1, |a| {
            let t = time_arg(a, 0)?;
            let text = format_rfc3339(Timestamp { offset: 0, ..t });
            let part = |r: std::ops::Range<usize>| text[r].trim_start_matches('0').to_string();
            let or_zero = |s: String| if s.is_empty() { "0".to_string() } else { s };
            let days = (t.seconds / 86400.0).floor() as i64;
            let weekday = (days + 4).rem_euclid(7);
            Ok(super::string(format!(
                "{} {} {} {} {}",
                or_zero(part(14..16)),
                or_zero(part(11..13)),
                part(8..10),
                part(5..7),
                weekday
            )))
        }),
        ("x509_decode", 1, 1, |a| {
            let decoded = vigie_cel::kyverno_libs::x509::decode(str_arg(a, 0)?);
            Ok(super::to_var(&decoded.map_err(|e| e.to_string())?))
        }),
        ("random", 1, 1, |a| {
            let made = vigie_cel::kyverno_libs::random::generate(str_arg(a, 0)?);
            Ok(super::string(made.map_err(|e| e.to_string())?))
        }),
    ];
    for &(name, min, max, f) in table {
        register_fn(runtime, name, min, max, f);
    }
}

fn boolean(b: bool) -> Rcvar {
    Rcvar::new(Variable::Bool(b))
}

fn number(f: f64) -> Result<Rcvar, String> {
    let n = if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Number::from(f as i64)
    } else {
        Number::from_f64(f).ok_or("result is not a finite number")?
    };
    Ok(Rcvar::new(Variable::Number(n)))
}

fn type_name(v: &Variable) -> String {
    v.get_type().to_string()
}

fn str_arg(args: &[Rcvar], i: usize) -> Result<&str, String> {
    args[i].as_string().map(String::as_str).ok_or_else(|| {
        format!(
            "argument {} must be a string, got {}",
            i + 1,
            type_name(&args[i])
        )
    })
}

/// A string argument that may also be given as a number.
fn text_of(v: &Variable) -> Result<String, String> {
    match v {
        Variable::String(s) => Ok(s.clone()),
        Variable::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "expected a string or number, got {}",
            type_name(other)
        )),
    }
}

fn compare(a: &[Rcvar]) -> FnResult {
    let ordering = str_arg(a, 0)?.cmp(str_arg(a, 1)?);
    number(ordering as i8 as f64)
}

fn equal_fold(a: &[Rcvar]) -> FnResult {
    let (x, y) = (str_arg(a, 0)?, str_arg(a, 1)?);
    Ok(boolean(x.to_lowercase() == y.to_lowercase()))
}

fn replace(a: &[Rcvar]) -> FnResult {
    let (s, old, new) = (str_arg(a, 0)?, str_arg(a, 1)?, str_arg(a, 2)?);
    let n = a[3].as_number().ok_or("argument 4 must be a number")?;
    let count = if n < 0.0 { usize::MAX } else { n as usize };
    replaced(s, old, new, count).map(super::string)
}

fn replace_all(a: &[Rcvar]) -> FnResult {
    replaced(str_arg(a, 0)?, str_arg(a, 1)?, str_arg(a, 2)?, usize::MAX).map(super::string)
}

/// `s` with the first `count` occurrences of `old` replaced, refused before it is
/// built when it would pass the string limit (replacements can multiply sizes).
fn replaced(s: &str, old: &str, new: &str, count: usize) -> Result<String, String> {
    let occurrences = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    }
    .min(count);
    let size = s.len() as u128 + occurrences as u128 * new.len() as u128;
    if size > MAX_STRING_BYTES as u128 {
        return Err(too_long());
    }
    Ok(if count == usize::MAX {
        s.replace(old, new)
    } else {
        s.replacen(old, new, count)
    })
}

fn too_long() -> String {
    format!("the result would be longer than the {MAX_STRING_BYTES}-byte limit")
}

fn trim(a: &[Rcvar]) -> FnResult {
    let cutset: Vec<char> = str_arg(a, 1)?.chars().collect();
    Ok(super::string(
        str_arg(a, 0)?.trim_matches(cutset.as_slice()),
    ))
}

fn split(a: &[Rcvar]) -> FnResult {
    let (s, sep) = (str_arg(a, 0)?, str_arg(a, 1)?);
    let parts: Vec<Rcvar> = if sep.is_empty() {
        s.chars().map(|c| super::string(c.to_string())).collect()
    } else {
        s.split(sep).map(super::string).collect()
    };
    Ok(Rcvar::new(Variable::Array(parts)))
}

fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| format!("invalid regex {pattern:?}: {e}"))
}

fn regex_replace(a: &[Rcvar], expand: bool) -> FnResult {
    let re = compile_regex(str_arg(a, 0)?)?;
    let source = text_of(&a[1])?;
    let replacement = text_of(&a[2])?;
    // Built match by match, so that a growing result stops at the limit.
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(&source) {
        let whole = caps.get(0).expect("group 0 is the match");
        out.push_str(&source[last..whole.start()]);
        // Each `$group` copies at most the whole match: refuse before expanding.
        let dollars = replacement.matches('$').count();
        let bound = out.len() + replacement.len() + dollars.saturating_mul(whole.len());
        if expand && bound > MAX_STRING_BYTES {
            return Err(too_long());
        }
        if expand {
            caps.expand(&replacement, &mut out);
        } else {
            out.push_str(&replacement);
        }
        last = whole.end();
        if out.len() > MAX_STRING_BYTES {
            return Err(too_long());
        }
    }
    out.push_str(&source[last..]);
    if out.len() > MAX_STRING_BYTES {
        return Err(too_long());
    }
    Ok(super::string(out))
}

fn regex_match(a: &[Rcvar]) -> FnResult {
    let re = compile_regex(str_arg(a, 0)?)?;
    Ok(boolean(re.is_match(&text_of(&a[1])?)))
}

fn label_match(a: &[Rcvar]) -> FnResult {
    let selector = a[0].as_object().ok_or("argument 1 must be an object")?;
    let labels = a[1].as_object().ok_or("argument 2 must be an object")?;
    Ok(boolean(
        selector
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|l| l == v)),
    ))
}

fn to_boolean(a: &[Rcvar]) -> FnResult {
    match str_arg(a, 0)?.to_lowercase().as_str() {
        "true" => Ok(boolean(true)),
        "false" => Ok(boolean(false)),
        other => Err(format!("cannot convert {other:?} to a boolean")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Operand {
    Number(f64),
    Quantity(f64),
    Duration(f64),
}

fn operand(v: &Variable) -> Result<Operand, String> {
    match v {
        Variable::Number(n) => Ok(Operand::Number(n.as_f64().unwrap_or(f64::NAN))),
        // Quantities first: `250m` is far more often CPU than minutes.
        Variable::String(s) => parse_quantity(s)
            .map(Operand::Quantity)
            .or_else(|| parse_duration(s).map(Operand::Duration))
            .ok_or_else(|| format!("{s:?} is neither a number, a quantity nor a duration")),
        other => Err(format!(
            "expected a number, quantity or duration, got {}",
            type_name(other)
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Arith {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

fn arithmetic(a: &[Rcvar], op: Arith) -> FnResult {
    use Operand::*;
    let (mut x, mut y) = (operand(&a[0])?, operand(&a[1])?);
    // `30m` next to a duration is thirty minutes, not thirty milli-units.
    let as_duration = |v: &Variable| v.as_string().and_then(|s| parse_duration(s)).map(Duration);
    match (x, y) {
        (Duration(_), Quantity(_)) => y = as_duration(&a[1]).unwrap_or(y),
        (Quantity(_), Duration(_)) => x = as_duration(&a[0]).unwrap_or(x),
        _ => {}
    }
    let apply = |p: f64, q: f64| -> Result<f64, String> {
        match op {
            Arith::Add => Ok(p + q),
            Arith::Subtract => Ok(p - q),
            Arith::Multiply => Ok(p * q),
            Arith::Divide if q == 0.0 => Err("division by zero".into()),
            Arith::Divide => Ok(p / q),
            Arith::Modulo if q == 0.0 => Err("modulo by zero".into()),
            Arith::Modulo => Ok(p % q),
        }
    };
    let same_kind_gives_number = matches!(op, Arith::Divide);
    match (x, y) {
        (Number(p), Number(q)) => number(apply(p, q)?),
        (Quantity(p), Quantity(q)) if same_kind_gives_number => number(apply(p, q)?),
        (Duration(p), Duration(q)) if same_kind_gives_number => number(apply(p, q)?),
        (Quantity(p), Quantity(q)) | (Quantity(p), Number(q)) | (Number(p), Quantity(q)) => {
            Ok(super::string(format_quantity(apply(p, q)?)))
        }
        (Duration(p), Duration(q)) | (Duration(p), Number(q)) | (Number(p), Duration(q)) => {
            Ok(super::string(format_duration(apply(p, q)?)))
        }
        _ => Err("cannot combine a quantity with a duration".into()),
    }
}

/// Renders a quantity in the largest binary or decimal unit that keeps it whole.
pub fn format_quantity(value: f64) -> String {
    if value.fract() == 0.0 {
        let v = value as i64;
        if v == 0 {
            return "0".into();
        }
        for (suffix, factor) in [
            ("Ei", 1i64 << 60),
            ("Pi", 1 << 50),
            ("Ti", 1 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ] {
            if v % factor == 0 {
                return format!("{}{suffix}", v / factor);
            }
        }
        for (suffix, factor) in [
            ("E", 1_000_000_000_000_000_000i64),
            ("P", 1_000_000_000_000_000),
            ("T", 1_000_000_000_000),
            ("G", 1_000_000_000),
            ("M", 1_000_000),
            ("k", 1000),
        ] {
            if v % factor == 0 {
                return format!("{}{suffix}", v / factor);
            }
        }
        return v.to_string();
    }
    let milli = value * 1000.0;
    if (milli - milli.round()).abs() < 1e-6 {
        return format!("{}m", milli.round() as i64);
    }
    value.to_string()
}

fn sum(a: &[Rcvar]) -> FnResult {
    let items = a[0].as_array().ok_or("argument must be an array")?;
    let Some(first) = items.first() else {
        return number(0.0);
    };
    let mut acc = first.clone();
    for item in &items[1..] {
        acc = arithmetic(&[acc, item.clone()], Arith::Add)?;
    }
    Ok(acc)
}

fn round(a: &[Rcvar]) -> FnResult {
    let v = a[0].as_number().ok_or("argument 1 must be a number")?;
    let digits = a[1].as_number().ok_or("argument 2 must be a number")?;
    if digits.fract() != 0.0 || digits < 0.0 {
        return Err("argument 2 must be a non-negative integer".into());
    }
    let factor = 10f64.powi(digits as i32);
    number((v * factor).round() / factor)
}

fn canonical_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn truncate(a: &[Rcvar]) -> FnResult {
    let s = str_arg(a, 0)?;
    let n = a[1].as_number().ok_or("argument 2 must be a number")?;
    let n = n.max(0.0) as usize;
    Ok(super::string(s.chars().take(n).collect::<String>()))
}

/// `semver_compare(version, range)` with the grammar of Kyverno's library.
fn semver_compare(a: &[Rcvar]) -> FnResult {
    Ok(boolean(super::semver::compare(
        str_arg(a, 0)?,
        str_arg(a, 1)?,
    )?))
}

fn parse_yaml(a: &[Rcvar]) -> FnResult {
    let text = str_arg(a, 0)?;
    let mut docs = vigie_resource::parse_documents(text).into_iter();
    match docs.next() {
        Some(Ok(doc)) => Ok(super::to_var(&crate::json::node_to_json(&doc.root))),
        Some(Err(e)) => Err(format!("invalid YAML: {}", e.reason)),
        None => Ok(Rcvar::new(Variable::Null)),
    }
}

fn lookup(a: &[Rcvar]) -> FnResult {
    match &*a[0] {
        Variable::Object(map) => {
            let key = str_arg(a, 1)?;
            Ok(map
                .get(key)
                .cloned()
                .unwrap_or_else(|| Rcvar::new(Variable::Null)))
        }
        Variable::Array(items) => {
            let idx = a[1]
                .as_number()
                .ok_or("argument 2 must be a number for an array")?;
            if idx.fract() != 0.0 {
                return Err("index must be an integer".into());
            }
            Ok(if idx >= 0.0 {
                items
                    .get(idx as usize)
                    .cloned()
                    .unwrap_or_else(|| Rcvar::new(Variable::Null))
            } else {
                Rcvar::new(Variable::Null)
            })
        }
        other => Err(format!(
            "argument 1 must be an object or array, got {}",
            type_name(other)
        )),
    }
}

fn items(a: &[Rcvar]) -> FnResult {
    let (key_name, value_name) = (str_arg(a, 1)?, str_arg(a, 2)?);
    let pair = |k: Rcvar, v: Rcvar| {
        let mut m = BTreeMap::new();
        m.insert(key_name.to_string(), k);
        m.insert(value_name.to_string(), v);
        Rcvar::new(Variable::Object(m))
    };
    let out: Vec<Rcvar> = match &*a[0] {
        Variable::Object(map) => map
            .iter()
            .map(|(k, v)| pair(super::string(k.clone()), v.clone()))
            .collect(),
        Variable::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| pair(Rcvar::new(Variable::Number(Number::from(i))), v.clone()))
            .collect(),
        other => {
            return Err(format!(
                "argument 1 must be an object or array, got {}",
                type_name(other)
            ))
        }
    };
    Ok(Rcvar::new(Variable::Array(out)))
}

fn object_from_lists(a: &[Rcvar]) -> FnResult {
    let keys = a[0].as_array().ok_or("argument 1 must be an array")?;
    let values = a[1].as_array().ok_or("argument 2 must be an array")?;
    let mut map = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        let key = k.as_string().ok_or("keys must be strings")?;
        let value = values
            .get(i)
            .cloned()
            .unwrap_or_else(|| Rcvar::new(Variable::Null));
        map.insert(key.clone(), value);
    }
    Ok(Rcvar::new(Variable::Object(map)))
}

fn is_external_url(a: &[Rcvar]) -> FnResult {
    let url = str_arg(a, 0)?;
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(boolean(false));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.trim_start_matches('[').split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    let internal = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
            }
            std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
        });
    Ok(boolean(!host.is_empty() && !internal))
}

fn time_arg(a: &[Rcvar], i: usize) -> Result<Timestamp, String> {
    let s = str_arg(a, i)?;
    parse_rfc3339(s).ok_or_else(|| format!("{s:?} is not an RFC 3339 time"))
}

fn duration_arg(a: &[Rcvar], i: usize) -> Result<f64, String> {
    let s = str_arg(a, i)?;
    parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration"))
}

/// `time.Parse(layout, value)` as Go does it; an empty layout is RFC 3339 (as
/// `time_since` treats it).
fn parse_with_layout(layout: &str, value: &str) -> Result<Timestamp, String> {
    if layout.is_empty() {
        return parse_rfc3339(value).ok_or_else(|| format!("{value:?} is not an RFC 3339 time"));
    }
    super::time::parse_go_layout(layout, value)
}

/// `time_parse(layout, value)`: a layout that is an integer means the value is
/// Unix epoch seconds (as in Kyverno); any other layout is a Go reference-time
/// layout, parsed as Go's `time.Parse` does.
fn time_parse(a: &[Rcvar]) -> FnResult {
    let layout = str_arg(a, 0)?;
    let value = text_of(&a[1])?;
    if go_parse_int(layout).is_some() {
        let epoch =
            go_parse_int(&value).ok_or_else(|| format!("{value:?} is not an epoch time"))?;
        return Ok(super::string(format_rfc3339(Timestamp {
            seconds: epoch as f64,
            offset: 0,
        })));
    }
    let t = super::time::parse_go_layout(layout, &value)?;
    Ok(super::string(format_rfc3339(t)))
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits only.
fn go_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn time_since(a: &[Rcvar]) -> FnResult {
    let layout = str_arg(a, 0)?;
    let start = parse_with_layout(layout, str_arg(a, 1)?)?;
    let end_text = str_arg(a, 2)?;
    let end = if end_text.is_empty() {
        now()
    } else {
        parse_with_layout(layout, end_text)?
    };
    Ok(super::string(format_duration(end.seconds - start.seconds)))
}

#[cfg(test)]
mod tests {
    use crate::jmes::{to_json, to_var, Expr};
    use serde_json::{json, Value as Json};

    fn eval(expr: &str) -> Json {
        let e = Expr::compile(expr).unwrap_or_else(|e| panic!("{e}"));
        to_json(
            &e.search(&crate::jmes::Document::new(to_var(&json!({}))))
                .unwrap_or_else(|e| panic!("{expr}: {e}")),
        )
    }

    fn fails(expr: &str) -> bool {
        Expr::compile(expr)
            .unwrap()
            .search(&crate::jmes::Document::new(to_var(&json!({}))))
            .is_err()
    }

    #[test]
    fn strings() {
        assert_eq!(eval("compare('a', 'b')"), json!(-1));
        assert_eq!(eval("equal_fold('Go', 'GO')"), json!(true));
        assert_eq!(eval("replace('aaa', 'a', 'b', `2`)"), json!("bba"));
        assert_eq!(eval("replace_all('aaa', 'a', 'b')"), json!("bbb"));
        assert_eq!(eval("to_upper('ab')"), json!("AB"));
        assert_eq!(eval("to_lower('AB')"), json!("ab"));
        assert_eq!(eval("trim('--a--', '-')"), json!("a"));
        assert_eq!(eval("trim_prefix('v1.2', 'v')"), json!("1.2"));
        assert_eq!(eval("split('a,b', ',')"), json!(["a", "b"]));
        assert_eq!(eval("truncate('abcdef', `3`)"), json!("abc"));
        assert_eq!(eval("to_boolean('True')"), json!(true));
        assert!(fails("to_boolean('yes')"));
    }

    #[test]
    fn regex_and_wildcards() {
        assert_eq!(eval("regex_match('^[a-z]+$', 'abc')"), json!(true));
        assert_eq!(eval("regex_match('^[0-9]+$', `123`)"), json!(true));
        assert_eq!(
            eval("regex_replace_all('([a-z]+)-([0-9])', 'ab-1', '$2$1')"),
            json!("1ab")
        );
        assert_eq!(
            eval("regex_replace_all_literal('a', 'aba', '$1')"),
            json!("$1b$1")
        );
        assert_eq!(eval("pattern_match('nginx*', 'nginx:1')"), json!(true));
        assert!(fails("regex_match('(', 'x')"));
    }

    #[test]
    fn arithmetic_on_numbers_quantities_durations() {
        assert_eq!(eval("add(`1`, `2`)"), json!(3));
        assert_eq!(eval("add('1Gi', '512Mi')"), json!("1536Mi"));
        assert_eq!(eval("subtract('2h', '30m')"), json!("1h30m0s"));
        assert_eq!(eval("multiply('250m', `4`)"), json!("1"));
        assert_eq!(eval("divide('1Gi', '1Mi')"), json!(1024));
        assert_eq!(eval("modulo(`7`, `3`)"), json!(1));
        assert_eq!(eval("sum(['1Gi', '1Gi'])"), json!("2Gi"));
        assert_eq!(eval("sum([`1`, `2`])"), json!(3));
        assert_eq!(eval("round(`1.256`, `2`)"), json!(1.26));
        assert!(fails("divide(`1`, `0`)"));
        assert!(fails("add('1Gi', '1h')"));
    }

    #[test]
    fn encoding_and_parsing() {
        assert_eq!(eval("base64_encode('hi')"), json!("aGk="));
        assert_eq!(eval("base64_decode('aGk=')"), json!("hi"));
        assert_eq!(eval("parse_json('{\"a\": [1]}')"), json!({"a": [1]}));
        assert_eq!(eval("parse_yaml('a: b')"), json!({"a": "b"}));
        assert_eq!(eval("path_canonicalize('/a/../b//c/.')"), json!("/b/c"));
    }

    #[test]
    fn objects() {
        assert_eq!(eval("lookup({a: `1`}, 'a')"), json!(1));
        assert_eq!(eval("lookup([`5`, `6`], `1`)"), json!(6));
        assert_eq!(
            eval("items({a: 'x'}, 'k', 'v')"),
            json!([{"k": "a", "v": "x"}])
        );
        assert_eq!(
            eval("object_from_lists(['a', 'b'], [`1`])"),
            json!({"a": 1, "b": null})
        );
        assert_eq!(
            eval("label_match({app: 'x'}, {app: 'x', tier: 'y'})"),
            json!(true)
        );
        assert_eq!(eval("label_match({app: 'z'}, {app: 'x'})"), json!(false));
    }

    #[test]
    fn versions_images_urls() {
        assert_eq!(
            eval("semver_compare('1.2.3', '>=1.0.0 <2.0.0')"),
            json!(true)
        );
        assert_eq!(
            eval("semver_compare('2.2.3', '>=1.0.0 <2.0.0 || 3.0.0')"),
            json!(false)
        );
        assert_eq!(eval("semver_compare('1.4.0', '1.x')"), json!(true));
        assert!(fails("semver_compare('1.4.0', '~1.4.0')"));
        assert_eq!(
            eval("image_normalize('nginx')"),
            json!("docker.io/nginx:latest")
        );
        assert_eq!(
            eval("is_external_url('https://example.com/x')"),
            json!(true)
        );
        assert_eq!(eval("is_external_url('http://10.0.0.1/x')"), json!(false));
    }

    #[test]
    fn random_and_x509() {
        let s = eval("random('[a-z]{6}-[0-9]{2}')");
        let s = s.as_str().unwrap();
        assert!(
            regex::Regex::new("^[a-z]{6}-[0-9]{2}$")
                .unwrap()
                .is_match(s),
            "{s}"
        );
        assert!(fails("random('')"));
        assert!(fails("x509_decode('nope')"));
    }

    #[test]
    fn times() {
        assert_eq!(
            eval("time_add('2023-01-01T00:00:00Z', '1h')"),
            json!("2023-01-01T01:00:00Z")
        );
        assert_eq!(
            eval("time_before('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')"),
            json!(true)
        );
        assert_eq!(
            eval("time_after('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')"),
            json!(false)
        );
        assert_eq!(
            eval("time_since('', '2023-01-01T00:00:00Z', '2023-01-01T01:30:00Z')"),
            json!("1h30m0s")
        );
        assert_eq!(
            eval("time_diff('2023-01-01T00:00:00Z', '2023-01-01T00:00:10Z')"),
            json!("10s")
        );
        assert_eq!(
            eval("time_to_cron('2023-01-02T03:04:00Z')"),
            json!("4 3 2 1 1")
        );
        assert_eq!(
            eval("time_truncate('2023-01-01T01:30:00Z', '1h')"),
            json!("2023-01-01T01:00:00Z")
        );
        assert_eq!(
            eval(
                "time_parse('Mon, 02 Jan 2006 15:04:05 -0700', 'Tue, 10 Oct 2023 08:30:00 +0200')"
            ),
            json!("2023-10-10T08:30:00+02:00")
        );
        assert_eq!(
            eval("time_parse('1136214245', '1700000000')"),
            json!("2023-11-14T22:13:20Z")
        );
        assert!(fails("time_parse('2006-01-02', '10/10/2023')"));
        assert_eq!(
            eval("time_since('2006-01-02 15:04', '2023-01-01 10:00', '2023-01-01 12:30')"),
            json!("2h30m0s")
        );
    }
}
