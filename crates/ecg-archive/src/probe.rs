//! Recognising archives by their first bytes, before any engine sees them.
//!
//! Only the containers of the SPEC's table are let through to the engines, so that
//! libarchive's more exotic readers (mtree, cpio, ISO 9660, ...) never claim an ECG file.

use std::fmt;

/// Bytes of an upload's head that [`probe`] looks at (a tar header is 512 bytes).
pub const PROBE_BYTES: usize = 512;

/// An archive or compressed-stream format recognised by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveFormat {
    /// ZIP (and ZIPX): `PK\x03\x04`, or `PK\x05\x06` for an empty archive.
    Zip,
    /// 7-Zip: `7z\xBC\xAF\x27\x1C`.
    SevenZip,
    /// RAR 1.5 - 4.x: `Rar!\x1A\x07\x00`.
    Rar4,
    /// RAR 5.0: `Rar!\x1A\x07\x01\x00`.
    Rar5,
    /// Uncompressed tar (ustar/GNU magic or a valid v7 header checksum).
    Tar,
    /// gzip stream (a `.tar.gz` when it holds a tar).
    Gzip,
    /// bzip2 stream.
    Bzip2,
    /// xz stream.
    Xz,
    /// LZ4 frame.
    Lz4,
    /// Zstandard frame.
    Zstd,
}

impl ArchiveFormat {
    /// True for compressed streams, which are archives only when they hold a tar.
    pub fn is_compressed_stream(self) -> bool {
        matches!(
            self,
            ArchiveFormat::Gzip
                | ArchiveFormat::Bzip2
                | ArchiveFormat::Xz
                | ArchiveFormat::Lz4
                | ArchiveFormat::Zstd
        )
    }

    /// True for RAR (read by UnRAR).
    pub fn is_rar(self) -> bool {
        matches!(self, ArchiveFormat::Rar4 | ArchiveFormat::Rar5)
    }

    /// True when the format keeps its directory at the end and needs random access.
    pub fn needs_seek(self) -> bool {
        matches!(
            self,
            ArchiveFormat::SevenZip | ArchiveFormat::Rar4 | ArchiveFormat::Rar5
        )
    }
}

impl fmt::Display for ArchiveFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArchiveFormat::Zip => "ZIP",
            ArchiveFormat::SevenZip => "7-Zip",
            ArchiveFormat::Rar4 => "RAR 4.x",
            ArchiveFormat::Rar5 => "RAR 5.0",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Gzip => "gzip",
            ArchiveFormat::Bzip2 => "bzip2",
            ArchiveFormat::Xz => "xz",
            ArchiveFormat::Lz4 => "LZ4",
            ArchiveFormat::Zstd => "Zstandard",
        })
    }
}

/// Recognises an archive from the first bytes of an upload ([`PROBE_BYTES`] suffice).
pub fn probe(head: &[u8]) -> Option<ArchiveFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08PK\x03\x04") {
        Some(ArchiveFormat::Zip)
    } else if starts(b"7z\xBC\xAF\x27\x1C") {
        Some(ArchiveFormat::SevenZip)
    } else if starts(b"Rar!\x1A\x07\x00") {
        Some(ArchiveFormat::Rar4)
    } else if starts(b"Rar!\x1A\x07\x01\x00") {
        Some(ArchiveFormat::Rar5)
    } else if starts(&[0x1F, 0x8B, 0x08]) {
        Some(ArchiveFormat::Gzip)
    } else if head.len() >= 4 && starts(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some(ArchiveFormat::Bzip2)
    } else if starts(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        Some(ArchiveFormat::Xz)
    } else if starts(&[0x04, 0x22, 0x4D, 0x18]) {
        Some(ArchiveFormat::Lz4)
    } else if starts(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some(ArchiveFormat::Zstd)
    } else if is_tar_header(head) {
        Some(ArchiveFormat::Tar)
    } else {
        None
    }
}

/// A 512-byte tar header: ustar/GNU magic at 257, or an old v7 header whose checksum
/// field matches the header's byte sum.
fn is_tar_header(head: &[u8]) -> bool {
    let Some(header) = head.get(..512) else {
        return false;
    };
    if &header[257..262] == b"ustar" {
        return true;
    }
    // v7: name must be non-empty, checksum field octal digits, and the sum must match.
    if header[0] == 0 {
        return false;
    }
    let field = &header[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let mut stated: u64 = 0;
    for d in digits {
        stated = stated * 8 + u64::from(d - b'0');
    }
    let sum: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    stated == sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(probe(b"PK\x03\x04rest"), Some(ArchiveFormat::Zip));
        assert_eq!(
            probe(b"7z\xBC\xAF\x27\x1C\0\x04"),
            Some(ArchiveFormat::SevenZip)
        );
        assert_eq!(probe(b"Rar!\x1A\x07\x00\xcf"), Some(ArchiveFormat::Rar4));
        assert_eq!(probe(b"Rar!\x1A\x07\x01\x00"), Some(ArchiveFormat::Rar5));
        assert_eq!(probe(&[0x1F, 0x8B, 8, 0]), Some(ArchiveFormat::Gzip));
        assert_eq!(probe(b"BZh91AY"), Some(ArchiveFormat::Bzip2));
        assert_eq!(probe(b"BZhx"), None);
        assert_eq!(
            probe(&[0x28, 0xB5, 0x2F, 0xFD, 0]),
            Some(ArchiveFormat::Zstd)
        );
        assert_eq!(probe(b"0       patient"), None);
        assert_eq!(probe(b""), None);
    }

    #[test]
    fn tar_headers() {
        let mut h = vec![0u8; 512];
        h[..7].copy_from_slice(b"100.hea");
        assert_eq!(probe(&h), None);
        // v7 checksum
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum::<u64>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(field.as_bytes());
        assert_eq!(probe(&h), Some(ArchiveFormat::Tar));
        h[0] = b'X';
        assert_eq!(probe(&h), None);
        h[257..262].copy_from_slice(b"ustar");
        assert_eq!(probe(&h), Some(ArchiveFormat::Tar));
    }
}
