//! Sections 5 (reference beat type 0) and 6 (rhythm data) share one layout (EN 1064
//! clauses 5.8 and 5.9): amplitude value multiplier (nV), sample time interval (us),
//! difference encoding, a byte that is the bimodal compression flag in section 6 of
//! versions before 3.0 (reserved otherwise), the byte count of every lead, then the lead
//! data one lead after the other, Huffman-coded when section 2 exists and 16-bit
//! little-endian integers otherwise.

use crate::error::{Error, Result};
use crate::huffman::{HuffmanTables, decode_lead};
use crate::structure::SectionRef;

/// The header and per-lead data of section 5 or 6.
#[derive(Clone, Debug)]
pub(crate) struct EncodedLeads<'a> {
    /// 5 or 6.
    pub section: u16,
    /// Amplitude value multiplier in nanovolts per unit.
    pub avm_nv: u16,
    /// Sample time interval in microseconds.
    pub interval_us: u16,
    /// 0 = values, 1 = first differences, 2 = second differences.
    pub difference: u8,
    /// Byte 6: bimodal compression flag (section 6 before version 3.0).
    pub byte6: u8,
    /// File offset and bytes of each lead's data.
    pub leads: Vec<(usize, &'a [u8])>,
}

/// Parses the header and slices the lead data of section 5 or 6 for `nleads` leads.
pub(crate) fn parse_encoded_leads<'a>(
    section: &SectionRef<'a>,
    nleads: usize,
    warnings: &mut Vec<String>,
) -> Result<EncodedLeads<'a>> {
    let mut f = section.fields();
    let avm_nv = f.u16("amplitude value multiplier")?;
    let interval_us = f.u16("sample time interval")?;
    let diff_at = f.offset();
    let difference = f.u8("difference data used")?;
    let byte6 = f.u8("bimodal compression / reserved byte")?;
    if difference > 2 {
        return Err(Error::Malformed {
            section: section.id,
            offset: diff_at,
            expected: format!("difference encoding 0, 1 or 2, found {difference}"),
        });
    }
    let mut lengths = Vec::with_capacity(nleads);
    for _ in 0..nleads {
        lengths.push(f.u16("number of bytes of a lead")? as usize);
    }
    let mut leads = Vec::with_capacity(nleads);
    for (k, &len) in lengths.iter().enumerate() {
        let at = f.offset();
        let bytes = f.bytes(len, &format!("the {len} bytes of lead {}", k + 1))?;
        leads.push((at, bytes));
    }
    if f.remaining() > 1 {
        warnings.push(format!(
            "section {}: {} bytes after the last lead's data are ignored",
            section.id,
            f.remaining()
        ));
    }
    Ok(EncodedLeads {
        section: section.id,
        avm_nv,
        interval_us,
        difference,
        byte6,
        leads,
    })
}

impl EncodedLeads<'_> {
    /// Decodes the stored values of lead `k` (0-based), before undoing differences.
    ///
    /// With Huffman tables exactly `count` values are decoded; a stream that ends early
    /// or holds an invalid code is an error when `strict`, otherwise the missing values
    /// are zeros (no change, once differences are undone) and a warning says so. Without
    /// tables the lead holds 16-bit integers; `count` is only a plausibility bound then.
    pub(crate) fn stored_values(
        &self,
        k: usize,
        tables: Option<&HuffmanTables>,
        count: usize,
        strict: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<i32>> {
        let (offset, data) = self.leads[k];
        let Some(tables) = tables else {
            if data.len() % 2 != 0 {
                warnings.push(format!(
                    "section {}, lead {}: odd byte count {}; the last byte is ignored",
                    self.section,
                    k + 1,
                    data.len()
                ));
            }
            return Ok(data
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as i32)
                .collect());
        };
        // Every code has at least one bit: more values than bits cannot be right, and
        // this bounds the allocation by the input size.
        let bits = data.len() as u64 * 8;
        if count as u64 > bits {
            return Err(Error::Huffman {
                section: self.section,
                lead: k + 1,
                offset,
                bit: 0,
                what: format!(
                    "{count} values cannot fit in {} bytes (at least one bit per value)",
                    data.len()
                ),
            });
        }
        let mut out = Vec::with_capacity(count);
        if let Err(e) = decode_lead(tables, data, count, &mut out) {
            if strict {
                return Err(Error::Huffman {
                    section: self.section,
                    lead: k + 1,
                    offset,
                    bit: e.bit,
                    what: e.what,
                });
            }
            warnings.push(format!(
                "section {}, lead {}: Huffman data (byte offset {offset}) unusable at bit {}: {}; \
                 the remaining {} values are set to 0",
                self.section,
                k + 1,
                e.bit,
                e.what,
                count - e.decoded
            ));
            out.resize(count, 0);
        }
        Ok(out)
    }
}

/// Undoes first (1) or second (2) difference encoding in place.
///
/// SCP-ECG samples are 16-bit: the running reconstruction wraps like the 16-bit
/// arithmetic of encoders (a jump that overflowed 16 bits when differenced comes back
/// exactly). Values without difference encoding are left as they are.
pub(crate) fn undo_differences(values: &mut [i32], mode: u8) {
    match mode {
        1 => {
            let mut prev: i16 = 0;
            for (i, v) in values.iter_mut().enumerate() {
                let x = if i == 0 {
                    *v as i16
                } else {
                    prev.wrapping_add(*v as i16)
                };
                *v = x as i32;
                prev = x;
            }
        }
        2 => {
            let (mut a, mut b): (i16, i16) = (0, 0); // x[n-2], x[n-1]
            for (i, v) in values.iter_mut().enumerate() {
                let x = if i < 2 {
                    *v as i16
                } else {
                    (*v as i16).wrapping_add(b.wrapping_mul(2)).wrapping_sub(a)
                };
                *v = x as i32;
                a = b;
                b = x;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_round_trip() {
        let x = [5, 7, 4, -3, 0, 32767, -32768, 12];
        let d1: Vec<i32> = (0..x.len())
            .map(|n| {
                if n == 0 {
                    x[0]
                } else {
                    (x[n] as i16).wrapping_sub(x[n - 1] as i16) as i32
                }
            })
            .collect();
        let mut v = d1.clone();
        undo_differences(&mut v, 1);
        assert_eq!(v, x);
        let d2: Vec<i32> = (0..x.len())
            .map(|n| {
                if n < 2 {
                    x[n]
                } else {
                    (x[n] as i16)
                        .wrapping_sub((x[n - 1] as i16).wrapping_mul(2))
                        .wrapping_add(x[n - 2] as i16) as i32
                }
            })
            .collect();
        let mut v = d2;
        undo_differences(&mut v, 2);
        assert_eq!(v, x);
    }
}
