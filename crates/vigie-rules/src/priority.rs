//! Rule priorities, most severe first, as Falco names them.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// A rule's priority (Falco's syslog-like levels).
pub enum Priority {
    /// `EMERGENCY`.
    Emergency,
    /// `ALERT`.
    Alert,
    /// `CRITICAL`.
    Critical,
    /// `ERROR`.
    Error,
    /// `WARNING`.
    Warning,
    /// `NOTICE`.
    Notice,
    /// `INFORMATIONAL` (also `INFO`).
    Informational,
    /// `DEBUG`.
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses a priority name case-insensitively; `info` is accepted for
    /// `informational` as Falco does.
    pub fn parse(text: &str) -> Option<Priority> {
        let lower = text.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// The name Falco prints in alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// True when `self` is at least as severe as `min`.
    pub fn at_least(self, min: Priority) -> bool {
        self <= min
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_level_case_insensitively() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(&p.as_str().to_uppercase()), Some(p));
        }
        assert_eq!(Priority::parse("INFO"), Some(Priority::Informational));
        assert_eq!(Priority::parse("loud"), None);
        assert!(Priority::Critical.at_least(Priority::Warning));
        assert!(!Priority::Debug.at_least(Priority::Notice));
    }
}
