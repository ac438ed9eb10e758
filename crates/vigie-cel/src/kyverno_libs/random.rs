//! `random(pattern)`: a random string matching a regular expression, as
//! Kyverno's (goregen) generator makes it.
//!
//! Literals are copied, classes and `.` pick a character (printable ASCII when
//! the class has any, as Go's ASCII `\d`, `\w`, `\s` and `.` would give),
//! alternatives pick one branch, `*` and `+` repeat up to 10 times, `{n,}` up to
//! n + 10 times; anchors and word boundaries produce nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use regex_syntax::hir::{Class, Hir, HirKind};

const MAX_UNBOUNDED: u32 = 10;

struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        static COUNTER: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let bump = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        Rng((nanos ^ bump) | 1)
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next() % (hi - lo + 1)
    }
}

/// Why `random` cannot make a string of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RandomError {
    /// The pattern is empty (Kyverno's text).
    #[error("no pattern provided")]
    NoPattern,
    /// The pattern is not a regular expression.
    #[error("invalid pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The parser's reason.
        reason: Box<regex_syntax::Error>,
    },
    /// A character class no character is in (`[^\x00-\x{10FFFF}]`).
    #[error("empty character class")]
    EmptyClass,
}

/// A random string matching `pattern`, or why the pattern cannot be used.
pub fn generate(pattern: &str) -> Result<String, RandomError> {
    if pattern.is_empty() {
        return Err(RandomError::NoPattern);
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|reason| RandomError::InvalidPattern {
            pattern: pattern.to_string(),
            reason: Box::new(reason),
        })?;
    let mut out = String::new();
    emit(&hir, &mut Rng::new(), &mut out)?;
    Ok(out)
}

fn emit(hir: &Hir, rng: &mut Rng, out: &mut String) -> Result<(), RandomError> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.push_str(&String::from_utf8_lossy(&lit.0)),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges: Vec<(u32, u32)> = class
                .ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end() as u32))
                .collect();
            out.push(pick(&ranges, rng).ok_or(RandomError::EmptyClass)?);
        }
        HirKind::Class(Class::Bytes(class)) => {
            let ranges: Vec<(u32, u32)> = class
                .ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end().min(0x7F) as u32))
                .filter(|(a, b)| a <= b)
                .collect();
            out.push(pick(&ranges, rng).ok_or(RandomError::EmptyClass)?);
        }
        HirKind::Repetition(rep) => {
            let max = rep
                .max
                .unwrap_or_else(|| rep.min.saturating_add(MAX_UNBOUNDED));
            let count = rng.between(rep.min as u64, max as u64);
            for _ in 0..count {
                emit(&rep.sub, rng, out)?;
            }
        }
        HirKind::Capture(cap) => emit(&cap.sub, rng, out)?,
        HirKind::Concat(items) => {
            for item in items {
                emit(item, rng, out)?;
            }
        }
        HirKind::Alternation(items) => {
            let i = rng.between(0, items.len() as u64 - 1) as usize;
            emit(&items[i], rng, out)?;
        }
    }
    Ok(())
}

/// A random character of the ranges, preferring printable ASCII.
fn pick(ranges: &[(u32, u32)], rng: &mut Rng) -> Option<char> {
    let printable: Vec<(u32, u32)> = ranges
        .iter()
        .map(|&(a, b)| (a.max(0x20), b.min(0x7E)))
        .filter(|(a, b)| a <= b)
        .collect();
    let set = if printable.is_empty() {
        ranges
    } else {
        &printable[..]
    };
    let total: u64 = set.iter().map(|(a, b)| (b - a + 1) as u64).sum();
    if total == 0 {
        return None;
    }
    for _ in 0..8 {
        let mut n = rng.between(0, total - 1);
        for &(a, b) in set {
            let size = (b - a + 1) as u64;
            if n < size {
                if let Some(c) = char::from_u32(a + n as u32) {
                    return Some(c);
                }
                break;
            }
            n -= size;
        }
    }
    set.iter().find_map(|&(a, _)| char::from_u32(a))
}

/// The pattern of `random()` called without one, Kyverno's default.
const DEFAULT_PATTERN: &str = "[0-9a-z]{8}";

pub(super) fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
    use cel::common::types::STRING_TYPE;
    for (name, id) in [
        ("random", "kyverno_random"),
        ("random.random", "kyverno_random_random"),
    ] {
        env.add_overload(name, &format!("{id}_string"), vec![STRING_TYPE], random_of)?;
        env.add_overload(name, &format!("{id}_default"), vec![], random_default)?;
    }
    Ok(())
}

fn random_string<'b, 'v>(pattern: &str) -> crate::library::R<'b, 'v> {
    let out = generate(pattern).map_err(|e| crate::library::err("random", e))?;
    crate::library::owned(cel::common::types::CelString::from(out))
}

fn random_of<'b, 'v>(args: Vec<cel::common::value::CowVal<'b, 'v>>) -> crate::library::R<'b, 'v> {
    let pattern = crate::library::string_arg(crate::library::one(&args)?, "random")?;
    random_string(pattern)
}

fn random_default<'b, 'v>(
    args: Vec<cel::common::value::CowVal<'b, 'v>>,
) -> crate::library::R<'b, 'v> {
    if !args.is_empty() {
        return Err(cel::ExecutionError::invalid_argument_count(0, args.len()));
    }
    random_string(DEFAULT_PATTERN)
}

#[cfg(test)]
mod cel_tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn random_matches_the_pattern() {
        assert_eq!(
            json("random('[a-c]{5}-[0-9]{2}').matches('^[a-c]{5}-[0-9]{2}$')"),
            json!(true)
        );
        assert_eq!(
            json("random.random('x[0-9]').matches('^x[0-9]$')"),
            json!(true)
        );
        assert_eq!(json("random().matches('^[0-9a-z]{8}$')"), json!(true));
        assert_eq!(json("random.random().size()"), json!(8));
    }

    #[test]
    fn random_rejects_bad_patterns() {
        assert!(eval("random('')").is_err());
        assert!(eval("random('[a-')").is_err());
        assert!(eval("random(1)").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_strings_match_their_pattern() {
        for pattern in [
            "[a-z]{8}",
            "^[0-9a-f]{4}-(dev|prod)$",
            "\\d{3}\\w+",
            "id-[A-Z]?[0-9]*",
            "x.y",
            "(ab|cd){2,3}z",
        ] {
            let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
            for _ in 0..50 {
                let s = generate(pattern).unwrap();
                assert!(re.is_match(&s), "{s:?} does not match {pattern}");
                assert!(s.is_ascii(), "{s:?}");
            }
        }
    }

    #[test]
    fn values_vary_and_bad_patterns_fail() {
        let a: Vec<String> = (0..5).map(|_| generate("[a-z]{16}").unwrap()).collect();
        assert!(a.iter().any(|s| s != &a[0]));
        assert_eq!(generate(""), Err(RandomError::NoPattern));
        let Err(RandomError::InvalidPattern { pattern, .. }) = generate("(") else {
            panic!("an unclosed group is not a pattern");
        };
        assert_eq!(pattern, "(");
    }
}
