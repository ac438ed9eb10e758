//! Backquoted field names (`` m.`content-type` ``, `` has(m.`a/b`) ``),
//! which the engine's lexer does not know: each is replaced by a reserved
//! identifier before parsing, and the parsed selections are renamed back.

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

/// Where each replacement ends in the rewritten text, and how much longer
/// (or shorter) the rewritten text is from there on.
pub(crate) type Shifts = Vec<(usize, isize)>;

/// The byte offset in the original text of `offset` in the rewritten one.
pub(crate) fn original_offset(shifts: &Shifts, offset: usize) -> usize {
    let delta = shifts
        .iter()
        .take_while(|(end, _)| *end <= offset)
        .last()
        .map_or(0, |(_, d)| *d);
    offset.saturating_add_signed(-delta)
}

/// The text with every backquoted name replaced, the replacements
/// (reserved name, original name), and the offset shifts they cause.
/// Quoted strings are left alone.
#[allow(clippy::type_complexity)]
pub(crate) fn rewrite(text: &str) -> Result<(String, Vec<(String, String)>, Shifts), String> {
    if !text.contains('`') {
        return Ok((text.to_string(), Vec::new(), Vec::new()));
    }
    let mut shifts = Vec::new();
    // A prefix the text does not contain, so no replacement can collide
    // with a name written in the expression.
    let mut prefix = String::from("__vigie_quoted");
    while text.contains(&prefix) {
        prefix.push('_');
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut names = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                let triple = bytes[i..].starts_with(&[q, q, q]);
                let raw = i > 0 && matches!(bytes[i - 1], b'r' | b'R');
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    if bytes[i] == b'\\' && !raw {
                        i += 2;
                        continue;
                    }
                    if triple {
                        if bytes[i..].starts_with(&[q, q, q]) {
                            i += 3;
                            break;
                        }
                    } else if bytes[i] == q {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'`' => {
                let start = i + 1;
                let end = text[start..]
                    .find('`')
                    .map(|n| start + n)
                    .ok_or_else(|| format!("unterminated backquoted name at byte {i}"))?;
                let name = &text[start..end];
                if name.is_empty() {
                    return Err(format!("empty backquoted name at byte {i}"));
                }
                out.push_str(&text[copied..i]);
                let reserved = format!("{prefix}{}", names.len());
                out.push_str(&reserved);
                shifts.push((out.len(), out.len() as isize - (end + 1) as isize));
                names.push((reserved, name.to_string()));
                i = end + 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    Ok((out, names, shifts))
}

/// Renames the reserved names back in field selections and struct fields;
/// fails on one used anywhere else (a backquoted name is only a field).
pub(crate) fn restore(e: &mut IdedExpr, names: &[(String, String)]) -> Result<(), String> {
    let original = |n: &str| names.iter().find(|(r, _)| r == n).map(|(_, o)| o.clone());
    match &mut e.expr {
        Expr::Ident(n) => match original(n) {
            Some(o) => Err(format!("backquoted name `{o}` used as a variable")),
            None => Ok(()),
        },
        Expr::Select(s) => {
            if let Some(o) = original(&s.field) {
                s.field = o;
            }
            restore(&mut s.operand, names)
        }
        Expr::Call(c) => {
            if let Some(t) = c.target.as_deref_mut() {
                restore(t, names)?;
            }
            c.args.iter_mut().try_for_each(|a| restore(a, names))
        }
        Expr::List(l) => l.elements.iter_mut().try_for_each(|x| restore(x, names)),
        Expr::Map(m) => m
            .entries
            .iter_mut()
            .try_for_each(|en| restore_entry(&mut en.expr, names)),
        Expr::Struct(s) => s
            .entries
            .iter_mut()
            .try_for_each(|en| restore_entry(&mut en.expr, names)),
        Expr::Comprehension(c) => {
            for x in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                restore(x, names)?;
            }
            Ok(())
        }
        Expr::Literal(_) | Expr::Unspecified => Ok(()),
    }
}

fn restore_entry(e: &mut EntryExpr, names: &[(String, String)]) -> Result<(), String> {
    match e {
        EntryExpr::MapEntry(me) => {
            restore(&mut me.key, names)?;
            restore(&mut me.value, names)
        }
        EntryExpr::StructField(f) => {
            if let Some((_, o)) = names.iter().find(|(r, _)| *r == f.field) {
                f.field = o.clone();
            }
            restore(&mut f.value, names)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_outside_strings_only() {
        let (t, n, s) = rewrite("m.`a-b` + '`x`' + \"\"\"`y`\"\"\"").unwrap();
        // `+` is at byte 8 of the original, 18 of the rewritten text.
        assert_eq!(&t[18..19], "+");
        assert_eq!(original_offset(&s, 18), 8);
        assert_eq!(original_offset(&s, 1), 1);
        assert_eq!(t, "m.__vigie_quoted0 + '`x`' + \"\"\"`y`\"\"\"");
        assert_eq!(n, vec![("__vigie_quoted0".into(), "a-b".into())]);
        assert!(rewrite("m.`a").is_err());
        let (t, _, _) = rewrite("__vigie_quoted.`a`").unwrap();
        assert_eq!(t, "__vigie_quoted.__vigie_quoted_0");
    }
}
