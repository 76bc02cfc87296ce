//! Text fields: NUL-terminated strings in the character set that section 1 tag 14 (byte
//! 17, "language support code") announces (EN 1064 annex A).

/// How text bytes of a record are to be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    /// 8-bit ASCII / ISO 8859-1 (the default). UTF-8 that some modern writers put in
    /// without saying so is recognised and kept.
    #[default]
    Latin1,
    /// ISO 10646 two-byte characters (UCS-2, little endian like every SCP field).
    Ucs2,
    /// UTF-8.
    Utf8,
    /// Another ISO 8859 part or an East Asian set: ASCII is exact, other bytes are read
    /// as Latin-1 (the language code is kept in the record so a user can tell).
    OtherEightBit(u8),
}

impl TextEncoding {
    /// The encoding of a language support code (tag 14 byte 17).
    pub(crate) fn from_language_code(code: u8) -> Self {
        if code & 0x01 == 0 {
            return TextEncoding::Latin1;
        }
        match code {
            0x01 => TextEncoding::Latin1,
            0x07 => TextEncoding::Ucs2,
            0x37 => TextEncoding::Utf8,
            other => TextEncoding::OtherEightBit(other),
        }
    }

    /// Decodes a text field: up to the first NUL (two-byte NUL for UCS-2), control
    /// characters dropped, surrounding white space trimmed.
    pub(crate) fn decode(self, bytes: &[u8]) -> String {
        let raw: String = match self {
            TextEncoding::Ucs2 => {
                let units = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0);
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect()
            }
            TextEncoding::Utf8 | TextEncoding::Latin1 | TextEncoding::OtherEightBit(_) => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                let s = &bytes[..end];
                match std::str::from_utf8(s) {
                    Ok(text) => text.to_owned(),
                    Err(_) if self == TextEncoding::Utf8 => String::from_utf8_lossy(s).into(),
                    Err(_) => s.iter().map(|&b| b as char).collect(),
                }
            }
        };
        raw.chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect::<String>()
            .trim()
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_utf8_and_ucs2() {
        let l = TextEncoding::Latin1;
        assert_eq!(l.decode(b" sinusrytm\0junk"), "sinusrytm");
        assert_eq!(l.decode(b"V\xe4nster\0"), "V\u{e4}nster");
        assert_eq!(l.decode("Väster".as_bytes()), "Väster");
        assert_eq!(l.decode(b"ELI250\x14\xc0"), "ELI250\u{c0}");
        let u = TextEncoding::from_language_code(0x07);
        assert_eq!(u, TextEncoding::Ucs2);
        assert_eq!(u.decode(&[0x41, 0, 0x3A, 0x04, 0, 0, 0x42, 0]), "A\u{43a}");
        assert_eq!(TextEncoding::from_language_code(0x00), TextEncoding::Latin1);
        assert_eq!(TextEncoding::from_language_code(0x37), TextEncoding::Utf8);
        assert_eq!(
            TextEncoding::from_language_code(0x03),
            TextEncoding::OtherEightBit(3)
        );
    }
}
