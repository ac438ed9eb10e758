//! Kubernetes' semver library: `semver(s)`, `isSemver(s)` (each with an
//! optional `normalize` flag) and the methods `major()`, `minor()`,
//! `patch()`, `compareTo()`, `isGreaterThan()`, `isLessThan()`.
//!
//! Parsing is strict Semantic Versioning 2.0 (`1.2.3`, `1.2.3-rc.1+build`);
//! with `normalize`, a leading `v`, missing minor or patch numbers and
//! leading zeros are accepted first (`v1.02` is `1.2.0`), as Kubernetes
//! does. Precedence follows the specification: build metadata is ignored,
//! a pre-release is lower than its release.

use std::cmp::Ordering;

use cel::common::types::{CelBool, CelInt, Type, BOOL_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError};

use crate::library::{
    add_comparisons, add_functions, add_methods, err, one, owned, string_arg, two, Ordered, R,
};

/// A text that is not a semantic version; `semver()` reports this message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid semver '{text}'")]
pub struct SemverError {
    /// The text given.
    pub text: String,
}

/// The CEL type of versions, `kubernetes.Semver`.
pub const SEMVER: Type = Type::new_unspecified_type("kubernetes.Semver");
static SEMVER_TYPE: Type = SEMVER;

/// A semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semver {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    /// Pre-release identifiers (after `-`).
    pub pre: Vec<String>,
    /// Build metadata (after `+`), not part of precedence.
    pub build: String,
}

/// A number of a version core: digits, no leading zero.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) || s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

fn identifiers_ok(s: &str, numeric_rule: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !(numeric_rule
                && id.len() > 1
                && id.starts_with('0')
                && id.bytes().all(|c| c.is_ascii_digit()))
    })
}

impl Semver {
    /// Parses a version; `normalize` first accepts a `v` prefix, missing
    /// minor or patch numbers and leading zeros.
    pub fn parse(text: &str, normalize: bool) -> Result<Semver, SemverError> {
        let mut s = text;
        if normalize {
            s = s.strip_prefix('v').unwrap_or(s);
        }
        let (rest, build) = s.split_once('+').unwrap_or((s, ""));
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let mut parts: Vec<String> = core.split('.').map(str::to_string).collect();
        if normalize {
            while parts.len() < 3 {
                parts.push("0".into());
            }
            for p in &mut parts {
                let trimmed = p.trim_start_matches('0');
                *p = if trimmed.is_empty() && !p.is_empty() {
                    "0".into()
                } else {
                    trimmed.to_string()
                };
            }
        }
        let invalid = || SemverError {
            text: text.to_string(),
        };
        let [major, minor, patch] = parts.as_slice() else {
            return Err(invalid());
        };
        let (Some(major), Some(minor), Some(patch)) = (number(major), number(minor), number(patch))
        else {
            return Err(invalid());
        };
        if pre.is_some_and(|p| !identifiers_ok(p, true))
            || !build.is_empty() && !identifiers_ok(build, false)
            || s.ends_with('+')
        {
            return Err(invalid());
        }
        Ok(Semver {
            major,
            minor,
            patch,
            pre: pre
                .map(|p| p.split('.').map(str::to_string).collect())
                .unwrap_or_default(),
            build: build.to_string(),
        })
    }

    /// Precedence as Semantic Versioning defines it.
    pub fn precedence(&self, other: &Semver) -> Ordering {
        let core =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if core != Ordering::Equal {
            return core;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let o = match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                (Err(_), Err(_)) => a.cmp(b),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

opaque_val!(Semver, SEMVER_TYPE, "kubernetes.Semver");

fn flag(args: &[CowVal<'_, '_>]) -> bool {
    args.get(1)
        .and_then(|v| v.downcast_ref::<CelBool>())
        .is_some_and(|b| *b.inner())
}

fn version_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Semver, ExecutionError> {
    match v.downcast_ref::<Semver>() {
        Some(s) => Ok(s.clone()),
        None => Err(err(function, "expected a semver value")),
    }
}

fn new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(&args[0], "semver")?;
    owned(Semver::parse(s, flag(&args)).map_err(|e| err("semver", e))?)
}

fn is_semver<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(&args[0], "isSemver")?;
    owned(CelBool::from(Semver::parse(s, flag(&args)).is_ok()))
}

fn major<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(
        version_arg(one(&args)?, "major")?.major as i64,
    ))
}

fn minor<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(
        version_arg(one(&args)?, "minor")?.minor as i64,
    ))
}

fn patch<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(
        version_arg(one(&args)?, "patch")?.patch as i64,
    ))
}

impl Ordered for Semver {
    fn order(args: &[CowVal<'_, '_>], function: &str) -> Result<Ordering, ExecutionError> {
        let (a, b) = two(args)?;
        Ok(version_arg(a, function)?.precedence(&version_arg(b, function)?))
    }
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(SEMVER)?;
    add_functions(
        env,
        &[STRING_TYPE],
        &[
            ("semver", "string_to_semver", new),
            ("isSemver", "is_semver_string", is_semver),
        ],
    )?;
    // With the `normalize` flag (`v1.02` reads as `1.2.0`).
    add_functions(
        env,
        &[STRING_TYPE, BOOL_TYPE],
        &[
            ("semver", "string_bool_to_semver", new),
            ("isSemver", "is_semver_string_bool", is_semver),
        ],
    )?;
    add_methods(
        env,
        &SEMVER,
        "semver_",
        &[],
        &[("major", major), ("minor", minor), ("patch", patch)],
    )?;
    add_comparisons::<Semver>(env, &SEMVER, "semver_", &[SEMVER])
}
