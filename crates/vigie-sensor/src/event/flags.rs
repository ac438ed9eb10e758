//! Names of flag bits and enumerated values (`O_RDONLY`, `S_ISUID`, `CLONE_NEWNS`...),
//! as libscap names them (the facts are kept in `flags.txt`, written by
//! `scripts/gen-flag-names.py`).

use std::collections::HashMap;
use std::sync::OnceLock;

const FLAGS_TEXT: &str = include_str!("flags.txt");

type Tables = HashMap<&'static str, Vec<(&'static str, u32)>>;

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables: Tables = HashMap::new();
        let mut current = None;
        for line in FLAGS_TEXT.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix("= ") {
                current = Some(name.trim());
                tables.entry(name.trim()).or_default();
                continue;
            }
            let (name, value) = line.split_once(' ').expect("flags.txt: NAME VALUE");
            let value: u32 = value.trim().parse().expect("flags.txt: value");
            let table = current.expect("flags.txt: value before a table");
            tables.entry(table).or_default().push((name, value));
        }
        tables
    })
}

/// The names and values of a flag table, in libscap's order.
pub fn flag_names(table: &str) -> Option<&'static [(&'static str, u32)]> {
    tables().get(table).map(Vec::as_slice)
}

/// The names of the bits set in `value`, joined by `|`, as libsinsp resolves them: a
/// table entry matches when all its bits are set (its bits are then taken away so
/// that `O_RDWR` does not also give `O_RDONLY`), and a zero entry only when the value
/// is zero. With `exact`, the entry equal to the value (enumerations).
pub fn resolve_flags(table: &str, value: u32, exact: bool) -> String {
    let mut out = String::new();
    let Some(names) = flag_names(table) else {
        return out;
    };
    let mut left = value;
    for &(name, bits) in names {
        let matched = if exact {
            bits == value
        } else if bits == 0 {
            value == 0
        } else if left != 0 && left & bits == bits {
            left &= !bits;
            true
        } else {
            false
        };
        if matched {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_open_flags_without_overlaps() {
        // O_RDWR (3) covers O_WRONLY (2) and O_RDONLY (1): only O_RDWR is named.
        let v = 3 | 4 | 4096;
        assert_eq!(
            resolve_flags("file_flags", v, false),
            "O_CREAT|O_RDWR|O_CLOEXEC"
        );
        assert_eq!(resolve_flags("file_flags", 0, false), "O_NONE");
        assert!(resolve_flags("chmod_mode", 0o4755, false).contains("S_ISUID"));
        assert_eq!(resolve_flags("no_such_table", 1, false), "");
    }
}
