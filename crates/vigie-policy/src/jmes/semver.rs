//! `semver_compare` as Kyverno runs it: versions and ranges of the
//! `blang/semver` (v4) library, with its exact grammar.
//!
//! A range is comparators separated by spaces (AND) and `||` (OR). A comparator
//! is an operator (`<`, `<=`, `>`, `>=`, `=`, `==`, `!`, `!=` or none) and a
//! strict `MAJOR.MINOR.PATCH[-pre][+build]` version; an operator may be followed
//! by spaces (`>= 1.2.3`). `1.x`, `1.2.x` and `1.x.x` wildcards expand as the
//! library expands them. The library has no `~`, `^` or hyphen ranges: Kyverno
//! reports them as errors, and so does vigie.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Pre>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pre {
    Num(u64),
    Text(String),
}

impl Version {
    pub const ZERO: Version = Version {
        major: 0,
        minor: 0,
        patch: 0,
        pre: Vec::new(),
    };

    /// Strict parsing, as `semver.Parse`.
    pub(crate) fn parse(s: &str) -> Result<Version, String> {
        if s.is_empty() {
            return Err("version string empty".into());
        }
        let parts: Vec<&str> = s.splitn(3, '.').collect();
        if parts.len() != 3 {
            return Err("no Major.Minor.Patch elements found".into());
        }
        let number = |p: &str, what: &str| -> Result<u64, String> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid character(s) found in {what} number {p:?}"));
            }
            if p.len() > 1 && p.starts_with('0') {
                return Err(format!(
                    "{what} number must not contain leading zeroes {p:?}"
                ));
            }
            p.parse().map_err(|e| format!("{e}"))
        };
        let major = number(parts[0], "major")?;
        let minor = number(parts[1], "minor")?;
        let mut rest = parts[2];
        let mut build = None;
        if let Some(i) = rest.find('+') {
            build = Some(&rest[i + 1..]);
            rest = &rest[..i];
        }
        let mut pre_text = None;
        if let Some(i) = rest.find('-') {
            pre_text = Some(&rest[i + 1..]);
            rest = &rest[..i];
        }
        let patch = number(rest, "patch")?;
        let ident_ok =
            |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let mut pre = Vec::new();
        if let Some(text) = pre_text {
            for p in text.split('.') {
                if !ident_ok(p) {
                    return Err(format!("invalid pre-release part {p:?}"));
                }
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    if p.len() > 1 && p.starts_with('0') {
                        return Err(format!(
                            "pre-release number must not contain leading zeroes {p:?}"
                        ));
                    }
                    pre.push(Pre::Num(p.parse().map_err(|e| format!("{e}"))?));
                } else {
                    pre.push(Pre::Text(p.to_string()));
                }
            }
        }
        if let Some(text) = build {
            if !text.split('.').all(ident_ok) {
                return Err(format!("invalid build metadata {text:?}"));
            }
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&o.pre) {
                        let ord = match (a, b) {
                            (Pre::Num(x), Pre::Num(y)) => x.cmp(y),
                            (Pre::Num(_), Pre::Text(_)) => Ordering::Less,
                            (Pre::Text(_), Pre::Num(_)) => Ordering::Greater,
                            (Pre::Text(x), Pre::Text(y)) => x.cmp(y),
                        };
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    self.pre.len().cmp(&o.pre.len())
                }
            })
    }
}

type Comparator = (String, Version);

/// A parsed range: OR of ANDs of comparators.
pub struct Range(Vec<Vec<Comparator>>);

impl Range {
    pub(crate) fn parse(s: &str) -> Result<Range, String> {
        let parts = split_and_trim(s);
        let mut or_parts: Vec<Vec<String>> = Vec::new();
        let mut last = 0;
        for (i, p) in parts.iter().enumerate() {
            if p == "||" {
                if i == 0 {
                    return Err("first element in range is '||'".into());
                }
                or_parts.push(parts[last..i].to_vec());
                last = i + 1;
            }
        }
        if last == parts.len() {
            return Err("last element in range is '||'".into());
        }
        or_parts.push(parts[last..].to_vec());
        let mut out = Vec::new();
        for part in or_parts {
            let mut and = Vec::new();
            for comparator in expand_wildcards(&part)? {
                let (op, v) = split_comparator(&comparator)?;
                if !matches!(op, "" | "=" | "==" | ">" | ">=" | "<" | "<=" | "!" | "!=") {
                    return Err(format!(
                        "could not parse range {comparator:?}: could not parse comparator {op:?}"
                    ));
                }
                let version = Version::parse(v)
                    .map_err(|e| format!("could not parse range {comparator:?}: {e}"))?;
                and.push((op.to_string(), version));
            }
            out.push(and);
        }
        Ok(Range(out))
    }

    pub fn contains(&self, v: &Version) -> bool {
        self.0.iter().any(|and| {
            and.iter().all(|(op, bound)| {
                let ord = v.compare(bound);
                match op.as_str() {
                    ">" => ord == Ordering::Greater,
                    ">=" => ord != Ordering::Less,
                    "<" => ord == Ordering::Less,
                    "<=" => ord != Ordering::Greater,
                    "!" | "!=" => ord != Ordering::Equal,
                    _ => ord == Ordering::Equal,
                }
            })
        })
    }
}

/// Splits on spaces, except after `>`, `<` or `=` (so `>= 1.0.0` stays one
/// comparator), and drops one-character parts, as the library does.
fn split_and_trim(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut last = 0usize;
    let mut last_char = 0u8;
    for i in 0..b.len() {
        if b[i] == b' ' && !matches!(last_char, b'>' | b'<' | b'=') {
            if last + 1 < i {
                out.push(s[last..i].to_string());
            }
            last = i + 1;
        } else if b[i] != b' ' {
            last_char = b[i];
        }
    }
    if last + 1 < b.len() {
        out.push(s[last..].to_string());
    }
    out.into_iter().map(|p| p.replace(' ', "")).collect()
}

fn split_comparator(s: &str) -> Result<(&str, &str), String> {
    let i = s
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("could not get version from string: {s:?}"))?;
    Ok((s[..i].trim(), &s[i..]))
}

fn expand_wildcards(parts: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in parts {
        let (op, v) = split_comparator(part)?;
        if !part.contains(".x") {
            out.push(part.clone());
            continue;
        }
        let pieces: Vec<&str> = v.split('.').collect();
        let kind = match (pieces.len(), pieces.last() == Some(&"x")) {
            (2, true) => 2,
            (3, true) => 3,
            _ => 0,
        };
        let flat = {
            let once = v.replacen(".x.x", ".x", 1).replacen(".x", ".0", 1);
            if once.split('.').count() == 2 {
                format!("{once}.0")
            } else {
                once
            }
        };
        let increment = |flat: &str, index: usize| -> String {
            let mut p: Vec<String> = flat.split('.').map(str::to_string).collect();
            if let Some(n) = p.get(index).and_then(|x| x.parse::<u64>().ok()) {
                p[index] = (n + 1).to_string();
            }
            p.join(".")
        };
        let (result_op, bump) = match op {
            ">" => (">=", true),
            ">=" => (">=", false),
            "<" => ("<", false),
            "<=" => ("<", true),
            "" | "=" | "==" => {
                out.push(format!(">={flat}"));
                ("<", true)
            }
            "!=" | "!" => {
                out.push(format!("<{flat}"));
                (">=", true)
            }
            _ => ("", false),
        };
        let version = if bump {
            match kind {
                3 => increment(&flat, 1),
                2 => increment(&flat, 0),
                _ => String::new(),
            }
        } else {
            flat
        };
        out.push(format!("{result_op}{version}"));
    }
    Ok(out)
}

/// `semver_compare(version, range)`: an unparsable version is `0.0.0` (Kyverno
/// ignores the parse error); an unparsable range is an error.
pub(crate) fn compare(version: &str, range: &str) -> Result<bool, String> {
    let v = Version::parse(version).unwrap_or(Version::ZERO);
    let r = Range::parse(range)?;
    Ok(r.contains(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str, r: &str) -> bool {
        compare(v, r).unwrap_or_else(|e| panic!("{r}: {e}"))
    }

    /// Asserts, for each `(version, range, inside)`, whether the version is in
    /// the range.
    fn assert_in_range(cases: &[(&str, &str, bool)]) {
        for &(version, range, inside) in cases {
            assert_eq!(ok(version, range), inside, "{version} in {range}");
        }
    }

    #[test]
    fn comparators_and_combinations() {
        assert_in_range(&[
            ("1.4.2", ">=1.4.0 <1.5.0", true),
            ("1.5.0", ">=1.4.0 <1.5.0", false),
            ("3.2.0", "<1.0.0 || >=3.0.0", true),
            ("2.0.1", "!2.0.0", true),
            ("2.0.0", "!=2.0.0", false),
            ("2.0.0", "==2.0.0", true),
            ("2.0.0", "2.0.0", true),
            ("1.8.0", ">= 1.7.0  < 2.0.0", true),
            ("0.9.0", "<=0.9.0", true),
            ("1.1.0", ">1.0.9", true),
        ]);
    }

    #[test]
    fn prerelease_and_build() {
        assert_in_range(&[
            ("1.0.0-alpha.2", ">1.0.0-alpha.1", true),
            ("1.0.0-alpha.10", ">1.0.0-alpha.9", true),
            ("1.0.0-beta", ">1.0.0-alpha.9", true),
            ("1.0.0-rc.1", "<1.0.0", true),
            ("1.0.0+build.7", "=1.0.0", true),
        ]);
    }

    #[test]
    fn wildcards_expand_like_the_library() {
        assert_in_range(&[
            ("1.9.3", "1.x", true),
            ("2.0.0", "1.x", false),
            ("1.2.7", "1.2.x", true),
            ("1.3.0", "1.2.x", false),
            ("1.3.0", ">1.2.x", true),
            ("1.2.9", ">1.2.x", false),
            ("1.2.9", "<=1.2.x", true),
            // `!=1.x` becomes `<1.0.0 >=2.0.0` (AND) in the library: nothing matches.
            ("0.9.0", "!=1.x", false),
            ("1.5.0", "!=1.x", false),
            // `1.x.x` expands as the library does it: to the minor level.
            ("1.0.5", "1.x.x", true),
            ("1.1.0", "1.x.x", false),
        ]);
    }

    #[test]
    fn unparsable_input() {
        // A version the library cannot parse compares as 0.0.0.
        assert!(ok("v1.2.3", "<0.0.1"));
        assert!(ok("1.2", "=0.0.0"));
        // Forms the library does not know are errors, as in Kyverno.
        assert!(compare("1.2.3", "~1.2.0").is_err());
        assert!(compare("1.2.3", "^1.0.0").is_err());
        // The library drops one-character parts: `1.0.0 - 2.0.0` is `=1.0.0 =2.0.0`.
        assert_eq!(compare("1.2.3", "1.0.0 - 2.0.0"), Ok(false));
        assert!(compare("1.2.3", ">=1.2").is_err());
        assert!(compare("1.2.3", "|| 1.0.0").is_err());
        assert!(compare("1.2.3", "1.0.0 ||").is_err());
    }
}
