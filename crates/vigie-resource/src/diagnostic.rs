//! Problems met while loading input.

use std::fmt;

use crate::node::Pos;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// How bad a [`Diagnostic`] is.
pub enum DiagnosticLevel {
    /// The input was loaded anyway (a duplicate key, say).
    Warning,
    /// Part of the input could not be loaded: a file, a document or a list item.
    Error,
}

/// One problem with the input: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether the input was loaded despite it.
    pub level: DiagnosticLevel,
    /// The path as the user named it (or `<stdin>`).
    pub file: String,
    /// Where in the file, when known (an unreadable file has no position).
    pub pos: Option<Pos>,
    /// What is wrong, for people.
    pub reason: String,
}

impl Diagnostic {
    /// A problem that kept part of the input from loading. A position with a zero
    /// line or column (a placeholder, never a place in a file) is dropped.
    pub fn error(file: impl Into<String>, pos: Option<Pos>, reason: impl Into<String>) -> Self {
        Self {
            level: DiagnosticLevel::Error,
            file: file.into(),
            pos: pos.filter(|p| p.line > 0 && p.column > 0),
            reason: reason.into(),
        }
    }

    /// A problem that did not keep the input from loading.
    pub fn warning(file: impl Into<String>, pos: Option<Pos>, reason: impl Into<String>) -> Self {
        Self {
            level: DiagnosticLevel::Warning,
            ..Self::error(file, pos, reason)
        }
    }

    /// Whether part of the input was not loaded.
    pub fn is_error(&self) -> bool {
        self.level == DiagnosticLevel::Error
    }

    /// `file:line:column: reason` (or `file: reason` without a position): the
    /// diagnostic without its level, for callers that say the level their way.
    pub fn located(&self) -> impl fmt::Display + '_ {
        Located(self)
    }
}

struct Located<'d>(&'d Diagnostic);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        match d.pos {
            Some(pos) => write!(f, "{}:{pos}: {}", d.file, d.reason),
            None => write!(f, "{}: {}", d.file, d.reason),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Error => "error",
        };
        write!(f, "{level}: {}", self.located())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_positions_are_not_shown() {
        let diagnostic = Diagnostic::error("a.yaml", Some(Pos::new(0, 0)), "bad");
        assert_eq!(diagnostic.to_string(), "error: a.yaml: bad");
        let diagnostic = Diagnostic::warning("a.yaml", Some(Pos::new(3, 1)), "odd");
        assert_eq!(diagnostic.to_string(), "warning: a.yaml:3:1: odd");
    }
}
