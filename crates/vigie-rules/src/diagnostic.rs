//! Errors and warnings found while loading and compiling rule files.

use std::fmt;
use std::sync::Arc;

/// Where an item was written: file and 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
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
pub enum Severity {
    Error,
    Warning,
}

/// One problem, with the item (`rule 'X'`, `macro 'm'`, `list 'l'`) it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDiagnostic {
    pub severity: Severity,
    pub location: Option<Location>,
    pub item: Option<String>,
    pub message: String,
}

impl RuleDiagnostic {
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
