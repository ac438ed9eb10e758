//! serde_json's pretty layout, starting at a given depth.

use std::io;

use serde::Serialize;

/// Pretty JSON of `value`, as if nested `depth` levels deep in the document, so
/// that pieces written apart read as one document indented by two spaces a level.
pub(crate) fn write_pretty(value: &impl Serialize, depth: usize, out: &mut Vec<u8>) {
    let mut serializer = serde_json::Serializer::with_formatter(out, Nested::at(depth));
    value
        .serialize(&mut serializer)
        .expect("serializing to memory");
}

/// serde_json's pretty layout (two spaces, `"key": value`, empty containers as
/// `[]` and `{}`), starting at a given depth instead of at the margin.
struct Nested {
    depth: usize,
    /// Whether the container being written has an element yet.
    has_value: bool,
}

impl Nested {
    fn at(depth: usize) -> Self {
        Nested {
            depth,
            has_value: false,
        }
    }

    fn new_line<W: ?Sized + io::Write>(&self, out: &mut W) -> io::Result<()> {
        const SPACES: &[u8] = b"                                                                ";
        out.write_all(b"\n")?;
        let mut left = 2 * self.depth;
        while left > 0 {
            let n = left.min(SPACES.len());
            out.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(out)?;
        }
        out.write_all(bracket)
    }

    fn element<W: ?Sized + io::Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.new_line(out)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.element(out, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.element(out, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_layout_is_serde_json_pretty_shifted_right() {
        let value = serde_json::json!({
            "a": [1, {"b": [], "c": {}}, [2, 3]],
            "d": "x\ny",
            "e": {"f": null}
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        for depth in [0, 1, 3, 40] {
            let mut out = Vec::new();
            write_pretty(&value, depth, &mut out);
            let indent = " ".repeat(2 * depth);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                pretty.replace('\n', &format!("\n{indent}")),
                "depth {depth}"
            );
        }
    }
}
