//! Pod Security Standards levels and versions.

use std::fmt;
use std::str::FromStr;

/// A Pod Security Standards level. `Restricted` includes everything `Baseline` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The minimal restrictions that block known privilege escalations.
    Baseline,
    /// Current pod hardening best practice; includes baseline.
    Restricted,
}

impl Level {
    /// The lowercase name (`baseline`), as labels write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(VersionError::UnknownLevel(s.to_string())),
        }
    }
}

/// Why a Pod Security level or version was not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Neither `baseline` nor `restricted`.
    #[error("unknown Pod Security level `{}` (expected baseline or restricted)", .0.to_ascii_lowercase())]
    UnknownLevel(String),
    /// Not `latest` nor `v1.N`.
    #[error("invalid Pod Security version `{0}` (expected `latest` or v1.N, such as v1.30)")]
    Invalid(String),
    /// A version newer than [`Version::LATEST`], where one vigie knows is needed.
    #[error(
        "unknown Pod Security version `{0}`: vigie knows the standards of v1.0 to {latest} \
         (use `latest` for the newest)",
        latest = Version::LATEST
    )]
    Unknown(String),
}

/// A Kubernetes minor version the standards are defined for (`v1.0` to [`Version::LATEST`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The minor version: 25 for v1.25.
    pub minor: u32,
}

impl Version {
    /// The newest version whose standards vigie implements.
    pub const LATEST: Version = Version { minor: 37 };

    /// Version v1.`minor`.
    pub const fn v1(minor: u32) -> Self {
        Self { minor }
    }

    /// Like [`FromStr`], but a version newer than [`Version::LATEST`] is an error
    /// instead of the latest standards: for a version a person typed, where
    /// `v1.99` is a mistake rather than a cluster from the future.
    pub fn parse_known(s: &str) -> Result<Self, VersionError> {
        match asked_minor(s)? {
            minor if minor > Version::LATEST.minor => Err(VersionError::Unknown(s.to_string())),
            minor => Ok(Version::v1(minor)),
        }
    }
}

/// The minor version `s` names, as written (`latest` is [`Version::LATEST`]):
/// `v1.25`, `1.25` and `v1.25.3` (the patch is ignored, as the standards only
/// change with minor versions).
fn asked_minor(s: &str) -> Result<u32, VersionError> {
    if s.eq_ignore_ascii_case("latest") {
        return Ok(Version::LATEST.minor);
    }
    let bad = || VersionError::Invalid(s.to_string());
    let rest = s.strip_prefix('v').unwrap_or(s);
    let rest = rest.strip_prefix("1.").ok_or_else(bad)?;
    rest.split('.')
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|_| bad())
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v1.{}", self.minor)
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Accepts `latest`, `v1.25`, `1.25` and `v1.25.3` (the patch is ignored, as
    /// the standards only change with minor versions). Versions newer than
    /// [`Version::LATEST`] use the latest standards, as Kubernetes does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Version::v1(asked_minor(s)?.min(Version::LATEST.minor)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!("v1.25".parse(), Ok(Version::v1(25)));
        assert_eq!("1.8".parse(), Ok(Version::v1(8)));
        assert_eq!("v1.30.2".parse(), Ok(Version::v1(30)));
        assert_eq!("latest".parse(), Ok(Version::LATEST));
        assert_eq!("v1.99".parse(), Ok(Version::LATEST));
        assert!("v2.0".parse::<Version>().is_err());
        assert!("v1.x".parse::<Version>().is_err());
        assert_eq!(Version::parse_known("v1.25"), Ok(Version::v1(25)));
        assert_eq!(Version::parse_known("latest"), Ok(Version::LATEST));
        let newer = format!("v1.{}", Version::LATEST.minor + 1);
        assert!(Version::parse_known(&newer)
            .unwrap_err()
            .to_string()
            .contains("vigie knows the standards"));
        assert!(Version::parse_known("v1.99").is_err());
    }
}
