//! Errors and warnings found while loading and compiling rule files.

use std::fmt;
use std::sync::Arc;

/// Where an item was written: file and 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The rule file, as named.
    pub file: Arc<str>,
    /// 1-based line; 0 for the whole file.
    pub line: u32,
    /// 1-based column; 0 when only the line is known.
    pub column: u32,
}

impl fmt::Display for Location {
    /// `file:line:column`; a problem of the whole file (it cannot be read) has no
    /// line (0), and is shown as the file alone rather than `file:0:0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (line, 0) => write!(f, "{}:{line}", self.file),
            (line, column) => write!(f, "{}:{line}:{column}", self.file),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// How bad a [`RuleDiagnostic`] is.
pub enum Severity {
    /// The item (or the file) is not used.
    Error,
    /// The item is used; something about it deserves a look.
    Warning,
}

/// One problem, with the item (`rule 'X'`, `macro 'm'`, `list 'l'`) it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDiagnostic {
    /// How bad the problem is.
    pub severity: Severity,
    /// Where it is, when it is somewhere.
    pub location: Option<Location>,
    /// The item it belongs to (`rule 'X'`), when one.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl RuleDiagnostic {
    /// An error of `item` at `location`.
    pub fn error(
        location: Option<Location>,
        item: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            location,
            item,
            message: message.into(),
        }
    }

    /// A warning about `item` at `location`.
    pub fn warning(
        location: Option<Location>,
        item: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            location,
            item,
            message: message.into(),
        }
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for RuleDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        f.write_str(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        })?;
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_show_no_placeholder_positions() {
        let at = |line, column| Location {
            file: Arc::from("rules.yaml"),
            line,
            column,
        };
        assert_eq!(at(0, 0).to_string(), "rules.yaml");
        assert_eq!(at(3, 0).to_string(), "rules.yaml:3");
        assert_eq!(at(3, 7).to_string(), "rules.yaml:3:7");
    }
}
