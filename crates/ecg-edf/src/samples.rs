//! Lazy sample decoding: one signal's samples read straight from the (memory-mapped) data
//! records, touching only the records a window covers.

use ecg_core::{SampleSource, SharedBytes};

use crate::header::Width;

/// Where one signal's samples live in the data records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Byte offset of the first data record in the file.
    pub data_start: usize,
    /// Bytes per data record (all signals).
    pub record_bytes: usize,
    /// Byte offset of this signal inside a data record.
    pub offset_in_record: usize,
    /// Samples of this signal per data record.
    pub per_record: usize,
    /// Number of data records.
    pub records: usize,
    /// Sample width.
    pub width: Width,
}

/// A [`SampleSource`] over the data records of an EDF/BDF file. The constructor's caller
/// has checked that every data record lies inside `bytes`; reads still check bounds and
/// report an error instead of panicking.
#[derive(Debug)]
pub(crate) struct RecordSamples {
    bytes: SharedBytes,
    layout: Layout,
    label: String,
}

impl RecordSamples {
    pub(crate) fn new(bytes: SharedBytes, layout: Layout, label: String) -> Self {
        RecordSamples {
            bytes,
            layout,
            label,
        }
    }
}

impl SampleSource for RecordSamples {
    fn len(&self) -> usize {
        self.layout.per_record * self.layout.records
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        let l = &self.layout;
        let data = self.bytes.as_slice();
        let bps = l.width.bytes();
        let mut record = start / l.per_record;
        let mut skip = start % l.per_record;
        let mut done = 0;
        while done < out.len() {
            let take = (l.per_record - skip).min(out.len() - done);
            let from = l.data_start + record * l.record_bytes + l.offset_in_record + skip * bps;
            let Some(src) = data.get(from..from + take * bps) else {
                return Err(ecg_core::Error::Source {
                    signal: self.label.clone(),
                    sample: start + done,
                    message: format!(
                        "data record {record} ends beyond the file's {} bytes",
                        data.len()
                    ),
                });
            };
            let dst = &mut out[done..done + take];
            match l.width {
                Width::Edf16 => decode_i16(src, dst),
                Width::Bdf24 => decode_i24(src, dst),
            }
            done += take;
            record += 1;
            skip = 0;
        }
        Ok(())
    }
}

/// 16-bit little-endian two's complement to `i32` (`src.len() == 2 * dst.len()`).
#[inline]
pub(crate) fn decode_i16(src: &[u8], dst: &mut [i32]) {
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *d = i32::from(i16::from_le_bytes([s[0], s[1]]));
    }
}

/// 24-bit little-endian two's complement to `i32` (`src.len() == 3 * dst.len()`).
#[inline]
pub(crate) fn decode_i24(src: &[u8], dst: &mut [i32]) {
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(3)) {
        *d = i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_widths() {
        let mut out = [0; 3];
        decode_i16(&[0x00, 0x80, 0xff, 0x7f, 0xfe, 0xff], &mut out);
        assert_eq!(out, [-32768, 32767, -2]);
        decode_i24(
            &[0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0xfe, 0xff, 0xff],
            &mut out,
        );
        assert_eq!(out, [-8_388_608, 8_388_607, -2]);
    }

    /// Two signals interleaved in records: A (2 samples/record), B (3 samples/record).
    fn source(records: usize, truncate: usize) -> (RecordSamples, RecordSamples) {
        let mut bytes = vec![0xAAu8; 7]; // header stand-in
        for r in 0..records as i16 {
            for k in 0..2 {
                bytes.extend_from_slice(&(r * 10 + k).to_le_bytes());
            }
            for k in 0..3 {
                bytes.extend_from_slice(&(-(r * 10 + k)).to_le_bytes());
            }
        }
        bytes.truncate(bytes.len() - truncate);
        let bytes = SharedBytes::from_vec(bytes);
        let layout = Layout {
            data_start: 7,
            record_bytes: 10,
            offset_in_record: 0,
            per_record: 2,
            records,
            width: Width::Edf16,
        };
        let a = RecordSamples::new(bytes.clone(), layout, "A".into());
        let b = RecordSamples::new(
            bytes,
            Layout {
                offset_in_record: 4,
                per_record: 3,
                ..layout
            },
            "B".into(),
        );
        (a, b)
    }

    #[test]
    fn windows_cross_records() {
        let (a, b) = source(4, 0);
        assert_eq!((a.len(), b.len()), (8, 12));
        let mut out = [0; 5];
        a.read(1, &mut out).unwrap();
        assert_eq!(out, [1, 10, 11, 20, 21]);
        b.read(2, &mut out).unwrap();
        assert_eq!(out, [-2, -10, -11, -12, -20]);
        let mut all = [0; 12];
        b.read(0, &mut all).unwrap();
        assert_eq!(all[11], -32);
        b.read(12, &mut []).unwrap();
    }

    #[test]
    fn a_shrunk_file_is_an_error_not_a_panic() {
        let (_, b) = source(4, 3);
        let mut out = [0; 12];
        let e = b.read(0, &mut out).unwrap_err();
        assert!(e.to_string().contains("data record 3"), "{e}");
    }
}
