//! What the HTML and XML writers escape alike.

/// Escapes `text` for markup: `&`, `<`, `>` and `"` become entity references,
/// and every other character goes to `rest`, which writes it as its format
/// wants (HTML and XML spell `'` differently, and only XML refuses some
/// control characters).
pub(crate) fn escape_markup(text: &str, mut rest: impl FnMut(char, &mut String)) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            other => rest(other, &mut escaped),
        }
    }
    escaped
}
