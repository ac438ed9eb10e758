//! Kubernetes' regex library: `s.find(re)` (the first match, or `''`) and
//! `s.findAll(re)`, `s.findAll(re, n)` (every match, at most `n` when `n`
//! is not negative). Patterns are RE2 in Kubernetes; the `regex` crate
//! takes the same syntax and also matches in linear time.

use cel::common::types::{CelInt, CelList, CelString};
use cel::common::value::Val;
use cel::{DeclarationError, Env, ExecutionError};
use regex::Regex;

/// The largest compiled pattern accepted (the `regex` crate's default).
const MAX_REGEX_BYTES: usize = 10 * 1024 * 1024;

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_member_overload!(env, fn find: (CelString, CelString) -> Result<CelString>)?;
    cel::add_member_overload!(env, fn find_all: (CelString, CelString) -> Result<CelList>,
        name = "findAll")?;
    cel::add_member_overload!(env, fn find_all_n: (CelString, CelString, CelInt) -> Result<CelList>,
        name = "findAll")?;
    Ok(())
}

fn compile(function: &str, pattern: &str) -> Result<Regex, ExecutionError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| ExecutionError::function_error(function, e.to_string()))
}

fn find(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    let re = compile("find", re)?;
    Ok(CelString::from(
        re.find(this).map(|m| m.as_str()).unwrap_or("").to_owned(),
    ))
}

fn find_all(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelList<'static>, ExecutionError> {
    find_all_n(this, re, &CelInt::from(-1))
}

fn find_all_n(
    this: &CelString<'_>,
    re: &CelString<'_>,
    n: &CelInt,
) -> Result<CelList<'static>, ExecutionError> {
    let re = compile("findAll", re)?;
    let limit = usize::try_from(*n.inner()).unwrap_or(usize::MAX);
    Ok(re
        .find_iter(this)
        .take(limit)
        .map(|m| Box::new(CelString::from(m.as_str().to_owned())) as Box<dyn Val>)
        .collect::<Vec<_>>()
        .into())
}
