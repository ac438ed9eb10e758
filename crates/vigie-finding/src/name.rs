//! The one error of every "one of these names" parser (severities, report
//! formats, frameworks, ...), so that each says the same thing the same way.

/// A name that is none of those a type accepts; the message lists them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}` (expected {expected})")]
pub struct UnknownName {
    /// What was being named: `severity`, `format`.
    pub what: &'static str,
    /// The name given.
    pub given: String,
    /// The names accepted, in words: `info, low, medium, high or critical`.
    pub expected: &'static str,
}

impl UnknownName {
    /// `given` is not a `what`; `expected` lists the names that are.
    pub fn new(what: &'static str, given: impl Into<String>, expected: &'static str) -> Self {
        Self {
            what,
            given: given.into(),
            expected,
        }
    }
}
