//! Shell-style wildcard matching (`*`, `?`, `[abc]`, `[!a-z]`) for the `glob` and
//! `iglob` operators, without allocating. Rule selection uses the plain `*`/`?`
//! wildcards of names (`vigie_resource::wildcard_match`).

/// True when the whole of `text` matches `pattern`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob_bytes(pattern.as_bytes(), text.as_bytes(), false)
}

/// Case-insensitive (ASCII) variant.
pub fn iglob_match(pattern: &str, text: &str) -> bool {
    glob_bytes(pattern.as_bytes(), text.as_bytes(), true)
}

fn eq(a: u8, b: u8, fold: bool) -> bool {
    if fold {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches a `[...]` class at the start of `pattern` against `c`; returns whether it
/// matched and the class length, or `None` if the bracket is not closed (then it is
/// a literal `[`).
fn class(pattern: &[u8], c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        let p = pattern[i];
        if p == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            let (lo, hi) = (p, pattern[i + 2]);
            let lc = c.to_ascii_lowercase();
            let uc = c.to_ascii_uppercase();
            if (lo..=hi).contains(&c)
                || (fold && ((lo..=hi).contains(&lc) || (lo..=hi).contains(&uc)))
            {
                matched = true;
            }
            i += 3;
        } else {
            if eq(p, c, fold) {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn glob_bytes(pattern: &[u8], text: &[u8], fold: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    // Position to resume from after the last `*`: (pattern index, text index).
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') => match class(&pattern[p..], text[t], fold) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => eq(b'[', text[t], fold).then_some(1),
            },
            Some(b'\\') if p + 1 < pattern.len() => eq(pattern[p + 1], text[t], fold).then_some(2),
            Some(&c) => eq(c, text[t], fold).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                t += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    p = sp;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_stars_questions_and_classes() {
        for (pattern, text, matches) in [
            ("/etc/*", "/etc/passwd", true),
            ("*.sh", "run.sh", true),
            ("*.sh", "run.shx", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxc", false),
            ("", "", true),
            ("*", "", true),
            ("ABC", "abc", false),
        ] {
            assert_eq!(
                glob_match(pattern, text),
                matches,
                "{pattern:?} on {text:?}"
            );
        }
        assert!(iglob_match("A*C", "abc"));
    }
}
