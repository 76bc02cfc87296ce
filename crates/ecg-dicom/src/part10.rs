//! DICOM Part 10 files: the preamble, the file meta information and the data set as a
//! tree of elements whose values stay in the file's bytes (byte ranges, no copies).
//!
//! Only little endian encodings are read: explicit VR (the meta group always, the data
//! set with transfer syntax 1.2.840.10008.1.2.1) and implicit VR (1.2.840.10008.1.2).
//! Sequences and items of defined and undefined length are followed; in implicit VR a
//! value of defined length that starts with an item tag is read as a sequence (no data
//! dictionary needed), falling back to plain bytes when it does not parse as one.

use std::ops::Range;

use crate::error::{Error, Result, Tag};
use crate::tags::{self, Attr};

const ITEM: u32 = 0xFFFE_E000;
const ITEM_END: u32 = 0xFFFE_E00D;
const SEQUENCE_END: u32 = 0xFFFE_E0DD;
const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;

/// Sequences may nest this deep (waveform files use 3 or 4 levels).
pub(crate) const MAX_DEPTH: usize = 16;
/// Elements and items of one file (a waveform file has a few hundred).
pub(crate) const MAX_ELEMENTS: u64 = 4_000_000;

/// Explicit VR little endian.
pub(crate) const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Implicit VR little endian.
pub(crate) const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";

/// One data element: tag, VR (explicit files) and value.
#[derive(Debug)]
pub(crate) struct Element {
    /// `(group << 16) | element`.
    pub tag: u32,
    /// The VR as written (explicit VR), `None` in implicit VR.
    pub vr: Option<[u8; 2]>,
    /// Byte offset of the element's tag.
    pub offset: usize,
    /// The value.
    pub value: Value,
}

/// An element's value: bytes of the file, or the items of a sequence.
#[derive(Debug)]
pub(crate) enum Value {
    Bytes(Range<usize>),
    Items(Vec<DataSet>),
}

/// A data set (the file's, or one sequence item's), elements in file order.
#[derive(Debug, Default)]
pub(crate) struct DataSet {
    pub elements: Vec<Element>,
}

impl DataSet {
    /// The element with this tag.
    pub fn get(&self, attr: Attr) -> Option<&Element> {
        self.elements.iter().find(|e| e.tag == attr.0)
    }

    /// The items of a sequence element (empty when absent or not a sequence).
    pub fn items(&self, attr: Attr) -> &[DataSet] {
        match self.get(attr).map(|e| &e.value) {
            Some(Value::Items(items)) => items,
            _ => &[],
        }
    }
}

/// The file meta information (group 0002).
#[derive(Debug)]
pub(crate) struct FileMeta {
    /// Media Storage SOP Class UID.
    pub sop_class: Option<String>,
    /// Transfer Syntax UID.
    pub transfer_syntax: Option<String>,
    /// Byte offset where the data set starts.
    pub dataset_start: usize,
}

/// True when `data` starts with the 128-byte preamble and `DICM`.
pub(crate) fn has_preamble(data: &[u8]) -> bool {
    data.get(128..132) == Some(b"DICM")
}

/// Reads the file meta information after the preamble.
pub(crate) fn read_meta(data: &[u8]) -> Result<FileMeta> {
    if data.len() < 132 {
        return Err(Error::NotDicom {
            reason: "shorter than the 128-byte preamble and the DICM prefix",
        });
    }
    if !has_preamble(data) {
        return Err(Error::NotDicom {
            reason: "no DICM prefix at byte offset 128",
        });
    }
    let mut parser = Parser::new(data);
    let mut meta = FileMeta {
        sop_class: None,
        transfer_syntax: None,
        dataset_start: 132,
    };
    let mut pos = 132;
    while pos + 4 <= data.len() && read_u16(data, pos) == Some(0x0002) {
        let (element, next) = parser.element(pos, data.len(), true, 0)?;
        if let Value::Bytes(range) = &element.value {
            let text = || Some(uid_text(data.get(range.clone())?));
            if element.tag == tags::MEDIA_STORAGE_SOP_CLASS.0 {
                meta.sop_class = text();
            } else if element.tag == tags::TRANSFER_SYNTAX.0 {
                meta.transfer_syntax = text();
            }
        }
        pos = next;
    }
    meta.dataset_start = pos;
    Ok(meta)
}

/// Parses the data set from `start` to the end of the file. With `stop_after`, stops at
/// the first top-level element whose tag is larger (a cheap look at the first groups).
pub(crate) fn read_dataset(
    data: &[u8],
    start: usize,
    explicit: bool,
    stop_after: Option<u32>,
) -> Result<DataSet> {
    let mut parser = Parser::new(data);
    parser.stop_after = stop_after;
    let (set, _) = parser.dataset(start, Some(data.len()), explicit, 0)?;
    Ok(set)
}

/// A UID value: ASCII, padded with NUL or space.
pub(crate) fn uid_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches(['\0', ' '])
        .trim()
        .to_string()
}

fn read_u16(data: &[u8], pos: usize) -> Option<u16> {
    let b = data.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn read_u32(data: &[u8], pos: usize) -> Option<u32> {
    let b = data.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// VRs whose explicit encoding has a 2-byte reserved field and a 4-byte length.
fn has_long_length(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

/// Implicit VR bulk data (Waveform Data, Waveform Padding Value, Pixel Data): never read
/// as a sequence, whatever its first bytes (samples -2, -8192 of SS data are the bytes of
/// an item tag).
fn is_bulk_data(tag: u32) -> bool {
    matches!(
        tag,
        0x5400_1010 | 0x5400_100A | 0x7FE0_0008 | 0x7FE0_0009 | 0x7FE0_0010
    )
}

struct Parser<'a> {
    data: &'a [u8],
    count: u64,
    stop_after: Option<u32>,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8]) -> Self {
        Parser {
            data,
            count: 0,
            stop_after: None,
        }
    }

    fn truncated(&self, offset: usize, what: String, needed: usize, from: usize) -> Error {
        Error::Truncated {
            offset: offset as u64,
            what,
            needed: needed as u64,
            available: self.data.len().saturating_sub(from) as u64,
        }
    }

    fn u32_at(&self, pos: usize, offset: usize, what: &str) -> Result<u32> {
        read_u32(self.data, pos).ok_or_else(|| self.truncated(offset, what.to_string(), 4, pos))
    }

    fn tag_at(&self, pos: usize) -> Result<u32> {
        let group = read_u16(self.data, pos);
        let element = read_u16(self.data, pos + 2);
        match (group, element) {
            (Some(g), Some(e)) => Ok((u32::from(g) << 16) | u32::from(e)),
            _ => Err(self.truncated(pos, "a data element tag".into(), 4, pos)),
        }
    }

    fn count_one(&mut self) -> Result<()> {
        self.count += 1;
        if self.count > MAX_ELEMENTS {
            return Err(Error::LimitExceeded {
                what: "data elements and items in one file",
                requested: self.count,
                limit: MAX_ELEMENTS,
            });
        }
        Ok(())
    }

    /// Elements from `pos` up to `end` (defined length) or up to an item delimitation
    /// item (`end` = None). Returns the data set and the position after it.
    fn dataset(
        &mut self,
        mut pos: usize,
        end: Option<usize>,
        explicit: bool,
        depth: usize,
    ) -> Result<(DataSet, usize)> {
        let limit = end.unwrap_or(self.data.len());
        let mut set = DataSet::default();
        loop {
            if end.is_some() && pos >= limit {
                return Ok((set, pos));
            }
            let tag = self.tag_at(pos)?;
            match tag {
                ITEM_END => {
                    // Closes an undefined-length item; tolerated (and skipped) inside a
                    // defined-length one.
                    if end.is_none() {
                        return Ok((set, pos + 8));
                    }
                    pos += 8;
                    continue;
                }
                ITEM | SEQUENCE_END => {
                    return Err(Error::Malformed {
                        offset: pos as u64,
                        tag: Tag(tag),
                        message: "an item or sequence delimiter where a data element was expected",
                    });
                }
                _ => {}
            }
            if depth == 0 && self.stop_after.is_some_and(|stop| tag > stop) {
                return Ok((set, pos));
            }
            let (element, next) = self.element(pos, limit, explicit, depth)?;
            set.elements.push(element);
            pos = next;
        }
    }

    /// One element at `pos`, which must end by `limit`.
    fn element(
        &mut self,
        pos: usize,
        limit: usize,
        explicit: bool,
        depth: usize,
    ) -> Result<(Element, usize)> {
        self.count_one()?;
        let tag = self.tag_at(pos)?;
        let name = || Tag(tag);
        let (vr, length, header) = if explicit {
            let vr = match self.data.get(pos + 4..pos + 6) {
                Some(v) => [v[0], v[1]],
                None => return Err(self.truncated(pos, format!("element {}", name()), 8, pos)),
            };
            if !vr.iter().all(u8::is_ascii_uppercase) {
                return Err(Error::Malformed {
                    offset: pos as u64,
                    tag: name(),
                    message: "the value representation is not two upper-case letters",
                });
            }
            if has_long_length(vr) {
                (
                    Some(vr),
                    self.u32_at(pos + 8, pos, "an element length")?,
                    12,
                )
            } else {
                let length = read_u16(self.data, pos + 6)
                    .ok_or_else(|| self.truncated(pos, format!("element {}", name()), 8, pos))?;
                (Some(vr), u32::from(length), 8)
            }
        } else {
            (None, self.u32_at(pos + 4, pos, "an element length")?, 8)
        };
        let start = pos + header;
        if start > limit {
            return Err(self.truncated(pos, format!("element {}", name()), header, pos));
        }
        let element = |value| Element {
            tag,
            vr,
            offset: pos,
            value,
        };
        if length == UNDEFINED_LENGTH {
            return match vr.as_ref() {
                None | Some(b"SQ") | Some(b"UN") => {
                    // UN of undefined length is an implicit VR sequence (PS3.5 6.2.2).
                    let nested = explicit && vr != Some(*b"UN");
                    let (items, next) = self.sequence(start, None, nested, depth, pos)?;
                    Ok((element(Value::Items(items)), next))
                }
                _ => {
                    let next = self.skip_fragments(start, pos)?;
                    Ok((element(Value::Bytes(start..start)), next))
                }
            };
        }
        let end = start.saturating_add(length as usize);
        if end > limit {
            return Err(self.truncated(
                pos,
                format!("the value of element {}", name()),
                length as usize,
                start,
            ));
        }
        if vr == Some(*b"SQ") {
            let (items, _) = self.sequence(start, Some(end), explicit, depth, pos)?;
            return Ok((element(Value::Items(items)), end));
        }
        // Implicit VR, and explicit UN (a sequence converted from implicit VR keeps its
        // implicit encoding, PS3.5 6.2.2): a value starting with an item tag is a sequence.
        if (vr.is_none() || vr == Some(*b"UN"))
            && length >= 8
            && !is_bulk_data(tag)
            && self.tag_at(start).ok() == Some(ITEM)
        {
            // Values that do not parse as a sequence stay bytes.
            let saved = self.count;
            match self.sequence(start, Some(end), false, depth, pos) {
                Ok((items, _)) => return Ok((element(Value::Items(items)), end)),
                Err(e @ Error::LimitExceeded { .. }) => return Err(e),
                Err(_) => self.count = saved,
            }
        }
        Ok((element(Value::Bytes(start..end)), end))
    }

    /// The items of a sequence starting at `pos`, up to `end` or the sequence delimiter.
    fn sequence(
        &mut self,
        mut pos: usize,
        end: Option<usize>,
        explicit: bool,
        depth: usize,
        offset: usize,
    ) -> Result<(Vec<DataSet>, usize)> {
        if depth + 1 > MAX_DEPTH {
            return Err(Error::TooDeep {
                offset: offset as u64,
                limit: MAX_DEPTH,
            });
        }
        let limit = end.unwrap_or(self.data.len());
        let mut items = Vec::new();
        loop {
            if end.is_some() && pos >= limit {
                return Ok((items, pos));
            }
            let tag = self.tag_at(pos)?;
            let length = self.u32_at(pos + 4, pos, "an item length")?;
            match tag {
                SEQUENCE_END => {
                    if end.is_none() {
                        return Ok((items, pos + 8));
                    }
                    pos += 8;
                    continue;
                }
                ITEM => {}
                _ => {
                    return Err(Error::Malformed {
                        offset: pos as u64,
                        tag: Tag(tag),
                        message: "expected a sequence item (FFFE,E000)",
                    });
                }
            }
            self.count_one()?;
            let start = pos + 8;
            let (item, next) = if length == UNDEFINED_LENGTH {
                self.dataset(start, None, explicit, depth + 1)?
            } else {
                let item_end = start.saturating_add(length as usize);
                if item_end > limit {
                    return Err(self.truncated(
                        pos,
                        "a sequence item".into(),
                        length as usize,
                        start,
                    ));
                }
                let (item, _) = self.dataset(start, Some(item_end), explicit, depth + 1)?;
                (item, item_end)
            };
            items.push(item);
            pos = next;
        }
    }

    /// Skips the fragments of an encapsulated (undefined-length OB/OW) value.
    fn skip_fragments(&mut self, mut pos: usize, offset: usize) -> Result<usize> {
        loop {
            let tag = self.tag_at(pos)?;
            let length = self.u32_at(pos + 4, pos, "a fragment length")?;
            match tag {
                SEQUENCE_END => return Ok(pos + 8),
                ITEM if length != UNDEFINED_LENGTH => {
                    self.count_one()?;
                    let next = (pos + 8).saturating_add(length as usize);
                    if next > self.data.len() {
                        return Err(self.truncated(
                            pos,
                            "an encapsulated fragment".into(),
                            length as usize,
                            pos + 8,
                        ));
                    }
                    pos = next;
                }
                _ => {
                    return Err(Error::Malformed {
                        offset: offset as u64,
                        tag: Tag(tag),
                        message: "an undefined-length value that is neither a sequence nor encapsulated fragments",
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit(tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        out.extend_from_slice(&(tag as u16).to_le_bytes());
        out.extend_from_slice(vr);
        if has_long_length(*vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
        out
    }

    fn implicit(tag: u32, length: u32, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        out.extend_from_slice(&(tag as u16).to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(value);
        out
    }

    #[test]
    fn explicit_sequences_of_both_lengths() {
        let inner = explicit(0x0008_0100, b"SH", b"2:1 ");
        let mut item = implicit(ITEM, inner.len() as u32, &inner);
        item.extend(implicit(ITEM, UNDEFINED_LENGTH, &inner));
        item.extend(implicit(ITEM_END, 0, &[]));
        let mut data = explicit(0x003A_0208, b"SQ", &item);
        data.extend(explicit(0x003A_0210, b"DS", b"0.5 "));
        let set = read_dataset(&data, 0, true, None).unwrap();
        assert_eq!(set.elements.len(), 2);
        let items = set.items(tags::CHANNEL_SOURCE);
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].elements[0].tag, 0x0008_0100);
    }

    #[test]
    fn implicit_sequences_are_recognised_by_their_item_tag() {
        let inner = implicit(0x0008_0100, 4, b"2:1 ");
        let item = implicit(ITEM, inner.len() as u32, &inner);
        let mut data = implicit(0x003A_0208, item.len() as u32, &item);
        data.extend(implicit(0x5400_0100, UNDEFINED_LENGTH, &[]));
        data.extend(implicit(ITEM, UNDEFINED_LENGTH, &inner));
        data.extend(implicit(ITEM_END, 0, &[]));
        data.extend(implicit(SEQUENCE_END, 0, &[]));
        data.extend(implicit(0x5400_1010, 2, &[1, 2]));
        let set = read_dataset(&data, 0, false, None).unwrap();
        assert_eq!(set.items(tags::CHANNEL_SOURCE).len(), 1);
        assert_eq!(set.items(tags::WAVEFORMS).len(), 1);
        assert!(matches!(
            set.get(tags::WAVEFORM_DATA).unwrap().value,
            Value::Bytes(_)
        ));
    }

    #[test]
    fn implicit_waveform_data_that_looks_like_an_item_stays_bytes() {
        // Two SS samples -2, -8192 are FE FF 00 E0, then a length of 0: an empty item.
        let mut samples = Vec::new();
        for v in [-2i16, -8192, 0, 0] {
            samples.extend_from_slice(&v.to_le_bytes());
        }
        let data = implicit(0x5400_1010, samples.len() as u32, &samples);
        let set = read_dataset(&data, 0, false, None).unwrap();
        assert!(matches!(
            &set.get(tags::WAVEFORM_DATA).unwrap().value,
            Value::Bytes(r) if r.len() == 8
        ));
        // The same bytes under another tag parse as a sequence with one empty item.
        let data = implicit(0x003A_0208, samples.len() as u32, &samples);
        let set = read_dataset(&data, 0, false, None).unwrap();
        assert_eq!(set.items(tags::CHANNEL_SOURCE).len(), 1);
    }

    #[test]
    fn explicit_un_sequences_are_read_in_implicit_vr() {
        let inner = implicit(0x0008_0100, 4, b"2:1 ");
        let item = implicit(ITEM, inner.len() as u32, &inner);
        let mut data = explicit(0x003A_0208, b"UN", &item);
        data.extend(explicit(0x003A_0210, b"DS", b"0.5 "));
        let set = read_dataset(&data, 0, true, None).unwrap();
        let items = set.items(tags::CHANNEL_SOURCE);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].elements[0].tag, 0x0008_0100);
        assert!(matches!(
            &set.get(tags::SENSITIVITY).unwrap().value,
            Value::Bytes(r) if r.len() == 4
        ));
    }

    #[test]
    fn broken_input_gives_typed_errors() {
        let data = explicit(0x0008_0100, b"SH", b"abcd");
        assert!(matches!(
            read_dataset(&data[..data.len() - 1], 0, true, None),
            Err(Error::Truncated { .. })
        ));
        let mut bad_vr = data.clone();
        bad_vr[4] = b'x';
        assert!(matches!(
            read_dataset(&bad_vr, 0, true, None),
            Err(Error::Malformed { .. })
        ));
        // Sequences nested beyond the limit.
        let mut nested = Vec::new();
        for _ in 0..MAX_DEPTH + 2 {
            nested.extend(implicit(0x0040_A043, UNDEFINED_LENGTH, &[]));
            nested.extend(implicit(ITEM, UNDEFINED_LENGTH, &[]));
        }
        assert!(matches!(
            read_dataset(&nested, 0, false, None),
            Err(Error::TooDeep { .. })
        ));
    }
}
