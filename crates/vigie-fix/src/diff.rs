//! Unified diffs of fixed files, for `vigie fix --diff`.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

/// The unified diff from `original` to `fixed`, with `a/` and `b/` headers.
pub fn unified_diff(file: &str, original: &str, fixed: &str) -> String {
    let slash = if file.starts_with('/') { "" } else { "/" };
    similar::TextDiff::from_lines(original, fixed)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a{slash}{file}"), &format!("b{slash}{file}"))
        .to_string()
}

/// Writes a diff with colours (removed lines red, added green, hunk headers
/// cyan); a writer that is not a terminal (`anstream`) drops them.
pub fn write_colored_diff(out: &mut dyn Write, diff: &str) -> io::Result<()> {
    for line in diff.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::new().bold()
        } else if line.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else if line.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if line.starts_with('-') {
            AnsiColor::Red.on_default()
        } else {
            Style::new()
        };
        let body = line.trim_end_matches('\n');
        write!(out, "{style}{body}{style:#}")?;
        if line.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(())
}
