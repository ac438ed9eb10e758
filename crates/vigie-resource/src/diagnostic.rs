//! Problems met while loading input.

use std::fmt;

use crate::node::Pos;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticLevel {
    /// The input was loaded anyway (a duplicate key, say).
    Warning,
    /// Part of the input could not be loaded: a file, a document or a list item.
    Error,
}

/// One problem with the input: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// The path as the user named it (or `<stdin>`).
    pub file: String,
    /// Where in the file, when known (an unreadable file has no position).
    pub pos: Option<Pos>,
    pub reason: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, pos: Option<Pos>, reason: impl Into<String>) -> Self {
        Self {
            level: DiagnosticLevel::Error,
            file: file.into(),
            pos,
            reason: reason.into(),
        }
    }

    pub fn warning(file: impl Into<String>, pos: Option<Pos>, reason: impl Into<String>) -> Self {
        Self {
            level: DiagnosticLevel::Warning,
            ..Self::error(file, pos, reason)
        }
    }

    pub fn is_error(&self) -> bool {
        self.level == DiagnosticLevel::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Error => "error",
        };
        match self.pos {
            Some(pos) => write!(f, "{level}: {}:{pos}: {}", self.file, self.reason),
            None => write!(f, "{level}: {}: {}", self.file, self.reason),
        }
    }
}
