//! A compiled field reference with its transformers: what both conditions and
//! outputs extract from events.

use std::borrow::Cow;

use crate::ast::Transformer;
use crate::event::{Event, Extracted, Val};
use crate::field::{FieldRef, FieldType};

#[derive(Clone, Debug)]
pub struct Selector {
    pub field: FieldRef,
    /// Innermost first, in application order.
    pub transformers: Box<[Transformer]>,
    /// The type of the extracted values after transformation.
    pub ty: FieldType,
    /// The field's slot in an evaluation's memo, when it has one and no transformer
    /// changes its values.
    pub memo: Option<u8>,
}

impl Selector {
    pub fn extract<'e, E: Event + ?Sized>(&self, event: &'e E) -> Extracted<'e> {
        let raw = event.extract(&self.field);
        if self.transformers.is_empty() {
            return raw;
        }
        let mut values: Vec<Val<'e>> = match raw {
            Extracted::Missing => return Extracted::Missing,
            Extracted::One(v) => vec![v],
            Extracted::Many(v) => v,
        };
        let was_list = values.len() > 1;
        for t in self.transformers.iter() {
            if *t == Transformer::Len && was_list {
                values = vec![Val::Num(values.len() as i64)];
                continue;
            }
            let mut next = Vec::with_capacity(values.len());
            for v in values {
                match apply(*t, v) {
                    Some(v) => next.push(v),
                    None => return Extracted::Missing,
                }
            }
            values = next;
        }
        match values.len() {
            0 => Extracted::Missing,
            1 if !was_list => Extracted::One(values.pop().expect("values holds one value")),
            _ => Extracted::Many(values),
        }
    }
}

fn apply(t: Transformer, v: Val<'_>) -> Option<Val<'_>> {
    Some(match t {
        Transformer::ToLower => Val::Str(Cow::Owned(v.as_text().to_lowercase())),
        Transformer::ToUpper => Val::Str(Cow::Owned(v.as_text().to_uppercase())),
        Transformer::Basename => {
            let text = v.as_text();
            let base = text.rsplit('/').next().unwrap_or("");
            Val::Str(Cow::Owned(base.to_string()))
        }
        Transformer::Len => Val::Num(v.as_text().len() as i64),
        Transformer::B64 => {
            let decoded = base64_decode(v.as_text().as_bytes())?;
            Val::Str(Cow::Owned(String::from_utf8_lossy(&decoded).into_owned()))
        }
    })
}

/// Standard base64 (with or without padding); `None` for invalid input.
pub fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let trimmed: Vec<u8> = input
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let data = trimmed
        .strip_suffix(b"==")
        .or_else(|| trimmed.strip_suffix(b"="))
        .unwrap_or(&trimmed);
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= sextet(c)? << (18 - 6 * i);
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8]),
            2 => out.push((acc >> 16) as u8),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGk=").unwrap(), b"hi");
        assert!(base64_decode(b"a$==").is_none());
    }
}
