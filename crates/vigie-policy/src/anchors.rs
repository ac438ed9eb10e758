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

/// Splits `key` into its anchor and bare key; `None` for a plain key.
pub fn parse(key: &str) -> Option<(Anchor, &str)> {
    let (anchor, rest) = if let Some(r) = key.strip_prefix("=(") {
        (Anchor::Equality, r)
    } else if let Some(r) = key.strip_prefix("^(") {
        (Anchor::Existence, r)
    } else if let Some(r) = key.strip_prefix("X(") {
        (Anchor::Negation, r)
    } else if let Some(r) = key.strip_prefix("<(") {
        (Anchor::Global, r)
    } else if let Some(r) = key.strip_prefix("+(") {
        (Anchor::AddIfNotPresent, r)
    } else if let Some(r) = key.strip_prefix('(') {
        (Anchor::Conditional, r)
    } else {
        return None;
    };
    let bare = rest.strip_suffix(')')?;
    (!bare.is_empty()).then_some((anchor, bare))
}

/// A key that looks like an anchor but is not one (`(a`, `X()`): a policy error.
pub fn is_malformed(key: &str) -> bool {
    let starts = ["(", "=(", "^(", "X(", "<(", "+("]
        .iter()
        .any(|p| key.starts_with(p));
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
