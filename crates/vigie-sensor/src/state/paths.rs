//! Path arithmetic as the kernel sees it: relative paths against a directory, `.`
//! and `..` folded, repeated slashes collapsed.

/// `path` made absolute against `dir` (when relative) and normalized.
pub fn resolve(dir: &str, path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let joined;
    let full = if path.starts_with('/') {
        path
    } else {
        joined = format!("{dir}/{path}");
        &joined
    };
    normalize(full)
}

/// Folds `.`, `..` and repeated slashes of an absolute path.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The directory part of a path (`fd.directory`): everything before the last
/// slash, `/` for entries of the root.
pub fn directory(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

/// The last component of a path (`fd.filename`).
pub fn filename(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_splits() {
        assert_eq!(resolve("/root", "../etc//shadow"), "/etc/shadow");
        assert_eq!(resolve("/root/", "./a"), "/root/a");
        assert_eq!(resolve("/x", "/etc/./passwd"), "/etc/passwd");
        assert_eq!(resolve("/", ".."), "/");
        assert_eq!(directory("/etc/shadow"), "/etc");
        assert_eq!(directory("/etc"), "/");
        assert_eq!(filename("/etc/shadow"), "shadow");
    }
}
