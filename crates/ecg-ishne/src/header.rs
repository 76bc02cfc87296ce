//! The ISHNE 1.0 header: the 10-byte pre-header (magic, CRC), the 512-byte fixed block
//! and the variable-length block.

use crate::error::{Error, Result};

/// Size of the pre-header and fixed header block: the variable block starts here.
pub const FIXED_HEADER_BYTES: usize = 522;
/// Magic number of Holter ECG files.
pub const ECG_MAGIC: &[u8; 8] = b"ISHNE1.0";
/// Magic number of annotation files.
pub const ANN_MAGIC: &[u8; 8] = b"ANN  1.0";
/// Lead slots of the fixed header.
pub const MAX_LEADS: usize = 12;

/// CRC-CCITT as the ISHNE standard defines it for the header: polynomial 0x1021, initial
/// value 0xFFFF, most significant bit first, no final XOR (CRC-16/CCITT-FALSE).
pub fn crc_ccitt(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The decoded header of an ISHNE Holter or annotation file. Text fields are decoded as
/// UTF-8 (Latin-1 when not valid UTF-8), cut at the first NUL and trimmed.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Stored CRC (byte offset 8).
    pub crc: u16,
    /// CRC computed over bytes 10 .. start of the ECG (or annotation) data.
    pub computed_crc: u16,
    /// Size of the variable-length block in bytes.
    pub var_block_size: u32,
    /// Samples per lead (byte offset 14).
    pub ecg_size: u32,
    /// Offset of the variable-length block (522 in every conforming file).
    pub var_block_offset: u32,
    /// Offset of the ECG samples (or of the annotations).
    pub ecg_block_offset: u32,
    /// File version.
    pub file_version: i16,
    /// Patient first name.
    pub first_name: String,
    /// Patient last name.
    pub last_name: String,
    /// Patient identifier.
    pub id: String,
    /// 0 unknown, 1 male, 2 female.
    pub sex: i16,
    /// 0 unknown, 1 Caucasian, 2 Black, 3 Oriental.
    pub race: i16,
    /// Birth date as `(day, month, year)`.
    pub birth_date: [i16; 3],
    /// Recording date `(day, month, year)`.
    pub record_date: [i16; 3],
    /// File creation date `(day, month, year)`.
    pub file_date: [i16; 3],
    /// Recording start time `(hour, minute, second)`.
    pub start_time: [i16; 3],
    /// Number of stored leads.
    pub nleads: i16,
    /// Lead specification codes (table 1 of the standard), one per slot.
    pub lead_spec: [i16; MAX_LEADS],
    /// Lead quality codes (table 2), one per slot.
    pub lead_quality: [i16; MAX_LEADS],
    /// Amplitude resolution in nV per unit, one per slot.
    pub resolution_nv: [i16; MAX_LEADS],
    /// Pacemaker code (table 3).
    pub pacemaker: i16,
    /// Recorder type (analog or digital).
    pub recorder_type: String,
    /// Sampling rate in Hz.
    pub sampling_rate: i16,
    /// Proprietary information.
    pub proprietary: String,
    /// Copyright.
    pub copyright: String,
    /// Reserved block (text, usually empty).
    pub reserved: String,
    /// The variable-length block as text (cut at the first NUL).
    pub var_block: String,
}

fn i16_at(d: &[u8], off: usize) -> i16 {
    i16::from_le_bytes([d[off], d[off + 1]])
}

fn i32_at(d: &[u8], off: usize) -> i32 {
    i32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]])
}

/// Text of a fixed-size field (or block): cut at the first NUL, UTF-8 or Latin-1, trimmed.
pub(crate) fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = &bytes[..end];
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim().to_string(),
        Err(_) => bytes
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .trim()
            .to_string(),
    }
}

fn triple(d: &[u8], off: usize) -> [i16; 3] {
    [i16_at(d, off), i16_at(d, off + 2), i16_at(d, off + 4)]
}

fn slots(d: &[u8], off: usize) -> [i16; MAX_LEADS] {
    std::array::from_fn(|i| i16_at(d, off + 2 * i))
}

/// Escapes the magic bytes for messages.
fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Parses the header of a file whose magic must be `magic` (`kind` names it in errors).
/// Checks the sizes and offsets; the CRC is only computed (the caller decides).
pub fn parse(data: &[u8], magic: &'static [u8; 8], kind: &'static str) -> Result<Header> {
    if data.len() < 8 || &data[..8] != magic {
        return Err(Error::Magic {
            kind,
            found: escape(&data[..data.len().min(8)]),
            expected: std::str::from_utf8(magic).unwrap_or("ISHNE1.0"),
        });
    }
    if data.len() < FIXED_HEADER_BYTES {
        return Err(Error::TooShort {
            what: "the fixed header",
            needed: FIXED_HEADER_BYTES as u64,
            actual: data.len() as u64,
        });
    }
    let field = |field, offset, value: i64, expected| Error::Field {
        field,
        offset,
        value,
        expected,
    };
    let var_block_size = i32_at(data, 10);
    let var_block_offset = i32_at(data, 18);
    let ecg_block_offset = i32_at(data, 22);
    let var_block_size = u32::try_from(var_block_size).map_err(|_| {
        field(
            "size of the variable-length block",
            10,
            i64::from(var_block_size),
            "a size >= 0",
        )
    })?;
    let var_end = FIXED_HEADER_BYTES as u64 + u64::from(var_block_size);
    if var_end > data.len() as u64 {
        return Err(Error::TooShort {
            what: "the variable-length block",
            needed: var_end,
            actual: data.len() as u64,
        });
    }
    let var_end = var_end as usize;
    if var_block_offset != FIXED_HEADER_BYTES as i32 {
        return Err(field(
            "offset of the variable-length block",
            18,
            i64::from(var_block_offset),
            "522",
        ));
    }
    let ecg_size = i32_at(data, 14);
    let ecg_size = u32::try_from(ecg_size).map_err(|_| {
        field(
            "size of the ECG (samples)",
            14,
            i64::from(ecg_size),
            "a count >= 0",
        )
    })?;
    let ecg_offset = usize::try_from(ecg_block_offset)
        .ok()
        .filter(|&o| o >= var_end && o <= data.len())
        .ok_or_else(|| {
            field(
                "offset of the ECG block",
                22,
                i64::from(ecg_block_offset),
                "an offset after the variable-length block and inside the file",
            )
        })?;
    let nleads = i16_at(data, 156);
    Ok(Header {
        crc: u16::from_le_bytes([data[8], data[9]]),
        computed_crc: crc_ccitt(&data[10..ecg_offset]),
        var_block_size,
        ecg_size,
        var_block_offset: var_block_offset as u32,
        ecg_block_offset: ecg_offset as u32,
        file_version: i16_at(data, 26),
        first_name: text(&data[28..68]),
        last_name: text(&data[68..108]),
        id: text(&data[108..128]),
        sex: i16_at(data, 128),
        race: i16_at(data, 130),
        birth_date: triple(data, 132),
        record_date: triple(data, 138),
        file_date: triple(data, 144),
        start_time: triple(data, 150),
        nleads,
        lead_spec: slots(data, 158),
        lead_quality: slots(data, 182),
        resolution_nv: slots(data, 206),
        pacemaker: i16_at(data, 230),
        recorder_type: text(&data[232..272]),
        sampling_rate: i16_at(data, 272),
        proprietary: text(&data[274..354]),
        copyright: text(&data[354..434]),
        reserved: text(&data[434..522]),
        var_block: text(&data[FIXED_HEADER_BYTES..var_end]),
    })
}

/// The lead name of a lead specification code (table 1 of the standard).
pub fn lead_name(code: i16) -> Option<&'static str> {
    Some(match code {
        0 => "unknown",
        1 => "generic",
        2 => "X",
        3 => "Y",
        4 => "Z",
        5 => "I",
        6 => "II",
        7 => "III",
        8 => "aVR",
        9 => "aVL",
        10 => "aVF",
        11 => "V1",
        12 => "V2",
        13 => "V3",
        14 => "V4",
        15 => "V5",
        16 => "V6",
        17 => "ES",
        18 => "AS",
        19 => "AI",
        _ => return None,
    })
}

/// The lead specification code of a lead name (inverse of [`lead_name`]; case-insensitive).
pub fn lead_code(name: &str) -> Option<i16> {
    (0..=19).find(|&c| lead_name(c).is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

/// Description of a lead quality code (table 2).
pub fn lead_quality_name(code: i16) -> Option<&'static str> {
    Some(match code {
        0 => "unknown",
        1 => "good",
        2 => "intermittent noise",
        3 => "frequent noise",
        4 => "intermittent disconnect",
        5 => "frequent disconnect",
        _ => return None,
    })
}

/// Description of a pacemaker code (table 3).
pub fn pacemaker_name(code: i16) -> Option<&'static str> {
    Some(match code {
        0 => "none",
        1 => "unknown type",
        2 => "single chamber unipolar",
        3 => "dual chamber unipolar",
        4 => "single chamber bipolar",
        5 => "dual chamber bipolar",
        _ => return None,
    })
}

/// Description of a race code.
pub fn race_name(code: i16) -> Option<&'static str> {
    Some(match code {
        1 => "Caucasian",
        2 => "Black",
        3 => "Oriental",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_ccitt_false_check_value() {
        assert_eq!(crc_ccitt(b"123456789"), 0x29B1);
        assert_eq!(crc_ccitt(b""), 0xFFFF);
    }

    #[test]
    fn lead_codes_round_trip() {
        for c in 0..=19 {
            assert_eq!(lead_code(lead_name(c).unwrap()), Some(c));
        }
        assert_eq!(lead_name(-9), None);
        assert_eq!(lead_code("avf"), Some(10));
    }
}
