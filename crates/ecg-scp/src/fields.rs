//! [`Fields`]: bounds-checked little-endian reads from one section's body, with errors
//! that name the section, the byte offset and the field.

use crate::error::{Error, Result};

/// A read position inside a section body.
#[derive(Clone, Debug)]
pub(crate) struct Fields<'a> {
    section: u16,
    /// File offset of `data[0]`.
    base: usize,
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    /// Reads `data`, which starts at file offset `base`, on behalf of `section`.
    pub(crate) fn new(section: u16, base: usize, data: &'a [u8]) -> Self {
        Fields {
            section,
            base,
            data,
            pos: 0,
        }
    }

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The error for a field that does not fit.
    pub(crate) fn short(&self, what: &str, n: usize) -> Error {
        Error::Malformed {
            section: self.section,
            offset: self.offset(),
            expected: format!(
                "{what} ({n} bytes), but the section ends after {} more bytes",
                self.remaining()
            ),
        }
    }

    /// An error about the field at the current position.
    pub(crate) fn invalid(&self, expected: String) -> Error {
        Error::Malformed {
            section: self.section,
            offset: self.offset(),
            expected,
        }
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.short(what, n));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.bytes(n, what).map(|_| ())
    }

    /// One unsigned byte.
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    /// Unsigned 16-bit little endian.
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Signed 16-bit little endian.
    pub(crate) fn i16(&mut self, what: &str) -> Result<i16> {
        let b = self.bytes(2, what)?;
        Ok(i16::from_le_bytes([b[0], b[1]]))
    }

    /// Unsigned 32-bit little endian.
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Unsigned 16-bit little endian at `at`, if in bounds.
pub(crate) fn le_u16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Unsigned 32-bit little endian at `at`, if in bounds.
pub(crate) fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_reports_overruns() {
        let data = [1u8, 2, 3, 4, 0xFF, 0xFF, 9];
        let mut f = Fields::new(7, 100, &data);
        assert_eq!(f.u16("a").unwrap(), 0x0201);
        assert_eq!(f.u16("b").unwrap(), 0x0403);
        assert_eq!(f.i16("c").unwrap(), -1);
        assert_eq!(f.offset(), 106);
        let e = f.u32("d").unwrap_err().to_string();
        assert_eq!(
            e,
            "section 7, byte offset 106: expected d (4 bytes), but the section ends after 1 more bytes"
        );
        assert_eq!(le_u32(&data, 0), Some(0x0403_0201));
        assert_eq!(le_u32(&data, 4), None);
        assert_eq!(le_u16(&data, usize::MAX), None);
    }
}
