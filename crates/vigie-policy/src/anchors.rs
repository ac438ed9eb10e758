//! Anchors on pattern keys: `(k)` conditional, `=(k)` equality, `^(k)` existence,
//! `X(k)` negation, `<(k)` global, `+(k)` add-if-absent (mutation only).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Conditional,
    Equality,
    Existence,
    Negation,
    Global,
    AddIfNotPresent,
}

/// Each anchor's opening, which starts its key (the key ends with `)`).
const OPENINGS: [(&str, Anchor); 6] = [
    ("=(", Anchor::Equality),
    ("^(", Anchor::Existence),
    ("X(", Anchor::Negation),
    ("<(", Anchor::Global),
    ("+(", Anchor::AddIfNotPresent),
    ("(", Anchor::Conditional),
];

/// Splits `key` into its anchor and bare key; `None` for a plain key.
pub fn parse(key: &str) -> Option<(Anchor, &str)> {
    let (anchor, rest) = OPENINGS
        .iter()
        .find_map(|(opening, anchor)| key.strip_prefix(opening).map(|rest| (*anchor, rest)))?;
    let bare = rest.strip_suffix(')')?;
    (!bare.is_empty()).then_some((anchor, bare))
}

/// A key that looks like an anchor but is not one (`(a`, `X()`): a policy error.
pub fn is_malformed(key: &str) -> bool {
    let starts = OPENINGS.iter().any(|(opening, _)| key.starts_with(opening));
    starts && parse(key).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_anchor() {
        assert_eq!(parse("(name)"), Some((Anchor::Conditional, "name")));
        assert_eq!(parse("=(name)"), Some((Anchor::Equality, "name")));
        assert_eq!(parse("^(name)"), Some((Anchor::Existence, "name")));
        assert_eq!(parse("X(name)"), Some((Anchor::Negation, "name")));
        assert_eq!(parse("<(name)"), Some((Anchor::Global, "name")));
        assert_eq!(parse("+(name)"), Some((Anchor::AddIfNotPresent, "name")));
        assert_eq!(parse("name"), None);
        assert!(is_malformed("(name"));
        assert!(is_malformed("X()"));
        assert!(!is_malformed("name"));
    }
}
