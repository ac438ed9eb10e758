//! A small reader for the protobuf text format, enough for the cel-spec test
//! files: messages (`name { ... }` or `name: { ... }`, also `< ... >`),
//! scalar fields, repeated fields given one by one or as `[a, b]` lists,
//! `[type.googleapis.com/Type] { ... }` Any expansions, strings with C escapes
//! (concatenated when adjacent), numbers and enum identifiers.
//!
//! The reader keeps no schema: it returns a tree of fields in file order, and
//! the caller interprets field names. Strings are kept as bytes because
//! `bytes` fields may hold any octet (`\xff`, `\377`).

use std::fmt;

/// One field of a message, in file order.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field name, or the bracketed type URL of an Any expansion.
    pub name: String,
    /// The field value.
    pub value: FieldValue,
}

/// The value of a field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// A nested message.
    Message(Message),
    /// A quoted string (bytes, since escapes may yield any octet).
    Str(Vec<u8>),
    /// A number or an identifier (enum name, `true`, `inf`...), as written.
    Word(String),
}

/// A message: its fields in file order (repeated fields appear several times).
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// The fields in the order they were written.
    pub fields: Vec<Field>,
}

impl Message {
    /// The first field called `name`.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }

    /// Every field called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a FieldValue> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name == name)
            .map(|f| &f.value)
    }

    /// The nested message in field `name`.
    pub fn message(&self, name: &str) -> Option<&Message> {
        match self.get(name) {
            Some(FieldValue::Message(m)) => Some(m),
            _ => None,
        }
    }

    /// The string in field `name`, as UTF-8 (lossy).
    pub fn string(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(FieldValue::Str(s)) => Some(String::from_utf8_lossy(s).into_owned()),
            Some(FieldValue::Word(w)) => Some(w.clone()),
            _ => None,
        }
    }

    /// Whether field `name` is set to `true` (or `1`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(FieldValue::Word(w)) if w == "true" || w == "True" || w == "t" || w == "1")
    }
}

/// A syntax error with its line.
#[derive(Debug)]
pub struct ParseError {
    /// 1-based line of the error.
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Nesting deeper than this is refused: the reader recurses once per level.
const MAX_DEPTH: usize = 100;

/// Parses a whole text-format file as one message.
pub fn parse(text: &str) -> Result<Message, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let m = p.fields(None)?;
    Ok(m)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, reason: impl Into<String>) -> ParseError {
        let line = 1 + self.s[..self.pos.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ParseError {
            line,
            reason: reason.into(),
        }
    }

    fn skip_space(&mut self) {
        while self.pos < self.s.len() {
            match self.s[self.pos] {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'#' => {
                    while self.pos < self.s.len() && self.s[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.pos).copied()
    }

    /// Reads fields until `close` (or the end of input when `None`).
    fn fields(&mut self, close: Option<u8>) -> Result<Message, ParseError> {
        let mut msg = Message::default();
        loop {
            match (self.peek(), close) {
                (None, None) => return Ok(msg),
                (None, Some(c)) => return Err(self.err(format!("missing '{}'", c as char))),
                (Some(c), Some(want)) if c == want => {
                    self.pos += 1;
                    return Ok(msg);
                }
                (Some(b',' | b';'), _) => self.pos += 1,
                _ => {
                    let name = self.field_name()?;
                    let has_colon = self.peek() == Some(b':');
                    if has_colon {
                        self.pos += 1;
                    }
                    if self.peek() == Some(b'[') && has_colon {
                        self.pos += 1;
                        loop {
                            if self.peek() == Some(b']') {
                                self.pos += 1;
                                break;
                            }
                            let value = self.value()?;
                            msg.fields.push(Field {
                                name: name.clone(),
                                value,
                            });
                            if self.peek() == Some(b',') {
                                self.pos += 1;
                            }
                        }
                    } else {
                        let value = self.value()?;
                        msg.fields.push(Field { name, value });
                    }
                }
            }
        }
    }

    fn field_name(&mut self) -> Result<String, ParseError> {
        if self.peek() == Some(b'[') {
            let start = self.pos + 1;
            while self.pos < self.s.len() && self.s[self.pos] != b']' {
                self.pos += 1;
            }
            if self.pos >= self.s.len() {
                return Err(self.err("unclosed '[' in a field name"));
            }
            let name = String::from_utf8_lossy(&self.s[start..self.pos])
                .trim()
                .to_string();
            self.pos += 1;
            return Ok(format!("[{name}]"));
        }
        let w = self.word();
        if w.is_empty() {
            let c = self.s.get(self.pos).map(|&c| c as char).unwrap_or(' ');
            return Err(self.err(format!("expected a field name, found '{c}'")));
        }
        Ok(w)
    }

    fn word(&mut self) -> String {
        self.skip_space();
        let start = self.pos;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'+') {
                self.pos += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    fn value(&mut self) -> Result<FieldValue, ParseError> {
        match self.peek() {
            Some(open @ (b'{' | b'<')) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let close = if open == b'{' { b'}' } else { b'>' };
                let m = self.fields(Some(close))?;
                self.depth -= 1;
                Ok(FieldValue::Message(m))
            }
            Some(b'"' | b'\'') => {
                let mut out = Vec::new();
                while let Some(q @ (b'"' | b'\'')) = self.peek() {
                    self.pos += 1;
                    self.string_body(q, &mut out)?;
                }
                Ok(FieldValue::Str(out))
            }
            Some(_) => {
                let w = self.word();
                if w.is_empty() {
                    return Err(self.err("expected a value"));
                }
                Ok(FieldValue::Word(w))
            }
            None => Err(self.err("expected a value, found the end of the file")),
        }
    }

    fn string_body(&mut self, quote: u8, out: &mut Vec<u8>) -> Result<(), ParseError> {
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err(self.err("unterminated string"));
            };
            self.pos += 1;
            if c == quote {
                return Ok(());
            }
            if c == b'\n' {
                // Report the line the string is on, not the next one.
                self.pos -= 1;
                return Err(self.err("newline in a string"));
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(&e) = self.s.get(self.pos) else {
                return Err(self.err("unterminated escape"));
            };
            self.pos += 1;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'a' => out.push(7),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'v' => out.push(11),
                b'\\' | b'\'' | b'"' | b'?' => out.push(e),
                b'x' | b'X' => {
                    let v = self.digits(16, 2)?;
                    out.push(v as u8);
                }
                b'0'..=b'7' => {
                    self.pos -= 1;
                    let v = self.digits(8, 3)?;
                    out.push(v as u8);
                }
                b'u' | b'U' => {
                    let n = if e == b'u' { 4 } else { 8 };
                    let v = self.digits(16, n)?;
                    let ch = char::from_u32(v).ok_or_else(|| {
                        self.err(format!("invalid code point \\{}{v:x}", e as char))
                    })?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                other => return Err(self.err(format!("unknown escape '\\{}'", other as char))),
            }
        }
    }

    /// Reads up to `max` digits of `radix` (at least one).
    fn digits(&mut self, radix: u32, max: usize) -> Result<u32, ParseError> {
        let mut v = 0u32;
        let mut n = 0;
        while n < max {
            match self
                .s
                .get(self.pos)
                .and_then(|&c| (c as char).to_digit(radix))
            {
                Some(d) => {
                    v = v * radix + d;
                    self.pos += 1;
                    n += 1;
                }
                None => break,
            }
        }
        if n == 0 {
            return Err(self.err("escape without digits"));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_messages_repeated_fields_and_escapes() {
        let m = parse(
            "# c\nname: \"a\" 'b'\nsection { test: { v: -1.5e3 k: NULL_VALUE } test < b: \"\\x41\\101\\n\" > }\nl: [1, 2]\n",
        )
        .unwrap();
        assert_eq!(m.string("name").unwrap(), "ab");
        let sec = m.message("section").unwrap();
        assert_eq!(sec.all("test").count(), 2);
        assert_eq!(m.all("l").count(), 2);
        let t2 = match sec.all("test").nth(1).unwrap() {
            FieldValue::Message(m) => m,
            _ => panic!(),
        };
        assert!(matches!(t2.get("b"), Some(FieldValue::Str(s)) if s == b"AA\n"));
    }

    #[test]
    fn any_expansion_and_error_line() {
        let m = parse("v { [type.googleapis.com/x.Y] { a: 1 } }").unwrap();
        let v = m.message("v").unwrap();
        assert!(v.message("[type.googleapis.com/x.Y]").is_some());
        let e = parse("a {\n b: \"x\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
