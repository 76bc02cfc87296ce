//! Content detection: is this byte string an SCP-ECG record?

use ecg_core::{Confidence, Detector};

use crate::crc::crc_ccitt;
use crate::fields::{le_u16, le_u32};
use crate::structure::{
    POINTER_ENTRY, RECORD_HEADER, SECTION_HEADER, is_standard_section, record_crc,
};

/// Says whether `data` (a whole file) is an SCP-ECG record.
///
/// - [`Confidence::Certain`]: section 0 sits at byte 7 with a pointer table whose entries
///   point inside the record to section headers of the same id and length, and the record
///   CRC, the record length and every section CRC match.
/// - [`Confidence::Maybe`]: the pointer table is recognisably SCP-ECG but something is off
///   (truncated record, CRC mismatch, 0-based pointers of some vendor exports): the
///   decoder will explain what.
/// - [`Confidence::No`]: anything else. Cheap for non-matching input (a few header
///   fields), never panics.
pub fn detect(data: &[u8]) -> Confidence {
    let s0 = RECORD_HEADER;
    if data.len() < s0 + SECTION_HEADER + POINTER_ENTRY || le_u16(data, s0 + 2) != Some(0) {
        return Confidence::No;
    }
    let s0_len = le_u32(data, s0 + 4).unwrap_or(0) as usize;
    if s0_len < SECTION_HEADER + 2 * POINTER_ENTRY
        || !(s0_len - SECTION_HEADER).is_multiple_of(POINTER_ENTRY)
        || s0_len > data.len() - s0
    {
        return Confidence::No;
    }
    let entries = (s0_len - SECTION_HEADER) / POINTER_ENTRY;
    let entry = |k: usize| {
        let at = s0 + SECTION_HEADER + k * POINTER_ENTRY;
        (
            le_u16(data, at).unwrap_or(u16::MAX),
            le_u32(data, at + 2).unwrap_or(0) as usize,
            le_u32(data, at + 6).unwrap_or(0) as usize,
        )
    };
    // The entry for section 0 must describe section 0 itself: 1-based index 7 in the
    // standard, 0-based index 6 in some non-conformant exports.
    let Some((_, self_len, self_index)) = (0..entries).map(entry).find(|e| e.0 == 0) else {
        return Confidence::No;
    };
    let base = match self_index {
        7 => 1,
        6 => 0,
        _ => return Confidence::No,
    };
    if self_len != s0_len {
        return Confidence::No;
    }
    let protocol = data[s0 + 9];
    let declared = le_u32(data, 2).unwrap_or(0) as usize;
    // For the structural checks, sections may extend to the record end (when the record
    // length is plausible) or to the end of the file.
    let limit = if (s0 + s0_len..=data.len()).contains(&declared) {
        declared
    } else {
        data.len()
    };
    let mut others = 0;
    let mut consistent = true;
    let s0_crc = crc_ccitt(&data[s0 + 2..s0 + s0_len]);
    let mut crcs_ok = le_u16(data, s0) == Some(s0_crc);
    let mut pieces = vec![(s0, s0_len, s0_crc)];
    for k in 0..entries {
        let (id, len, index) = entry(k);
        if len == 0 || id == 0 {
            continue;
        }
        let standard = is_standard_section(id, protocol);
        let Some(offset) = index.checked_sub(base) else {
            if standard {
                return Confidence::No;
            }
            consistent = false;
            continue;
        };
        let end = offset.checked_add(len);
        let header_id = le_u16(data, offset + 2);
        let inside = end.is_some_and(|e| e <= limit) && len >= SECTION_HEADER;
        if !inside || header_id != Some(id) {
            if standard {
                // A standard section pointing at garbage: not a record structure we know,
                // unless the file is merely cut short.
                if header_id.is_some() && header_id != Some(id) {
                    return Confidence::No;
                }
                consistent = false;
                continue;
            }
            consistent = false;
            continue;
        }
        others += 1;
        if le_u32(data, offset + 4) != Some(len as u32) {
            consistent = false;
        } else if crcs_ok {
            let section = &data[offset..offset + len];
            let crc = crc_ccitt(&section[2..]);
            crcs_ok = le_u16(section, 0) == Some(crc);
            pieces.push((offset, len, crc));
        }
    }
    if others == 0 {
        return Confidence::No;
    }
    let certain = base == 1
        && consistent
        && crcs_ok
        && declared == data.len()
        && le_u16(data, 0) == Some(record_crc(data, &mut pieces));
    if certain {
        Confidence::Certain
    } else {
        Confidence::Maybe
    }
}

/// The SCP-ECG [`Detector`] for the archive crate's registry (`name()` = `"scp"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ScpDetector;

impl Detector for ScpDetector {
    fn name(&self) -> &'static str {
        "scp"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}
