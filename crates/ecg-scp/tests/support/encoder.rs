//! A small SCP-ECG writer for tests, written from EN 1064 (not from any other
//! implementation): sections 0, 1, 2 (default or custom Huffman tables with table
//! switching), 3, 4, 5, 6 (raw or Huffman, differences 0/1/2, bimodal compression,
//! reference beat subtraction), plus any extra section bytes (7, 8, 10, 11,
//! manufacturer-specific), for protocol versions 1.x, 2.x and 3.0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ecg_scp::{HuffmanCode, crc_ccitt, default_table_codes};

/// How lead data are coded.
#[derive(Clone, Debug)]
pub enum Coding {
    /// 16-bit little-endian integers, no section 2.
    Raw,
    /// Section 2 holds the marker 19999.
    DefaultHuffman,
    /// Section 2 holds these tables; every table must have a switch code to every
    /// other table it may need.
    Custom(Vec<Vec<HuffmanCode>>),
}

/// One QRS complex of section 4.
#[derive(Clone, Copy, Debug)]
pub struct Qrs {
    pub beat_type: u16,
    pub start: u32,
    pub fiducial: u32,
    pub end: u32,
    pub protected: (u32, u32),
}

/// Reference beat type 0 (section 5).
#[derive(Clone, Debug)]
pub struct Reference {
    /// One beat per lead.
    pub beats: Vec<Vec<i32>>,
    /// Fiducial point within the beat (1-based).
    pub fiducial: u16,
    /// Length in ms (section 4); beats must have `length_ms * 1000 / interval_us` samples.
    pub length_ms: u16,
    pub difference: u8,
    /// What section 5 stores instead of `beats` (its own AVM and values), to test
    /// different amplitude multipliers; `beats` (rhythm units) are still subtracted.
    pub section5: Option<(u16, Vec<Vec<i32>>)>,
}

/// Everything the writer puts in a record.
#[derive(Clone, Debug)]
pub struct ScpWriter {
    /// 13, 20, 30 ...
    pub protocol: u8,
    /// (lead code, first sample number, full-rate samples)
    pub leads: Vec<(u8, u32, Vec<i32>)>,
    /// Full-rate sample interval (us).
    pub interval_us: u16,
    pub avm_nv: u16,
    pub difference: u8,
    pub coding: Coding,
    pub reference: Option<Reference>,
    pub qrs: Vec<Qrs>,
    /// Set the section 3 flag and subtract the reference beat.
    pub subtract: bool,
    /// Bimodal decimation factor (None = no bimodal compression).
    pub bimodal: Option<u16>,
    /// Section 1 tags (without the terminator).
    pub tags: Vec<(u8, Vec<u8>)>,
    /// Extra sections: id and data part.
    pub extra: Vec<(u16, Vec<u8>)>,
    /// Write the section 6 byte 6 value as is (for v3 tests), overriding `bimodal`.
    pub byte6_override: Option<u8>,
}

impl ScpWriter {
    /// A plain writer: v2.0, 500 Hz, 5 uV per unit, default Huffman, second differences.
    pub fn new(leads: Vec<(u8, Vec<i32>)>) -> Self {
        ScpWriter {
            protocol: 20,
            leads: leads.into_iter().map(|(c, v)| (c, 1, v)).collect(),
            interval_us: 2000,
            avm_nv: 5000,
            difference: 2,
            coding: Coding::DefaultHuffman,
            reference: None,
            qrs: Vec::new(),
            subtract: false,
            bimodal: None,
            tags: vec![
                (0, b"Doe\0".to_vec()),
                (1, b"Jane\0".to_vec()),
                (2, b"TEST-1\0".to_vec()),
                (8, vec![2]),
                (25, vec![0xE8, 0x07, 2, 29]),
                (26, vec![13, 14, 15]),
            ],
            extra: Vec::new(),
            byte6_override: None,
        }
    }

    /// The record bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bodies: Vec<(u16, Vec<u8>)> = vec![(1, self.section1())];
        match &self.coding {
            Coding::Raw => {}
            Coding::DefaultHuffman => bodies.push((2, 19999u16.to_le_bytes().to_vec())),
            Coding::Custom(tables) => bodies.push((2, section2(tables))),
        }
        bodies.push((3, self.section3()));
        if !self.qrs.is_empty() || self.reference.is_some() {
            bodies.push((4, self.section4()));
        }
        if let Some(r) = &self.reference {
            bodies.push((5, self.section5(r)));
        }
        bodies.push((6, self.section6()));
        bodies.extend(self.extra.iter().cloned());
        bodies.sort_by_key(|b| b.0);
        assemble(self.protocol, &bodies)
    }

    fn section1(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for (t, v) in &self.tags {
            b.push(*t);
            b.extend_from_slice(&(v.len() as u16).to_le_bytes());
            b.extend_from_slice(v);
        }
        b.extend_from_slice(&[255, 0, 0]);
        b
    }

    fn section3(&self) -> Vec<u8> {
        let n = self.leads.len() as u8;
        let simultaneous = self.leads.iter().all(|l| l.1 == self.leads[0].1);
        let flags = (self.subtract as u8) | if simultaneous { 0x04 | (n << 3) } else { 0 };
        let mut b = vec![n, flags];
        for (code, start, v) in &self.leads {
            b.extend_from_slice(&start.to_le_bytes());
            b.extend_from_slice(&(start + v.len() as u32 - 1).to_le_bytes());
            b.push(*code);
        }
        b
    }

    fn section4(&self) -> Vec<u8> {
        let r = self.reference.as_ref();
        let mut b = Vec::new();
        b.extend_from_slice(&r.map(|r| r.length_ms).unwrap_or(0).to_le_bytes());
        b.extend_from_slice(&r.map(|r| r.fiducial).unwrap_or(0).to_le_bytes());
        b.extend_from_slice(&(self.qrs.len() as u16).to_le_bytes());
        for q in &self.qrs {
            b.extend_from_slice(&q.beat_type.to_le_bytes());
            b.extend_from_slice(&q.start.to_le_bytes());
            b.extend_from_slice(&q.fiducial.to_le_bytes());
            b.extend_from_slice(&q.end.to_le_bytes());
        }
        for q in &self.qrs {
            b.extend_from_slice(&q.protected.0.to_le_bytes());
            b.extend_from_slice(&q.protected.1.to_le_bytes());
        }
        b
    }

    fn section5(&self, r: &Reference) -> Vec<u8> {
        let (avm, beats) = match &r.section5 {
            Some((avm, beats)) => (*avm, beats),
            None => (self.avm_nv, &r.beats),
        };
        let coded: Vec<Vec<u8>> = beats
            .iter()
            .map(|beat| self.code(&differences(beat, r.difference)))
            .collect();
        lead_section(avm, self.interval_us, r.difference, 0, &coded)
    }

    fn section6(&self) -> Vec<u8> {
        let d = self.bimodal.unwrap_or(1) as usize;
        let coded: Vec<Vec<u8>> = self
            .leads
            .iter()
            .enumerate()
            .map(|(k, (_, start, x))| {
                let mut x = x.clone();
                if self.subtract {
                    let r = self.reference.as_ref().unwrap();
                    subtract_reference(&mut x, *start, &r.beats[k], r.fiducial, &self.qrs);
                }
                let stored = if self.bimodal.is_some() {
                    decimate(&x, *start, &self.qrs, d)
                } else {
                    x
                };
                self.code(&differences(&stored, self.difference))
            })
            .collect();
        let byte6 = self.byte6_override.unwrap_or(self.bimodal.is_some() as u8);
        lead_section(
            self.avm_nv,
            self.interval_us * d as u16,
            self.difference,
            byte6,
            &coded,
        )
    }

    fn code(&self, values: &[i32]) -> Vec<u8> {
        match &self.coding {
            Coding::Raw => values
                .iter()
                .flat_map(|&v| (v as i16).to_le_bytes())
                .collect(),
            Coding::DefaultHuffman => huffman_encode(&[default_table_codes()], values),
            Coding::Custom(tables) => huffman_encode(tables, values),
        }
    }
}

/// Sections 5 and 6 layout.
fn lead_section(avm: u16, interval: u16, diff: u8, byte6: u8, leads: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&avm.to_le_bytes());
    b.extend_from_slice(&interval.to_le_bytes());
    b.push(diff);
    b.push(byte6);
    for l in leads {
        b.extend_from_slice(&(l.len() as u16).to_le_bytes());
    }
    for l in leads {
        b.extend_from_slice(l);
    }
    b
}

/// Section 2 with custom tables.
pub fn section2(tables: &[Vec<HuffmanCode>]) -> Vec<u8> {
    let mut b = (tables.len() as u16).to_le_bytes().to_vec();
    for t in tables {
        b.extend_from_slice(&(t.len() as u16).to_le_bytes());
        for c in t {
            b.push(c.prefix_bits);
            b.push(c.total_bits);
            b.push(if c.switch { 0 } else { 1 });
            b.extend_from_slice(&c.base_value.to_le_bytes());
            b.extend_from_slice(&c.stored_code().to_le_bytes());
        }
    }
    b
}

/// Builds a record from section bodies (id order), with section 0 and all CRCs.
pub fn assemble(protocol: u8, bodies: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let max_std: u16 = if protocol >= 30 { 18 } else { 11 };
    let mut ids: Vec<u16> = (0..=max_std).collect();
    for (id, _) in bodies {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let s0_len = 16 + 10 * ids.len();
    let mut sections: Vec<(u16, Vec<u8>)> = Vec::new();
    for (id, body) in bodies {
        sections.push((*id, section(*id, protocol, body, [0; 6])));
    }
    let mut pointers = Vec::new();
    let mut index = 6 + s0_len + 1;
    for id in &ids {
        let (len, at) = if *id == 0 {
            (s0_len, 7)
        } else if let Some((_, s)) = sections.iter().find(|s| s.0 == *id) {
            let r = (s.len(), index);
            index += s.len();
            r
        } else {
            (0, 0)
        };
        pointers.extend_from_slice(&id.to_le_bytes());
        pointers.extend_from_slice(&(len as u32).to_le_bytes());
        pointers.extend_from_slice(&(at as u32).to_le_bytes());
    }
    let s0 = section(0, protocol, &pointers, *b"SCPECG");
    assert_eq!(s0.len(), s0_len);
    let mut rec = vec![0u8; 6];
    rec.extend_from_slice(&s0);
    for id in &ids[1..] {
        if let Some((_, s)) = sections.iter().find(|s| s.0 == *id) {
            rec.extend_from_slice(s);
        }
    }
    let total = rec.len() as u32;
    rec[2..6].copy_from_slice(&total.to_le_bytes());
    let crc = crc_ccitt(&rec[2..]);
    rec[0..2].copy_from_slice(&crc.to_le_bytes());
    rec
}

/// One section with header and CRC; the data part is padded to an even length.
pub fn section(id: u16, protocol: u8, body: &[u8], reserved: [u8; 6]) -> Vec<u8> {
    let mut body = body.to_vec();
    if !body.len().is_multiple_of(2) {
        body.push(0);
    }
    let len = 16 + body.len();
    let mut s = vec![0u8; 2];
    s.extend_from_slice(&id.to_le_bytes());
    s.extend_from_slice(&(len as u32).to_le_bytes());
    s.push(protocol);
    s.push(protocol);
    s.extend_from_slice(&reserved);
    s.extend_from_slice(&body);
    let crc = crc_ccitt(&s[2..]);
    s[0..2].copy_from_slice(&crc.to_le_bytes());
    s
}

/// Recomputes the record CRC and every section CRC of a record (after a test edited it).
pub fn fix_crcs(rec: &mut [u8]) {
    let s0_len = u32::from_le_bytes(rec[10..14].try_into().unwrap()) as usize;
    for p in (22..6 + s0_len).step_by(10) {
        let len = u32::from_le_bytes(rec[p + 2..p + 6].try_into().unwrap()) as usize;
        let idx = u32::from_le_bytes(rec[p + 6..p + 10].try_into().unwrap()) as usize;
        if len > 0 && idx > 0 {
            let o = idx - 1;
            let crc = crc_ccitt(&rec[o + 2..o + len]);
            rec[o..o + 2].copy_from_slice(&crc.to_le_bytes());
        }
    }
    let crc = crc_ccitt(&rec[2..]);
    rec[0..2].copy_from_slice(&crc.to_le_bytes());
}

/// File offset of section `id`'s header.
pub fn section_offset(rec: &[u8], id: u16) -> Option<usize> {
    let s0_len = u32::from_le_bytes(rec[10..14].try_into().unwrap()) as usize;
    (22..6 + s0_len).step_by(10).find_map(|p| {
        let sid = u16::from_le_bytes(rec[p..p + 2].try_into().unwrap());
        let len = u32::from_le_bytes(rec[p + 2..p + 6].try_into().unwrap());
        let idx = u32::from_le_bytes(rec[p + 6..p + 10].try_into().unwrap()) as usize;
        (sid == id && len > 0).then(|| idx - 1)
    })
}

/// First (1) or second (2) differences in 16-bit arithmetic.
pub fn differences(x: &[i32], mode: u8) -> Vec<i32> {
    let x16: Vec<i16> = x.iter().map(|&v| v as i16).collect();
    (0..x16.len())
        .map(|n| match mode {
            1 if n >= 1 => x16[n].wrapping_sub(x16[n - 1]) as i32,
            2 if n >= 2 => x16[n]
                .wrapping_sub(x16[n - 1].wrapping_mul(2))
                .wrapping_add(x16[n - 2]) as i32,
            0 => x[n],
            _ => x16[n] as i32,
        })
        .collect()
}

/// Subtracts the reference beat over the type-0 subtraction zones.
pub fn subtract_reference(x: &mut [i32], start: u32, beat: &[i32], fiducial: u16, qrs: &[Qrs]) {
    for q in qrs.iter().filter(|q| q.beat_type == 0) {
        for s in q.start..=q.end {
            let i = s as i64 - start as i64;
            let r = s as i64 - q.fiducial as i64 + fiducial as i64 - 1;
            if i >= 0 && r >= 0 && (i as usize) < x.len() && (r as usize) < beat.len() {
                x[i as usize] -= beat[r as usize];
            }
        }
    }
}

/// Protected areas of a lead as 0-based inclusive ranges, sorted and merged.
pub fn zones(qrs: &[Qrs], start: u32, n: usize) -> Vec<(usize, usize)> {
    let mut z: Vec<(usize, usize)> = qrs
        .iter()
        .filter_map(|q| {
            let a = (q.protected.0 as i64 - start as i64).max(0);
            let b = (q.protected.1 as i64 - start as i64).min(n as i64 - 1);
            (a <= b).then_some((a as usize, b as usize))
        })
        .collect();
    z.sort_unstable();
    let mut m: Vec<(usize, usize)> = Vec::new();
    for (a, b) in z {
        match m.last_mut() {
            Some(l) if a <= l.1 + 1 => l.1 = l.1.max(b),
            _ => m.push((a, b)),
        }
    }
    m
}

/// Bimodal decimation: protected samples as they are, elsewhere the mean of each block of
/// up to `d` samples (rounded half away from zero).
pub fn decimate(x: &[i32], start: u32, qrs: &[Qrs], d: usize) -> Vec<i32> {
    let z = zones(qrs, start, x.len());
    let mut out = Vec::new();
    let gap = |from: usize, to: usize, out: &mut Vec<i32>| {
        let mut b = from;
        while b < to {
            let len = d.min(to - b);
            let s: i64 = x[b..b + len].iter().map(|&v| v as i64).sum();
            let len = len as i64;
            let mean = if s >= 0 {
                (2 * s + len) / (2 * len)
            } else {
                -((-2 * s + len) / (2 * len))
            };
            out.push(mean as i32);
            b += len as usize;
        }
    };
    let mut i = 0;
    for &(a, b) in &z {
        gap(i, a, &mut out);
        out.extend_from_slice(&x[a..=b]);
        i = b + 1;
    }
    gap(i, x.len(), &mut out);
    out
}

/// MSB-first bit writer.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, v: u64, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((v >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }
}

/// How table `t` can code `v`: the code and its value bits.
fn find(table: &[HuffmanCode], v: i32) -> Option<(HuffmanCode, Option<u64>)> {
    if let Some(c) = table
        .iter()
        .find(|c| !c.switch && c.total_bits == c.prefix_bits && c.base_value as i32 == v)
    {
        return Some((*c, None));
    }
    let mut escapes: Vec<&HuffmanCode> = table
        .iter()
        .filter(|c| !c.switch && c.total_bits > c.prefix_bits)
        .collect();
    escapes.sort_by_key(|c| c.total_bits);
    escapes.into_iter().find_map(|c| {
        let extra = (c.total_bits - c.prefix_bits) as u32;
        let raw = v as i64 - c.base_value as i64;
        let lo = -(1i64 << (extra - 1));
        let hi = (1i64 << (extra - 1)) - 1;
        (lo..=hi)
            .contains(&raw)
            .then(|| (*c, Some((raw as u64) & ((1u64 << extra) - 1))))
    })
}

/// Huffman-codes values, starting in table 1; each value is coded in the lowest-numbered
/// table that can code it, switching tables (both ways) as needed.
pub fn huffman_encode(tables: &[Vec<HuffmanCode>], values: &[i32]) -> Vec<u8> {
    let mut bits = Bits::default();
    let mut cur = 0usize;
    for &v in values {
        let target = (0..tables.len())
            .find(|&t| find(&tables[t], v).is_some())
            .unwrap_or_else(|| panic!("no table codes {v}"));
        if target != cur {
            let sw = tables[cur]
                .iter()
                .find(|c| c.switch && c.base_value as usize == target + 1)
                .unwrap_or_else(|| panic!("table {} cannot switch to {}", cur + 1, target + 1));
            bits.put(sw.code as u64, sw.prefix_bits as u32);
            cur = target;
        }
        let (code, raw) = find(&tables[cur], v).unwrap();
        bits.put(code.code as u64, code.prefix_bits as u32);
        if let Some(raw) = raw {
            bits.put(raw, (code.total_bits - code.prefix_bits) as u32);
        }
    }
    bits.finish()
}

/// Two custom tables exercising every branch: table 1 codes -3..=3 directly and switches
/// to table 2 (`111`); table 2 codes 0 directly (`0`), has an 8-bit escape (`10`), a
/// 20-bit escape with base value 1000 (`1110`), a long 14-bit code for 77, and switches
/// back to table 1 (`110`).
pub fn custom_tables() -> Vec<Vec<HuffmanCode>> {
    let sw = |prefix, code, to| HuffmanCode {
        prefix_bits: prefix,
        total_bits: prefix,
        switch: true,
        base_value: to,
        code,
    };
    let t1 = vec![
        HuffmanCode::value(2, 2, 0, 0b00),
        HuffmanCode::value(3, 3, 1, 0b010),
        HuffmanCode::value(3, 3, -1, 0b011),
        HuffmanCode::value(3, 3, 2, 0b100),
        HuffmanCode::value(3, 3, -2, 0b101),
        HuffmanCode::value(4, 4, 3, 0b1100),
        HuffmanCode::value(4, 4, -3, 0b1101),
        sw(3, 0b111, 2),
    ];
    let t2 = vec![
        HuffmanCode::value(1, 1, 0, 0b0),
        HuffmanCode::value(2, 10, 0, 0b10),
        sw(3, 0b110, 1),
        HuffmanCode::value(4, 24, 1000, 0b1110),
        HuffmanCode::value(14, 14, 77, 0b11_1100_0000_0000),
    ];
    vec![t1, t2]
}
