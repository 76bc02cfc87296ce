//! Section 2: Huffman tables (EN 1064 clause 5.5 and annex C), and the bit-level decoder
//! of sections 5 and 6.
//!
//! A table is a list of code structures: prefix length, total length, table mode switch,
//! base value and base code. The base code is stored with the first transmitted bit in
//! its least significant bit. A code whose total length exceeds its prefix length is
//! followed by `total - prefix` bits holding a two's complement value that is added to the
//! base value (the default table's escapes have base value 0, so the bits are the value).
//! A code with table mode switch 0 produces no value: it switches to the table whose
//! 1-based number is its base value. Each lead starts in table 1.

use crate::error::{Error, Result};
use crate::structure::SectionRef;

/// The section 2 marker for "use the default table of annex C".
pub const DEFAULT_TABLE_MARKER: u16 = 19999;

/// One code structure of a Huffman table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HuffmanCode {
    /// Bits of the prefix (the code proper), 1..=32.
    pub prefix_bits: u8,
    /// Bits of the prefix plus the value bits that follow it.
    pub total_bits: u8,
    /// True for a table switch (table mode switch byte 0).
    pub switch: bool,
    /// Value (or, for a switch, the 1-based number of the table to switch to).
    pub base_value: i16,
    /// The prefix, first transmitted bit most significant (i.e. as written on paper).
    pub code: u32,
}

impl HuffmanCode {
    /// A data code.
    pub const fn value(prefix_bits: u8, total_bits: u8, base_value: i16, code: u32) -> Self {
        HuffmanCode {
            prefix_bits,
            total_bits,
            switch: false,
            base_value,
            code,
        }
    }

    /// The base code as section 2 stores it (first transmitted bit in bit 0).
    pub fn stored_code(&self) -> u32 {
        reverse_bits(self.code, self.prefix_bits)
    }
}

/// Reverses the low `n` bits of `v`.
fn reverse_bits(v: u32, n: u8) -> u32 {
    if n == 0 {
        return 0;
    }
    v.reverse_bits() >> (32 - n as u32)
}

/// The default table of EN 1064 annex C: 0 is `0`; ±1..=±8 are that many ones, a zero and
/// a sign bit; `1111111110` + 8 bits and `1111111111` + 16 bits carry any other value.
pub fn default_table_codes() -> Vec<HuffmanCode> {
    let mut codes = vec![HuffmanCode::value(1, 1, 0, 0)];
    for m in 1..=8u8 {
        let ones = (1u32 << m) - 1;
        codes.push(HuffmanCode::value(m + 2, m + 2, m as i16, ones << 2));
        codes.push(HuffmanCode::value(
            m + 2,
            m + 2,
            -(m as i16),
            (ones << 2) | 1,
        ));
    }
    codes.push(HuffmanCode::value(10, 18, 0, 0b11_1111_1110));
    codes.push(HuffmanCode::value(10, 26, 0, 0b11_1111_1111));
    codes
}

/// Most bits looked up at once; longer codes are found in a binary trie.
const LUT_BITS: u8 = 12;
/// Lookup entries pack what decoding needs: base value (bits 0..16), prefix length
/// (16..22), value bits after the prefix (22..28) and the kind (28..32).
const KIND_VALUE: u32 = 1;
/// A value with bits after the prefix.
const KIND_EXTRA: u32 = 2;
/// A table switch (the base value is the table number).
const KIND_SWITCH: u32 = 3;
/// Lookup entry for "the code is longer than the lookup" (found in the trie).
const LONG: u32 = 4 << 28;

/// The lookup entry of a code.
fn pack(c: &HuffmanCode) -> u32 {
    let kind = if c.switch {
        KIND_SWITCH
    } else if c.total_bits > c.prefix_bits {
        KIND_EXTRA
    } else {
        KIND_VALUE
    };
    (kind << 28)
        | (((c.total_bits - c.prefix_bits) as u32 & 63) << 22)
        | ((c.prefix_bits as u32 & 63) << 16)
        | (c.base_value as u16 as u32)
}
/// Trie child marking a leaf (code index in the low bits).
const LEAF: u32 = 1 << 31;

/// One decoding table.
#[derive(Clone, Debug)]
pub(crate) struct HuffmanTable {
    codes: Vec<HuffmanCode>,
    /// Indexed by the next `lut_bits` bits: 0 = no code, `LONG`, else the packed code.
    lut: Vec<u32>,
    lut_bits: u8,
    /// Binary trie of the codes longer than `lut_bits`, over their whole prefix: node
    /// `n` has children `trie[n][0]` and `trie[n][1]` (0 = none, `LEAF | i` = code `i`,
    /// else a node index). Node 0 is the root.
    trie: Vec<[u32; 2]>,
    /// Same index as `lut`: up to three plain values (no value bits, no switch) that the
    /// `lut_bits` bits hold one after the other: values in bits 0..48 (16 each), bits
    /// they take in 48..54, how many in 56..58. Empty when not built (memory budget).
    multi: Vec<u64>,
}

impl HuffmanTable {
    /// Builds a table, checking that the codes are prefix-free. The lookup covers at most
    /// 12 bits and no more than 4 bits beyond what the number of codes needs, so its size
    /// stays proportional to the section's bytes.
    fn new(codes: Vec<HuffmanCode>) -> std::result::Result<Self, String> {
        let needed = (usize::BITS - codes.len().leading_zeros()) as u8 + 4;
        Self::with_lookup(codes, needed)
    }

    /// Builds a table whose lookup covers at most `lookup_bits` (and 12) bits.
    fn with_lookup(codes: Vec<HuffmanCode>, lookup_bits: u8) -> std::result::Result<Self, String> {
        let max_prefix = codes.iter().map(|c| c.prefix_bits).max().unwrap_or(1);
        let lut_bits = max_prefix.min(LUT_BITS).min(lookup_bits).max(1);
        let mut lut = vec![0u32; 1 << lut_bits];
        let mut trie: Vec<[u32; 2]> = vec![[0, 0]];
        for (i, c) in codes.iter().enumerate() {
            if c.prefix_bits > lut_bits {
                let slot = (c.code >> (c.prefix_bits - lut_bits)) as usize;
                if lut[slot] != 0 && lut[slot] != LONG {
                    return Err(format!("code {i} has a shorter code as a prefix"));
                }
                lut[slot] = LONG;
                let mut node = 0usize;
                for b in (0..c.prefix_bits).rev() {
                    let bit = ((c.code >> b) & 1) as usize;
                    let child = trie[node][bit];
                    if b == 0 {
                        if child != 0 {
                            return Err(format!(
                                "code {i} is a prefix of, or equal to, another code"
                            ));
                        }
                        trie[node][bit] = LEAF | i as u32;
                    } else if child == 0 {
                        trie.push([0, 0]);
                        let next = (trie.len() - 1) as u32;
                        trie[node][bit] = next;
                        node = next as usize;
                    } else if child & LEAF != 0 {
                        return Err(format!("code {i} has code {} as a prefix", child & !LEAF));
                    } else {
                        node = child as usize;
                    }
                }
            } else {
                let shift = lut_bits - c.prefix_bits;
                let first = (c.code as usize) << shift;
                let slots = first..first + (1usize << shift);
                if let Some(&taken) = lut[slots.clone()].iter().find(|&&s| s != 0) {
                    let other = if taken == LONG {
                        "a longer code"
                    } else {
                        "another code"
                    };
                    return Err(format!("code {i} is a prefix of, or equal to, {other}"));
                }
                lut[slots].fill(pack(c));
            }
        }
        Ok(HuffmanTable {
            codes,
            lut,
            lut_bits,
            trie,
            multi: Vec::new(),
        })
    }

    /// Builds the multi-value lookup.
    fn build_multi(&mut self) {
        let bits = self.lut_bits as u32;
        let mask = (1u32 << bits) - 1;
        self.multi = (0..1u32 << bits)
            .map(|index| {
                let mut used = 0u32;
                let mut packed = 0u64;
                let mut n = 0u64;
                while n < 3 {
                    let e = self.lut[((index << used) & mask) as usize];
                    let prefix = (e >> 16) & 63;
                    if e >> 28 != KIND_VALUE || used + prefix > bits {
                        break;
                    }
                    packed |= ((e & 0xFFFF) as u64) << (16 * n);
                    used += prefix;
                    n += 1;
                }
                packed | ((used as u64) << 48) | (n << 56)
            })
            .collect();
    }

    /// The long code starting with `bits` (32 bits, first bit most significant).
    fn long_code(&self, bits: u32) -> Option<&HuffmanCode> {
        let mut node = 0usize;
        for b in (0..32).rev() {
            let child = self.trie[node][((bits >> b) & 1) as usize];
            if child == 0 {
                return None;
            }
            if child & LEAF != 0 {
                return self.codes.get((child & !LEAF) as usize);
            }
            node = child as usize;
        }
        None
    }
}

/// The Huffman tables of a record.
#[derive(Clone, Debug)]
pub(crate) struct HuffmanTables {
    tables: Vec<HuffmanTable>,
    /// True when section 2 asked for the default table.
    pub is_default: bool,
}

impl HuffmanTables {
    /// The default table alone.
    pub(crate) fn default_tables() -> Self {
        HuffmanTables {
            // The default codes are prefix-free by construction (unit-tested); the
            // fallback, an empty table, cannot happen.
            tables: vec![{
                let mut t =
                    HuffmanTable::with_lookup(default_table_codes(), 10).unwrap_or(HuffmanTable {
                        codes: Vec::new(),
                        lut: vec![0, 0],
                        lut_bits: 1,
                        trie: vec![[0, 0]],
                        multi: Vec::new(),
                    });
                t.build_multi();
                t
            }],
            is_default: true,
        }
    }
}

/// Parses section 2.
pub(crate) fn parse_huffman_tables(section: &SectionRef<'_>) -> Result<HuffmanTables> {
    let mut f = section.fields();
    let n = f.u16("number of Huffman tables")?;
    if n == DEFAULT_TABLE_MARKER {
        return Ok(HuffmanTables::default_tables());
    }
    if n == 0 {
        return Err(f.invalid(
            "at least one Huffman table (or 19999 for the default table), found 0".into(),
        ));
    }
    let mut tables = Vec::with_capacity(n.min(256) as usize);
    for t in 1..=n {
        let table_at = f.offset();
        let count = f.u16("number of code structures")?;
        if count == 0 {
            return Err(f.invalid(format!("table {t}: at least one code structure, found 0")));
        }
        if count as usize * 9 > f.remaining() {
            return Err(f.short(
                &format!("table {t}: {count} code structures"),
                count as usize * 9,
            ));
        }
        let mut codes = Vec::with_capacity(count as usize);
        for k in 1..=count {
            let at = f.offset();
            let prefix = f.u8("number of bits in prefix")?;
            let total = f.u8("number of bits in entire code")?;
            let mode = f.u8("table mode switch")?;
            let base = f.i16("base value")?;
            let stored = f.u32("base code")?;
            let bad = |what: String| Error::Malformed {
                section: 2,
                offset: at,
                expected: format!("table {t}, code structure {k}: {what}"),
            };
            if !(1..=32).contains(&prefix) {
                return Err(bad(format!("a prefix of 1..=32 bits, found {prefix}")));
            }
            if total < prefix || total - prefix > 32 {
                return Err(bad(format!(
                    "an entire code of {prefix}..={} bits, found {total}",
                    prefix as u32 + 32
                )));
            }
            let switch = mode == 0;
            if switch && !(1..=n as i32).contains(&(base as i32)) {
                return Err(bad(format!(
                    "a table switch to a table 1..={n}, found table {base}"
                )));
            }
            if switch && total != prefix {
                return Err(bad("no value bits after a table switch".into()));
            }
            let code = reverse_bits(stored, prefix);
            codes.push(HuffmanCode {
                prefix_bits: prefix,
                total_bits: total,
                switch,
                base_value: base,
                code,
            });
        }
        let table = HuffmanTable::new(codes).map_err(|what| Error::Malformed {
            section: 2,
            offset: table_at,
            expected: format!("a prefix-free Huffman table {t}: {what}"),
        })?;
        tables.push(table);
    }
    // Multi-value lookups for the first tables, within 1 Mi entries (8 MiB) in all.
    let mut budget = 1usize << 20;
    for t in &mut tables {
        let size = t.lut.len();
        if size <= budget {
            t.build_multi();
            budget -= size;
        }
    }
    Ok(HuffmanTables {
        tables,
        is_default: false,
    })
}

/// Reads bits most significant first.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Pending bits, left-aligned.
    buf: u64,
    nbits: u32,
    consumed: u64,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            buf: 0,
            nbits: 0,
            consumed: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        if self.nbits <= 32
            && let Some(b) = self.data.get(self.pos..self.pos + 4)
        {
            let v = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64;
            self.buf |= v << (32 - self.nbits);
            self.nbits += 32;
            self.pos += 4;
            return;
        }
        while self.nbits <= 56 && self.pos < self.data.len() {
            self.buf |= (self.data[self.pos] as u64) << (56 - self.nbits);
            self.nbits += 8;
            self.pos += 1;
        }
    }

    /// The next `n` (1..=32) bits, zero-padded past the end.
    #[inline]
    fn peek(&self, n: u8) -> u32 {
        (self.buf >> (64 - n as u32)) as u32
    }

    #[inline]
    fn consume(&mut self, n: u8) {
        self.buf <<= n as u32;
        self.nbits -= n as u32;
        self.consumed += n as u64;
    }
}

/// Why a lead's bit stream could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamError {
    /// Bit position of the problem.
    pub bit: u64,
    /// What went wrong.
    pub what: String,
    /// Values decoded before it.
    pub decoded: usize,
}

/// Decodes `count` values of one lead into `out` (appending).
pub(crate) fn decode_lead(
    tables: &HuffmanTables,
    data: &[u8],
    count: usize,
    out: &mut Vec<i32>,
) -> std::result::Result<(), StreamError> {
    // Decode into a local buffer (its length stays in a register), then append.
    let mut buf = vec![0i32; count];
    let result = if tables.is_default {
        decode_default_into(&tables.tables[0], data, &mut buf)
    } else {
        decode_into(tables, data, &mut buf)
    };
    let n = match &result {
        Ok(()) => count,
        Err(e) => e.decoded,
    };
    out.extend_from_slice(&buf[..n]);
    result
}

/// [`decode_into`] for the default table, whose codes are unary: `m` ones, a zero and a
/// sign bit code ±m (m = 1..=8), a lone zero codes 0, nine ones and a zero escape an
/// 8-bit value, ten ones a 16-bit value. Counting the leading ones decodes escapes
/// without a table lookup; runs of short codes go through the multi-value lookup.
fn decode_default_into(
    table: &HuffmanTable,
    data: &[u8],
    buf: &mut [i32],
) -> std::result::Result<(), StreamError> {
    let count = buf.len();
    let mut r = BitReader::new(data);
    let err = |r: &BitReader, n: usize, what: &str| StreamError {
        bit: r.consumed,
        what: format!("{what} after {n} of {count} values"),
        decoded: n,
    };
    let (lut_bits, multi) = (table.lut_bits, &table.multi[..]);
    let mut n = 0;
    while n < buf.len() {
        if r.nbits < 32 {
            r.refill();
            if r.nbits == 0 {
                return Err(err(&r, n, "the data end"));
            }
        }
        let ones = (!r.buf).leading_zeros();
        if ones >= 9 {
            let (prefix, extra) = if ones == 9 { (10, 8) } else { (10, 16) };
            let total = prefix + extra;
            if total > r.nbits {
                let what = if prefix > r.nbits {
                    "the data end inside a code"
                } else {
                    "the data end inside an escaped value"
                };
                return Err(err(&r, n, what));
            }
            let raw = ((r.buf << prefix) >> (64 - extra)) as i64;
            r.consume(total as u8);
            buf[n] = ((raw << (64 - extra)) >> (64 - extra)) as i32;
            n += 1;
            continue;
        }
        if n + 3 <= buf.len()
            && let Some(&m) = multi.get(r.peek(lut_bits) as usize)
        {
            let used = ((m >> 48) & 63) as u32;
            if m >> 56 != 0 && used <= r.nbits {
                buf[n] = m as u16 as i16 as i32;
                buf[n + 1] = (m >> 16) as u16 as i16 as i32;
                buf[n + 2] = (m >> 32) as u16 as i16 as i32;
                n += (m >> 56) as usize;
                r.consume(used as u8);
                continue;
            }
        }
        // One short code: 0, or `ones` ones, a zero and a sign bit.
        let len = if ones == 0 { 1 } else { ones + 2 };
        if len > r.nbits {
            return Err(err(&r, n, "the data end inside a code"));
        }
        let sign = (r.buf >> (64 - len)) & 1;
        r.consume(len as u8);
        buf[n] = if ones == 0 {
            0
        } else if sign == 1 {
            -(ones as i32)
        } else {
            ones as i32
        };
        n += 1;
    }
    Ok(())
}

/// Fills `buf` with decoded values; on error, `decoded` says how many are valid.
fn decode_into(
    tables: &HuffmanTables,
    data: &[u8],
    buf: &mut [i32],
) -> std::result::Result<(), StreamError> {
    let count = buf.len();
    let mut r = BitReader::new(data);
    let mut table = &tables.tables[0];
    let err = |r: &BitReader, n: usize, what: &str| StreamError {
        bit: r.consumed,
        what: format!("{what} after {n} of {count} values"),
        decoded: n,
    };
    // The current table's lookups in locals (registers), changed only by switches.
    let (mut lut, mut lut_bits, mut multi) = (&table.lut[..], table.lut_bits, &table.multi[..]);
    let mut n = 0;
    while n < buf.len() {
        if r.nbits < 32 {
            r.refill();
            if r.nbits == 0 {
                return Err(err(&r, n, "the data end"));
            }
        }
        let index = r.peek(lut_bits) as usize;
        let mut e = lut.get(index).copied().unwrap_or(0);
        // Runs of short plain codes: up to three values per lookup.
        if e >> 28 == KIND_VALUE
            && n + 3 <= buf.len()
            && let Some(&m) = multi.get(index)
        {
            let used = ((m >> 48) & 63) as u32;
            if used <= r.nbits {
                buf[n] = m as u16 as i16 as i32;
                buf[n + 1] = (m >> 16) as u16 as i16 as i32;
                buf[n + 2] = (m >> 32) as u16 as i16 as i32;
                n += (m >> 56) as usize;
                r.consume(used as u8);
                continue;
            }
        }
        if e == LONG {
            match table.long_code(r.peek(32)) {
                Some(c) => e = pack(c),
                None => return Err(err(&r, n, "no Huffman code matches the bits")),
            }
        }
        let kind = e >> 28;
        if kind == 0 {
            return Err(err(&r, n, "no Huffman code matches the bits"));
        }
        let prefix = (e >> 16) & 63;
        let base = e as u16 as i16;
        if kind == KIND_EXTRA {
            let extra = (e >> 22) & 63;
            let total = prefix + extra;
            if total > r.nbits {
                r.refill();
            }
            if total > r.nbits {
                let what = if prefix > r.nbits {
                    "the data end inside a code"
                } else {
                    "the data end inside an escaped value"
                };
                return Err(err(&r, n, what));
            }
            let value = if total <= 56 {
                // Prefix and value bits at once; sign-extend the value bits.
                let raw = ((r.buf << prefix) >> (64 - extra)) as i64;
                r.consume(total as u8);
                (raw << (64 - extra)) >> (64 - extra)
            } else {
                r.consume(prefix as u8);
                let raw = r.peek(extra as u8) as i64;
                r.consume(extra as u8);
                (raw << (64 - extra)) >> (64 - extra)
            };
            buf[n] = (base as i32).wrapping_add(value as i32);
            n += 1;
            continue;
        }
        if prefix > r.nbits {
            return Err(err(&r, n, "the data end inside a code"));
        }
        r.consume(prefix as u8);
        if kind == KIND_SWITCH {
            // Validated at parse time: 1..=number of tables.
            let next = (base as usize).saturating_sub(1);
            table = &tables.tables[next.min(tables.tables.len() - 1)];
            (lut, lut_bits, multi) = (&table.lut[..], table.lut_bits, &table.multi[..]);
        } else {
            buf[n] = base as i32;
            n += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| *b == b'0' || *b == b'1').collect();
        s.chunks(8)
            .map(|c| {
                let mut b = 0u8;
                for (i, &x) in c.iter().enumerate() {
                    if x == b'1' {
                        b |= 0x80 >> i;
                    }
                }
                b
            })
            .collect()
    }

    #[test]
    fn default_table_codes_match_annex_c() {
        assert!(HuffmanTable::new(default_table_codes()).is_ok());
        let t = HuffmanTables::default_tables();
        assert_eq!(t.tables[0].codes.len(), 19);
        assert_eq!(t.tables[0].lut_bits, 10);
        // 0, +1, -1, +2, -8, 8-bit escape (-100), 16-bit escape (1000)
        let data =
            bits("0 100 101 1100 1111111101 1111111110 10011100 1111111111 0000001111101000");
        let mut out = Vec::new();
        decode_lead(&t, &data, 7, &mut out).unwrap();
        assert_eq!(out, vec![0, 1, -1, 2, -8, -100, 1000]);
        // Stored base codes: +1 = '100' is stored as 1, -1 = '101' as 5, +2 = '1100' as 3.
        let codes = default_table_codes();
        assert_eq!(codes[1].stored_code(), 1);
        assert_eq!(codes[2].stored_code(), 5);
        assert_eq!(codes[3].stored_code(), 3);
        assert_eq!(codes[17].stored_code(), 511);
        assert_eq!(codes[18].stored_code(), 1023);
    }

    #[test]
    fn stream_errors_say_where() {
        let t = HuffmanTables::default_tables();
        let mut out = Vec::new();
        let e = decode_lead(&t, &bits("100 100 11"), 4, &mut out).unwrap_err();
        assert_eq!((e.decoded, e.bit), (2, 6), "{e:?}");
        assert!(e.what.contains("inside a code"), "{e:?}");
        let mut out = Vec::new();
        // The padding bit decodes as a fourth value (0); the fifth is missing.
        let e = decode_lead(&t, &bits("100 100 0"), 5, &mut out).unwrap_err();
        assert_eq!(e.decoded, 4, "{e:?}");
        assert!(e.what.contains("end after 4 of 5"), "{e:?}");
        let mut out = Vec::new();
        let e = decode_lead(&t, &bits("11111111 11"), 1, &mut out).unwrap_err();
        assert!(e.what.contains("escaped value"), "{e:?}");
    }

    proptest::proptest! {
        /// The default table's unary fast path decodes exactly like the lookup tables,
        /// errors included.
        #[test]
        fn default_fast_path_equals_lookup(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            count in 0usize..400,
        ) {
            let t = HuffmanTables::default_tables();
            let mut a = vec![0; count];
            let mut b = vec![0; count];
            let ra = decode_default_into(&t.tables[0], &data, &mut a);
            let rb = decode_into(&t, &data, &mut b);
            proptest::prop_assert_eq!(&ra, &rb);
            let valid = ra.as_ref().err().map(|e| e.decoded).unwrap_or(count);
            proptest::prop_assert_eq!(&a[..valid], &b[..valid]);
        }
    }

    #[test]
    fn prefix_conflicts_are_rejected() {
        let a = HuffmanCode::value(1, 1, 0, 0);
        let b = HuffmanCode::value(2, 2, 1, 0b01);
        assert!(HuffmanTable::new(vec![a, b]).is_err());
        let long1 = HuffmanCode::value(14, 14, 1, 0b11_1111_1111_1110);
        let long2 = HuffmanCode::value(15, 15, 2, 0b111_1111_1111_1100);
        assert!(HuffmanTable::new(vec![long1, long2]).is_err());
        let long3 = HuffmanCode::value(15, 15, 2, 0b111_1111_1111_1111);
        let t = HuffmanTable::new(vec![a, long1, long3]).unwrap();
        assert_eq!(t.lut_bits, 6);
        assert_eq!(t.long_code(0b11_1111_1111_1110 << 18), Some(&long1));
        assert_eq!(t.long_code(0b111_1111_1111_1111 << 17), Some(&long3));
        assert_eq!(t.long_code(0b11_1111_1111_0000 << 18), None);
        // A 1-code table gets a small lookup.
        let t = HuffmanTable::new(vec![HuffmanCode::value(12, 12, 5, 7)]).unwrap();
        assert_eq!(t.lut.len(), 1 << 5);
    }
}
