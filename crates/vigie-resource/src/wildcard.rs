//! `*`/`?` wildcards over names, labels and IDs, as Kubernetes tools write them
//! (Kyverno's `name: "legacy-*"`, an exception's `namespace: "team-?"`, a rule
//! selection's `-D "Write below *"`): `*` matches any run of characters, none
//! included, and `?` exactly one character. There is no escape and no character
//! class: every other character matches itself.
//!
//! The one matcher of the workspace for these patterns; shell globs with classes
//! (`[a-z]`), as Falco's `glob` operator reads them, are `vigie_rules::glob_match`.

/// Whether the whole of `text` matches `pattern`. A pattern without wildcards
/// must equal the text. Linear in practice: on a mismatch it goes back to the
/// last `*` only, and allocates nothing.
///
/// ```
/// use vigie_resource::wildcard_match;
///
/// assert!(wildcard_match("PSS-R*", "PSS-R03"));
/// assert!(wildcard_match("team-?", "team-é"));
/// assert!(!wildcard_match("team-?", "team-ab"));
/// assert!(wildcard_match("*", ""));
/// assert!(!wildcard_match("VG-W001", "VG-W0012"));
/// ```
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    if !has_wildcard(pattern) {
        return pattern == text;
    }
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // After the last `*`: where the pattern resumes, and the text position that
    // star has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(t[ti]);
            }
            // Literal characters compare byte by byte: both sides are UTF-8, so
            // `ti` is on a character boundary whenever `?` or `*` is reached.
            Some(&c) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((resume, swallowed)) => {
                    let swallowed = swallowed + char_len(t[swallowed]);
                    star = Some((resume, swallowed));
                    pi = resume;
                    ti = swallowed;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Whether `pattern` holds a wildcard character. A byte scan (both are
/// ASCII): `str::contains` with a set of chars decodes and compares each
/// character in turn, and this runs for every kind, label and pattern key an
/// admission request is matched against.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.bytes().any(|b| b == b'*' || b == b'?')
}

/// The length of the UTF-8 character that starts with byte `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        // Continuation bytes do not start characters here (see above); 4 bytes
        // for the rest.
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_question_mark() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("?*", "a", true),
            ("?*", "", false),
            ("nginx:*", "nginx:1.2", true),
            ("nginx:*", "redis:1.2", false),
            ("*.example.com", "a.b.example.com", true),
            ("a?c", "abc", true),
            ("a?c", "abbc", false),
            ("*-*-x", "a-b-c-x", true),
            ("legacy-?", "legacy-a", true),
            ("legacy-?", "legacy-ab", false),
            ("?*", "", false),
            ("*-*-x", "a-b-c-x", true),
            ("plain", "plain", true),
            ("plain", "plainer", false),
            ("*é?", "aéé!", true),
            ("?", "é", true),
            ("??", "é", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("[x]*", "[x]y", true),
            ("\\*", "\\abc", true),
        ] {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern:?} ~ {text:?}"
            );
        }
    }
}
