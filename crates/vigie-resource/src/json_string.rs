//! Writing text as a JSON string, the one escaper vigie's hand-written JSON
//! uses: the admission webhook's answers, [`Node`](crate::Node)'s JSON text
//! and the double-quoted scalars `vigie fix` writes into YAML.

/// Where [`write_json_string`] writes: a `String` or a byte buffer.
pub trait JsonOut {
    /// Appends `text`.
    fn push_text(&mut self, text: &str);
    /// Appends one ASCII character.
    fn push_ascii(&mut self, byte: u8);
    /// Makes room for `additional` more bytes.
    fn reserve_bytes(&mut self, additional: usize);
}

impl JsonOut for String {
    fn push_text(&mut self, text: &str) {
        self.push_str(text);
    }

    fn push_ascii(&mut self, byte: u8) {
        self.push(char::from(byte));
    }

    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

impl JsonOut for Vec<u8> {
    fn push_text(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }

    fn push_ascii(&mut self, byte: u8) {
        self.push(byte);
    }

    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

/// Appends `text` as a JSON string, quoted and escaped, byte for byte as
/// serde_json writes it: `"`, `\`, and the control characters escaped
/// (`\n`, `\r`, `\t`, `\b`, `\f` by their short forms, the others as
/// `\u00XX`), everything else as it is. The result is also a YAML
/// double-quoted scalar of the same text (YAML 1.2 reads JSON).
///
/// Denial messages run to kilobytes, and serde_json looks at each byte in turn
/// (4% of an admission answer's instructions when it wrote them): here eight
/// bytes are looked at together, a word with something to escape is resumed at
/// that byte, and runs without anything to escape are copied whole.
///
/// ```
/// let mut out = String::new();
/// vigie_resource::write_json_string(&mut out, "a \"b\"\n\u{1}");
/// assert_eq!(out, r#""a \"b\"\n\u0001""#);
/// ```
pub fn write_json_string<W: JsonOut + ?Sized>(out: &mut W, text: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // The high bit of each byte of `word` that is zero; a false mark appears
    // only above a true one, so the lowest mark is exact.
    let zeros = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let bytes = text.as_bytes();
    out.reserve_bytes(bytes.len() + 2);
    out.push_ascii(b'"');
    // Bytes before `start` are written; bytes before `i` are looked at. Both
    // only ever stop at an ASCII byte or the end, so they cut `text` between
    // characters.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at = match bytes.get(i..i + 8) {
            Some(chunk) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let word = u64::from_le_bytes(word);
                // Control characters (below 0x20: a borrow out of the byte),
                // quotes and backslashes, tested together: as each kind's
                // lowest mark is exact, so is the lowest of them all.
                let marks = (word.wrapping_sub(ONES * 0x20) & !word & HIGH)
                    | zeros(word ^ (ONES * u64::from(b'"')))
                    | zeros(word ^ (ONES * u64::from(b'\\')));
                if marks == 0 {
                    i += 8;
                    continue;
                }
                // Little-endian: the lowest mark is the first such byte.
                i + (marks.trailing_zeros() / 8) as usize
            }
            // One of the last seven bytes.
            None => i,
        };
        let byte = bytes[at];
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => {
                i = at + 1;
                continue;
            }
        };
        out.push_text(&text[start..at]);
        if escaped.is_empty() {
            out.push_text("\\u00");
            out.push_ascii(HEX[usize::from(byte >> 4)]);
            out.push_ascii(HEX[usize::from(byte & 0xf)]);
        } else {
            out.push_text(escaped);
        }
        i = at + 1;
        start = i;
    }
    out.push_text(&text[start..]);
    out.push_ascii(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings are written exactly as serde_json writes them: every ASCII byte
    /// at every position of an eight-byte word, and multi-byte characters.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut texts: Vec<String> = Vec::new();
        for byte in 0u8..0x80 {
            let c = char::from(byte);
            for position in 0..17 {
                let mut text = "abcdefghijklmnopq".to_string();
                text.insert(position, c);
                texts.push(text);
            }
            texts.push(c.to_string());
        }
        // Two bytes to escape, in one word or across two, after any of
        // the bytes that mark a word.
        for first in ['"', '\\', '\n', '\u{1}'] {
            for second in ['"', '\u{1f}'] {
                for position in 0..17 {
                    let mut text: String = "abcdefghijklmnopq".into();
                    text.insert(position, second);
                    text.insert(position / 2, first);
                    texts.push(text);
                }
            }
        }
        texts.push(String::new());
        texts.push("é\u{7f}\u{80}日本語 \"x\" \\ \u{1f}\u{0}ü€😀 and then some more text".into());
        texts.push("\u{ff}\u{100}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}12345678".into());
        for text in &texts {
            let expected = serde_json::to_string(text).unwrap();
            let mut bytes = Vec::new();
            write_json_string(&mut bytes, text);
            assert_eq!(String::from_utf8(bytes).unwrap(), expected, "{text:?}");
            let mut string = String::new();
            write_json_string(&mut string, text);
            assert_eq!(string, expected, "{text:?}");
        }
    }
}
