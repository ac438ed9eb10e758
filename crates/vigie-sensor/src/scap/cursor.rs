//! Reading little-endian fields from a block body, with every read bounds-checked.

/// A position in a block body.
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A read past the end of the body: the field that was being read.
#[derive(Debug)]
pub(super) struct Short(pub &'static str);

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    pub fn pos(&self) -> usize {
        self.at
    }

    pub fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Short> {
        let end = self.at.checked_add(n).ok_or(Short(what))?;
        let out = self.bytes.get(self.at..end).ok_or(Short(what))?;
        self.at = end;
        Ok(out)
    }

    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), Short> {
        self.take(n, what).map(|_| ())
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Short> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, Short> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, Short> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4")))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, Short> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8")))
    }

    /// A string stored as a u16 length and that many bytes (no NUL), at most `max`.
    pub fn str16(&mut self, what: &'static str, max: usize) -> Result<String, Short> {
        let len = self.u16(what)? as usize;
        if len > max {
            return Err(Short(what));
        }
        let b = self.take(len, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        Ok(String::from_utf8_lossy(b).into_owned())
    }

    /// Bytes stored as a u16 length and that many bytes, at most `max`.
    pub fn bytes16(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], Short> {
        let len = self.u16(what)? as usize;
        if len > max {
            return Err(Short(what));
        }
        self.take(len, what)
    }
}
