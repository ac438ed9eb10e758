//! The checks Kubernetes makes on names, made before anything is written.

/// Why `name` is not an RFC 1123 label (a namespace or Service name), if it is not.
pub(crate) fn label_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 63 {
        return Some("it is longer than 63 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("only lower-case letters, digits and `-` are allowed");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("it must start and end with a letter or digit");
    }
    None
}

/// Why `name` is not a DNS name (RFC 1123 subdomain, `*.` allowed first), if it is not.
pub(crate) fn dns_name_problem(name: &str) -> Option<&'static str> {
    if name.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    let labels = name.strip_prefix("*.").unwrap_or(name);
    labels.split('.').find_map(label_problem)
}
