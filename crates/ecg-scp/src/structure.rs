//! The record structure: record header (CRC, length), the section 0 pointer table and
//! the 16-byte header of every section it points to (EN 1064 clauses 5.2 and 5.3).

use crate::crc::{crc_ccitt, crc_ccitt_combine};
use crate::error::{Error, Result};
use crate::fields::{Fields, le_u16, le_u32};

/// Bytes of the record header (CRC + record length).
pub(crate) const RECORD_HEADER: usize = 6;
/// Bytes of every section header (CRC, id, length, section version, protocol version,
/// reserved).
pub(crate) const SECTION_HEADER: usize = 16;
/// Bytes of one section 0 pointer entry (id, length, index).
pub(crate) const POINTER_ENTRY: usize = 10;

/// One section of the record, as the pointer table and its header describe it.
#[derive(Clone, Debug)]
pub(crate) struct SectionRef<'a> {
    /// Section id.
    pub id: u16,
    /// File offset of the section (its CRC field).
    pub offset: usize,
    /// The section's data part (after the 16-byte header).
    pub body: &'a [u8],
}

impl<'a> SectionRef<'a> {
    /// File offset of the data part.
    pub(crate) fn body_offset(&self) -> usize {
        self.offset + SECTION_HEADER
    }

    /// A field reader over the data part.
    pub(crate) fn fields(&self) -> Fields<'a> {
        Fields::new(self.id, self.body_offset(), self.body)
    }
}

/// A parsed record: where every section is.
#[derive(Clone, Debug)]
pub(crate) struct Structure<'a> {
    /// Protocol version byte of the section 0 header (13 = 1.3, 20 = 2.0, 30 = 3.0).
    pub protocol: u8,
    /// Sections in id order (section 0 included), without duplicates.
    pub sections: Vec<SectionRef<'a>>,
    /// Section ids whose CRC did not match (lenient mode only reaches here with some).
    pub crc_failures: Vec<u16>,
    /// True when the record CRC matched.
    pub record_crc_ok: bool,
}

impl<'a> Structure<'a> {
    /// The section with this id, if the record has it.
    pub(crate) fn section(&self, id: u16) -> Option<&SectionRef<'a>> {
        self.sections
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .map(|i| &self.sections[i])
    }
}

/// True for the sections the standard defines for this protocol version (0..=11, and
/// 12..=18 from version 3.0); others are manufacturer-specific.
pub(crate) fn is_standard_section(id: u16, protocol: u8) -> bool {
    id <= 11 || (protocol >= 30 && id <= 18)
}

/// The CRC of the record from byte offset 2: assembled from the section CRCs when the
/// sections follow each other without gaps from byte offset 6 to the record end
/// (the usual layout), computed over the bytes otherwise.
pub(crate) fn record_crc(record: &[u8], pieces: &mut [(usize, usize, u16)]) -> u16 {
    pieces.sort_unstable_by_key(|p| p.0);
    let mut at = RECORD_HEADER;
    let mut crc = crc_ccitt(&record[2..RECORD_HEADER]);
    for &(offset, len, section_crc) in pieces.iter() {
        if offset != at {
            return crc_ccitt(&record[2..]);
        }
        // The section's own CRC field, then the bytes its CRC covers.
        let field = crc_ccitt(&record[offset..offset + 2]);
        crc = crc_ccitt_combine(crc, field, 2);
        crc = crc_ccitt_combine(crc, section_crc, len as u64 - 2);
        at = offset + len;
    }
    if at == record.len() {
        crc
    } else {
        crc_ccitt(&record[2..])
    }
}

/// Parses the record header and the pointer table of `data`.
///
/// CRC mismatches are errors when `strict`, warnings otherwise.
pub(crate) fn parse_structure<'a>(
    data: &'a [u8],
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<Structure<'a>> {
    if data.is_empty() {
        return Err(Error::Empty);
    }
    let min = RECORD_HEADER + SECTION_HEADER;
    if data.len() < min {
        return Err(Error::TooShort {
            len: data.len(),
            needed: min,
        });
    }
    let s0 = RECORD_HEADER;
    let s0_id = le_u16(data, s0 + 2).unwrap_or(u16::MAX);
    if s0_id != 0 {
        return Err(Error::NotScp {
            reason: format!(
                "the section header at byte offset {s0} has id {s0_id}, expected section 0 (pointer section)"
            ),
        });
    }
    let s0_len = le_u32(data, s0 + 4).unwrap_or(0) as usize;
    if s0_len < SECTION_HEADER + POINTER_ENTRY
        || !(s0_len - SECTION_HEADER).is_multiple_of(POINTER_ENTRY)
        || s0_len > data.len() - s0
    {
        return Err(Error::NotScp {
            reason: format!(
                "section 0 length {s0_len} (byte offset {}) is not 16 + 10 x entries within the {}-byte file",
                s0 + 4,
                data.len()
            ),
        });
    }
    // The pointer to section 0 itself tells 1-based (standard) from 0-based indexes.
    let entries = (s0_len - SECTION_HEADER) / POINTER_ENTRY;
    let entry_at = |k: usize| s0 + SECTION_HEADER + k * POINTER_ENTRY;
    let self_entry = (0..entries).find(|&k| le_u16(data, entry_at(k)) == Some(0));
    let Some(self_entry) = self_entry else {
        return Err(Error::NotScp {
            reason: "the section 0 pointer table has no entry for section 0".into(),
        });
    };
    let self_index = le_u32(data, entry_at(self_entry) + 6).unwrap_or(0);
    if self_index == 6 {
        return Err(Error::NonConformant {
            reason: "section pointers are 0-based (section 0 is said to start at index 6; \
                     EN 1064 counts bytes from 1, so it must be 7)"
                .into(),
        });
    }
    if self_index != 7 {
        return Err(Error::NotScp {
            reason: format!(
                "the pointer to section 0 (byte offset {}) says index {self_index}, expected 7",
                entry_at(self_entry) + 6
            ),
        });
    }

    let declared = le_u32(data, 2).unwrap_or(0) as u64;
    if declared > data.len() as u64 {
        return Err(Error::Truncated {
            declared,
            actual: data.len(),
        });
    }
    let record_len = declared as usize;
    if record_len < s0 + s0_len {
        return Err(Error::Malformed {
            section: 0,
            offset: 2,
            expected: format!(
                "a record length of at least {} bytes (record header and section 0), found {record_len}",
                s0 + s0_len
            ),
        });
    }
    if record_len < data.len() {
        warnings.push(format!(
            "the record length field says {record_len} bytes; the {} bytes after it are ignored",
            data.len() - record_len
        ));
    }
    let record = &data[..record_len];

    let protocol = record[s0 + 9];
    let mut sections: Vec<SectionRef<'a>> = Vec::new();
    let mut crc_errors: Vec<Error> = Vec::new();
    let mut crc_failures = Vec::new();
    // (offset, length, CRC of the section from its byte 3) of every section read, to
    // assemble the record CRC without a second pass when the sections tile the record.
    let mut pieces: Vec<(usize, usize, u16)> = Vec::new();
    for k in 0..entries {
        let at = entry_at(k);
        let mut f = Fields::new(0, at, &record[at..at + POINTER_ENTRY]);
        let id = f.u16("section id")?;
        let length = f.u32("section length")? as usize;
        let index = f.u32("section index")? as usize;
        if length == 0 {
            continue;
        }
        let standard = is_standard_section(id, protocol);
        let pointer_error = |what: String| Error::Pointer {
            section: id,
            offset: at,
            what,
        };
        let problem = if index == 0 {
            Some(format!("length {length} but index 0"))
        } else if length < SECTION_HEADER {
            Some(format!("length {length} is shorter than a section header"))
        } else if (index - 1)
            .checked_add(length)
            .is_none_or(|end| end > record_len)
        {
            Some(format!(
                "bytes {index}..{} (1-based) lie outside the {record_len}-byte record",
                index.saturating_add(length).saturating_sub(1)
            ))
        } else {
            let offset = index - 1;
            let header_id = le_u16(record, offset + 2).unwrap_or(u16::MAX);
            (header_id != id)
                .then(|| format!("the section header at byte offset {offset} has id {header_id}"))
        };
        if let Some(what) = problem {
            if standard {
                return Err(pointer_error(what));
            }
            warnings.push(format!(
                "manufacturer-specific section {id} skipped: pointer entry at byte offset {at}: {what}"
            ));
            continue;
        }
        let offset = index - 1;
        let header_len = le_u32(record, offset + 4).unwrap_or(0) as usize;
        let mut len = length;
        if header_len != length {
            if (SECTION_HEADER..length).contains(&header_len) {
                len = header_len;
            }
            warnings.push(format!(
                "section {id}: its header (byte offset {}) says {header_len} bytes, section 0 says {length}; using {len}",
                offset + 4
            ));
        }
        if sections.iter().any(|s| s.id == id) {
            warnings.push(format!(
                "section 0 lists section {id} twice (entry at byte offset {at}); the first entry is used"
            ));
            continue;
        }
        let section = &record[offset..offset + len];
        let stored = le_u16(section, 0).unwrap_or(0);
        let computed = crc_ccitt(&section[2..]);
        pieces.push((offset, len, computed));
        if stored != computed {
            crc_failures.push(id);
            let e = Error::SectionCrc {
                section: id,
                offset,
                stored,
                computed,
            };
            if standard {
                crc_errors.push(e);
            } else {
                warnings.push(format!("manufacturer-specific section: {e}"));
            }
        }
        sections.push(SectionRef {
            id,
            offset,
            body: &section[SECTION_HEADER..],
        });
    }
    let stored = le_u16(record, 0).unwrap_or(0);
    let computed = record_crc(record, &mut pieces);
    let record_crc_ok = stored == computed;
    let record_crc_error = Error::RecordCrc {
        stored,
        computed,
        end: record_len,
    };
    if strict {
        if let Some(e) = crc_errors.into_iter().next() {
            return Err(e);
        }
        if !record_crc_ok {
            return Err(record_crc_error);
        }
    } else {
        for e in crc_errors {
            warnings.push(format!("{e} (lenient mode: decoded anyway)"));
        }
        if !record_crc_ok {
            warnings.push(format!("{record_crc_error} (lenient mode: decoded anyway)"));
        }
    }
    sections.sort_by_key(|s| s.id);
    Ok(Structure {
        protocol,
        sections,
        crc_failures,
        record_crc_ok,
    })
}
