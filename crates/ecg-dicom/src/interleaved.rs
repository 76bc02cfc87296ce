//! Waveform Data of one multiplex group: channel-interleaved samples
//! (C1S1, C2S1, ..., CnS1, C1S2, ...), decoded on demand per channel from the file's bytes.

use ecg_core::{SampleSource, SharedBytes};

/// How one sample is stored: Waveform Bits Allocated with Waveform Sample Interpretation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleEncoding {
    /// 8-bit signed (`SB`).
    SignedByte,
    /// 8-bit unsigned (`UB`).
    UnsignedByte,
    /// 8-bit G.711 mu-law (`MB`), expanded to 16-bit linear.
    MuLaw,
    /// 8-bit G.711 A-law (`AB`), expanded to 16-bit linear.
    ALaw,
    /// 16-bit signed (`SS`).
    SignedShort,
    /// 16-bit unsigned (`US`).
    UnsignedShort,
    /// 32-bit signed (`SL`).
    SignedLong,
    /// 32-bit unsigned (`UL`); values above `i32::MAX` are refused when decoding.
    UnsignedLong,
}

impl SampleEncoding {
    /// The encoding of `(Waveform Bits Allocated, Waveform Sample Interpretation)`, or
    /// `None` for combinations this reader does not decode.
    pub fn from_dicom(bits: u32, interpretation: &str) -> Option<Self> {
        Some(match (bits, interpretation) {
            (8, "SB") => SampleEncoding::SignedByte,
            (8, "UB") => SampleEncoding::UnsignedByte,
            (8, "MB") => SampleEncoding::MuLaw,
            (8, "AB") => SampleEncoding::ALaw,
            (16, "SS") => SampleEncoding::SignedShort,
            (16, "US") => SampleEncoding::UnsignedShort,
            (32, "SL") => SampleEncoding::SignedLong,
            (32, "UL") => SampleEncoding::UnsignedLong,
            _ => return None,
        })
    }

    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            SampleEncoding::SignedByte
            | SampleEncoding::UnsignedByte
            | SampleEncoding::MuLaw
            | SampleEncoding::ALaw => 1,
            SampleEncoding::SignedShort | SampleEncoding::UnsignedShort => 2,
            SampleEncoding::SignedLong | SampleEncoding::UnsignedLong => 4,
        }
    }

    /// Decodes one stored sample (`bytes()` long) to its digital value. `UL` values above
    /// `i32::MAX` give `None`.
    #[inline]
    pub fn decode(self, b: &[u8]) -> Option<i32> {
        Some(match self {
            SampleEncoding::SignedByte => i32::from(b[0] as i8),
            SampleEncoding::UnsignedByte => i32::from(b[0]),
            SampleEncoding::MuLaw => i32::from(mu_law_to_linear(b[0])),
            SampleEncoding::ALaw => i32::from(a_law_to_linear(b[0])),
            SampleEncoding::SignedShort => i32::from(i16::from_le_bytes([b[0], b[1]])),
            SampleEncoding::UnsignedShort => i32::from(u16::from_le_bytes([b[0], b[1]])),
            SampleEncoding::SignedLong => i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            SampleEncoding::UnsignedLong => {
                i32::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()?
            }
        })
    }
}

/// G.711 mu-law code to 16-bit linear PCM (ITU-T G.711; code 0xFF is 0, 0x80 is 32124).
pub fn mu_law_to_linear(code: u8) -> i16 {
    let u = !code;
    let magnitude = ((i32::from(u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    let value = if u & 0x80 != 0 {
        0x84 - magnitude
    } else {
        magnitude - 0x84
    };
    value as i16
}

/// G.711 A-law code to 16-bit linear PCM (ITU-T G.711; code 0xD5 is 8, 0xAA is 32256).
pub fn a_law_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut magnitude = i32::from(a & 0x0F) << 4;
    let segment = (a & 0x70) >> 4;
    match segment {
        0 => magnitude += 8,
        1 => magnitude += 0x108,
        _ => magnitude = (magnitude + 0x108) << (segment - 1),
    }
    let value = if a & 0x80 != 0 { magnitude } else { -magnitude };
    value as i16
}

/// One channel of a multiplex group, decoded on demand from the Waveform Data bytes.
#[derive(Debug)]
pub(crate) struct InterleavedChannel {
    /// The group's Waveform Data (at least `len * channels * encoding.bytes()` bytes).
    pub data: SharedBytes,
    /// Channels in the group.
    pub channels: usize,
    /// This channel's index.
    pub channel: usize,
    /// Samples per channel.
    pub len: usize,
    /// Sample encoding.
    pub encoding: SampleEncoding,
    /// Label for error messages.
    pub label: String,
}

impl SampleSource for InterleavedChannel {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        let width = self.encoding.bytes();
        let stride = self.channels * width;
        let fail = |sample: usize| ecg_core::Error::Source {
            signal: self.label.clone(),
            sample,
            message: "waveform data ends early or an unsigned 32-bit sample exceeds 2^31-1".into(),
        };
        if out.is_empty() {
            return Ok(());
        }
        // The bytes from this channel's first requested sample to its last one: every
        // `stride`-long chunk starts with one sample of this channel (the last chunk may
        // be shorter than `stride`, never shorter than `width`).
        let offset = self.channel * width;
        let first_byte = start
            .checked_mul(stride)
            .and_then(|b| b.checked_add(offset));
        let end_byte = (start.checked_add(out.len() - 1))
            .and_then(|last| last.checked_mul(stride))
            .and_then(|b| b.checked_add(offset + width));
        let bytes = match (first_byte, end_byte) {
            (Some(a), Some(b)) => self.data.get(a..b).ok_or_else(|| fail(start))?,
            _ => return Err(fail(start)),
        };
        let samples = out.iter_mut().zip(bytes.chunks(stride));
        // One loop per encoding: the match stays out of the per-sample path.
        match self.encoding {
            SampleEncoding::SignedByte => {
                samples.for_each(|(o, c)| *o = i32::from(c[0] as i8));
            }
            SampleEncoding::UnsignedByte => samples.for_each(|(o, c)| *o = i32::from(c[0])),
            SampleEncoding::MuLaw => {
                samples.for_each(|(o, c)| *o = i32::from(mu_law_to_linear(c[0])));
            }
            SampleEncoding::ALaw => {
                samples.for_each(|(o, c)| *o = i32::from(a_law_to_linear(c[0])));
            }
            SampleEncoding::SignedShort => {
                samples.for_each(|(o, c)| *o = i32::from(i16::from_le_bytes([c[0], c[1]])));
            }
            SampleEncoding::UnsignedShort => {
                samples.for_each(|(o, c)| *o = i32::from(u16::from_le_bytes([c[0], c[1]])));
            }
            SampleEncoding::SignedLong => {
                samples.for_each(|(o, c)| *o = i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            }
            SampleEncoding::UnsignedLong => {
                for (k, (o, c)) in samples.enumerate() {
                    *o = self.encoding.decode(c).ok_or_else(|| fail(start + k))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_reference_points() {
        assert_eq!(mu_law_to_linear(0xFF), 0);
        assert_eq!(mu_law_to_linear(0x7F), 0);
        assert_eq!(mu_law_to_linear(0x80), 32124);
        assert_eq!(mu_law_to_linear(0x00), -32124);
        assert_eq!(a_law_to_linear(0xD5), 8);
        assert_eq!(a_law_to_linear(0x55), -8);
        assert_eq!(a_law_to_linear(0xAA), 32256);
        assert_eq!(a_law_to_linear(0x2A), -32256);
        // Monotonic over the positive half of mu-law (codes 0xFF down to 0x80).
        let positive: Vec<i16> = (0x80..=0xFFu8).rev().map(mu_law_to_linear).collect();
        assert!(positive.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn interleaved_channels_and_unsigned_32_bit_overflow() {
        let mut bytes = Vec::new();
        for v in [1i16, -2, 3, -4, 5, -6] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let ch = InterleavedChannel {
            data: SharedBytes::from_vec(bytes),
            channels: 2,
            channel: 1,
            len: 3,
            encoding: SampleEncoding::SignedShort,
            label: "x".into(),
        };
        let mut out = [0; 2];
        ch.read(1, &mut out).unwrap();
        assert_eq!(out, [-4, -6]);
        // past the end, and past usize: errors, not panics
        assert!(ch.read(2, &mut out).is_err());
        assert!(ch.read(usize::MAX, &mut out).is_err());
        let mut first = [0; 1];
        let ch0 = InterleavedChannel { channel: 0, ..ch };
        ch0.read(0, &mut first).unwrap();
        assert_eq!(first, [1]);
        ch0.read(2, &mut []).unwrap();
        assert_eq!(
            SampleEncoding::UnsignedLong.decode(&u32::MAX.to_le_bytes()),
            None
        );
        assert_eq!(
            SampleEncoding::UnsignedShort.decode(&[0xFF, 0xFF]),
            Some(65535)
        );
    }
}
