//! A minimal ISHNE 1.0 writer for round-trip tests (test code only).
#![allow(dead_code)]

use ecg_ishne::crc_ccitt;

/// One lead to write: specification code, resolution in nV, samples.
pub struct LeadIn {
    pub spec: i16,
    pub res_nv: i16,
    pub samples: Vec<i16>,
}

/// Header fields the tests vary.
pub struct HeaderIn<'a> {
    pub magic: &'a [u8; 8],
    pub fs: i16,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub id: &'a str,
    pub sex: i16,
    pub race: i16,
    pub birth: [i16; 3],
    pub record: [i16; 3],
    pub start: [i16; 3],
    pub pacemaker: i16,
    pub recorder: &'a str,
    pub var_block: &'a [u8],
}

impl Default for HeaderIn<'_> {
    fn default() -> Self {
        HeaderIn {
            magic: b"ISHNE1.0",
            fs: 200,
            first_name: "",
            last_name: "",
            id: "",
            sex: 0,
            race: 0,
            birth: [0; 3],
            record: [1, 1, 2020],
            start: [0; 3],
            pacemaker: 0,
            recorder: "digital",
            var_block: b"",
        }
    }
}

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

/// The 522-byte header plus the variable block, CRC filled in, for `nleads` leads of
/// `samples` samples each.
pub fn header(h: &HeaderIn<'_>, leads: &[(i16, i16)], samples: u32) -> Vec<u8> {
    let mut b = vec![0u8; 522];
    put(&mut b, 0, h.magic);
    put(&mut b, 10, &(h.var_block.len() as i32).to_le_bytes());
    put(&mut b, 14, &(samples as i32).to_le_bytes());
    put(&mut b, 18, &522i32.to_le_bytes());
    put(&mut b, 22, &(522 + h.var_block.len() as i32).to_le_bytes());
    put(&mut b, 26, &1i16.to_le_bytes());
    put(&mut b, 28, h.first_name.as_bytes());
    put(&mut b, 68, h.last_name.as_bytes());
    put(&mut b, 108, h.id.as_bytes());
    put(&mut b, 128, &h.sex.to_le_bytes());
    put(&mut b, 130, &h.race.to_le_bytes());
    for (k, v) in h
        .birth
        .iter()
        .chain(&h.record)
        .chain(&[1, 1, 2021])
        .chain(&h.start)
        .enumerate()
    {
        put(&mut b, 132 + 2 * k, &v.to_le_bytes());
    }
    put(&mut b, 156, &(leads.len() as i16).to_le_bytes());
    for i in 0..12 {
        let (spec, res, qual) = match leads.get(i) {
            Some(&(spec, res)) => (spec, res, 1i16),
            None => (-9, -9, -9),
        };
        put(&mut b, 158 + 2 * i, &spec.to_le_bytes());
        put(&mut b, 182 + 2 * i, &qual.to_le_bytes());
        put(&mut b, 206 + 2 * i, &res.to_le_bytes());
    }
    put(&mut b, 230, &h.pacemaker.to_le_bytes());
    put(&mut b, 232, h.recorder.as_bytes());
    put(&mut b, 272, &h.fs.to_le_bytes());
    b.extend_from_slice(h.var_block);
    let crc = crc_ccitt(&b[10..]);
    put(&mut b, 8, &crc.to_le_bytes());
    b
}

/// A whole Holter file with interleaved samples.
pub fn write_ishne(h: &HeaderIn<'_>, leads: &[LeadIn]) -> Vec<u8> {
    let n = leads.first().map_or(0, |l| l.samples.len());
    let specs: Vec<(i16, i16)> = leads.iter().map(|l| (l.spec, l.res_nv)).collect();
    let mut b = header(h, &specs, n as u32);
    for i in 0..n {
        for l in leads {
            b.extend_from_slice(&l.samples[i].to_le_bytes());
        }
    }
    b
}

/// An annotation file: first beat sample, then (label, offset) records.
pub fn write_ann(fs: i16, first: u32, beats: &[(u8, u16)]) -> Vec<u8> {
    let h = HeaderIn {
        magic: b"ANN  1.0",
        fs,
        ..Default::default()
    };
    let mut b = header(&h, &[(6, 5000)], 0);
    b.extend_from_slice(&first.to_le_bytes());
    for &(label, rr) in beats {
        b.push(label);
        b.push(0);
        b.extend_from_slice(&rr.to_le_bytes());
    }
    b
}
