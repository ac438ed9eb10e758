//! Values of rule exceptions, as written in rule files.

/// One value of an exception tuple: a scalar, or a list (for `in`, `pmatch`,
/// `intersects` comparisons).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExceptionValue {
    /// One value.
    Scalar(String),
    /// A parenthesised list of values.
    List(Vec<String>),
}
