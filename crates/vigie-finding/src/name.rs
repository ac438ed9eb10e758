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

/// How a name is compared with the names a type accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameCase {
    /// `HIGH` is `high`: names a person types (severities, formats, frameworks).
    IgnoreAscii,
    /// As written: Kubernetes values (`Fail`) and command-line words vigie
    /// takes in one spelling.
    Exact,
}

impl NameCase {
    /// Whether `given` names the value whose name is `name`.
    pub fn matches(self, name: &str, given: &str) -> bool {
        match self {
            NameCase::IgnoreAscii => name.eq_ignore_ascii_case(given),
            NameCase::Exact => name == given,
        }
    }
}

/// Implements `Display` (the value's name) and `FromStr` (the value a name
/// names, or an [`UnknownName`] that lists the names) for a type with a
/// `const ALL` holding every value and a method giving each value's name, so
/// that the names are written once, in that method. `$case` is a [`NameCase`];
/// the message of the error reads ``unknown $what `given` (expected $expected)``.
///
/// ```
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// enum Colour { Red, Green }
///
/// impl Colour {
///     const ALL: [Colour; 2] = [Colour::Red, Colour::Green];
///     fn as_str(self) -> &'static str {
///         match self {
///             Colour::Red => "red",
///             Colour::Green => "green",
///         }
///     }
/// }
///
/// vigie_finding::impl_names! {
///     Colour named by as_str, IgnoreAscii;
///     "colour", expected "red or green"
/// }
///
/// assert_eq!("RED".parse::<Colour>(), Ok(Colour::Red));
/// assert_eq!(Colour::Green.to_string(), "green");
/// let error = "blue".parse::<Colour>().unwrap_err();
/// assert_eq!(error.to_string(), "unknown colour `blue` (expected red or green)");
/// ```
#[macro_export]
macro_rules! impl_names {
    ($ty:ident named by $name:ident, $case:ident; $what:literal, expected $expected:literal) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.$name())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|value| $crate::NameCase::$case.matches(value.$name(), s))
                    .ok_or_else(|| $crate::UnknownName::new($what, s, $expected))
            }
        }
    };
}
