//! WFDB signal formats ([`SignalFormat`]) and the sample codecs behind them.
//!
//! Uncompressed formats store the samples of one signal file as one stream, frame after
//! frame (a frame holds `samples per frame` samples of each signal in the file). Each
//! format packs the stream in blocks: one sample per 1, 2, 3 or 4 bytes, two 12-bit
//! samples per 3 bytes (212) or three 10-bit samples per 4 bytes (310, 311). The
//! kernels here decode one signal's samples straight from the bytes, a whole
//! "super-frame" (the fewest frames that start on a block boundary) at a time, with one
//! bounds check per super-frame instead of per byte.

use std::fmt;

/// The value the WFDB library returns for a missing sample (`WFDB_INVALID_SAMPLE`),
/// used for null signals and multi-segment gaps.
pub const WFDB_INVALID_SAMPLE: i32 = -32768;

/// A WFDB signal storage format (the number after the file name on a signal line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SignalFormat {
    /// Format 0: a null signal with no stored samples (every sample is missing).
    Null,
    /// Format 8: 8-bit first differences from the initial value.
    Difference8,
    /// Format 16: 16-bit two's complement, little-endian.
    Int16,
    /// Format 24: 24-bit two's complement, little-endian.
    Int24,
    /// Format 32: 32-bit two's complement, little-endian.
    Int32,
    /// Format 61: 16-bit two's complement, big-endian.
    Int16BigEndian,
    /// Format 80: 8-bit offset binary.
    Offset8,
    /// Format 160: 16-bit offset binary, little-endian.
    Offset16,
    /// Format 212: two 12-bit samples packed in three bytes.
    Packed212,
    /// Format 310: three 10-bit samples packed in two 16-bit words (bits 1-10 and 11-15).
    Packed310,
    /// Format 311: three 10-bit samples packed in the low 30 bits of a 32-bit word.
    Packed311,
    /// Format 508: FLAC, 8 bits per sample, one FLAC channel per signal.
    Flac8,
    /// Format 516: FLAC, up to 16 bits per sample.
    Flac16,
    /// Format 524: FLAC, up to 24 bits per sample.
    Flac24,
}

impl SignalFormat {
    /// Every format, in code order.
    pub const ALL: [SignalFormat; 14] = [
        SignalFormat::Null,
        SignalFormat::Difference8,
        SignalFormat::Int16,
        SignalFormat::Int24,
        SignalFormat::Int32,
        SignalFormat::Int16BigEndian,
        SignalFormat::Offset8,
        SignalFormat::Offset16,
        SignalFormat::Packed212,
        SignalFormat::Packed310,
        SignalFormat::Packed311,
        SignalFormat::Flac8,
        SignalFormat::Flac16,
        SignalFormat::Flac24,
    ];

    /// The formats [`crate::write_record`] can write.
    pub const WRITABLE: [SignalFormat; 10] = [
        SignalFormat::Difference8,
        SignalFormat::Int16,
        SignalFormat::Int24,
        SignalFormat::Int32,
        SignalFormat::Int16BigEndian,
        SignalFormat::Offset8,
        SignalFormat::Offset16,
        SignalFormat::Packed212,
        SignalFormat::Packed310,
        SignalFormat::Packed311,
    ];

    /// The format for a header's format code (`212` -> [`SignalFormat::Packed212`]).
    pub fn from_code(code: u32) -> Option<SignalFormat> {
        Some(match code {
            0 => SignalFormat::Null,
            8 => SignalFormat::Difference8,
            16 => SignalFormat::Int16,
            24 => SignalFormat::Int24,
            32 => SignalFormat::Int32,
            61 => SignalFormat::Int16BigEndian,
            80 => SignalFormat::Offset8,
            160 => SignalFormat::Offset16,
            212 => SignalFormat::Packed212,
            310 => SignalFormat::Packed310,
            311 => SignalFormat::Packed311,
            508 => SignalFormat::Flac8,
            516 => SignalFormat::Flac16,
            524 => SignalFormat::Flac24,
            _ => return None,
        })
    }

    /// The header's format code.
    pub fn code(self) -> u32 {
        match self {
            SignalFormat::Null => 0,
            SignalFormat::Difference8 => 8,
            SignalFormat::Int16 => 16,
            SignalFormat::Int24 => 24,
            SignalFormat::Int32 => 32,
            SignalFormat::Int16BigEndian => 61,
            SignalFormat::Offset8 => 80,
            SignalFormat::Offset16 => 160,
            SignalFormat::Packed212 => 212,
            SignalFormat::Packed310 => 310,
            SignalFormat::Packed311 => 311,
            SignalFormat::Flac8 => 508,
            SignalFormat::Flac16 => 516,
            SignalFormat::Flac24 => 524,
        }
    }

    /// Bits per stored sample.
    pub fn bits(self) -> u32 {
        match self {
            SignalFormat::Null => 16,
            SignalFormat::Difference8 | SignalFormat::Offset8 | SignalFormat::Flac8 => 8,
            SignalFormat::Int16
            | SignalFormat::Int16BigEndian
            | SignalFormat::Offset16
            | SignalFormat::Flac16 => 16,
            SignalFormat::Int24 | SignalFormat::Flac24 => 24,
            SignalFormat::Int32 => 32,
            SignalFormat::Packed212 => 12,
            SignalFormat::Packed310 | SignalFormat::Packed311 => 10,
        }
    }

    /// The stored value that marks a missing sample (the most negative value of the
    /// format), as the WFDB library defines it; `None` for format 8, which has none.
    /// Null signals (format 0) have only missing samples, marked
    /// [`WFDB_INVALID_SAMPLE`].
    pub fn invalid_value(self) -> Option<i32> {
        match self {
            SignalFormat::Difference8 => None,
            SignalFormat::Null => Some(WFDB_INVALID_SAMPLE),
            f => Some(-(1i64 << (f.bits() - 1)) as i32),
        }
    }

    /// Smallest and largest value the format stores (for format 8: of the differences).
    pub fn value_range(self) -> (i32, i32) {
        let bits = self.bits();
        let min = -(1i64 << (bits - 1));
        let max = (1i64 << (bits - 1)) - 1;
        (min as i32, max as i32)
    }

    /// True for the FLAC-compressed formats 508, 516 and 524.
    pub fn is_flac(self) -> bool {
        matches!(
            self,
            SignalFormat::Flac8 | SignalFormat::Flac16 | SignalFormat::Flac24
        )
    }

    /// `(samples, bytes)` of one block of an uncompressed format; `None` for null and
    /// FLAC signals.
    pub(crate) fn block(self) -> Option<(usize, usize)> {
        Some(match self {
            SignalFormat::Difference8 | SignalFormat::Offset8 => (1, 1),
            SignalFormat::Int16 | SignalFormat::Int16BigEndian | SignalFormat::Offset16 => (1, 2),
            SignalFormat::Int24 => (1, 3),
            SignalFormat::Int32 => (1, 4),
            SignalFormat::Packed212 => (2, 3),
            SignalFormat::Packed310 | SignalFormat::Packed311 => (3, 4),
            SignalFormat::Null
            | SignalFormat::Flac8
            | SignalFormat::Flac16
            | SignalFormat::Flac24 => return None,
        })
    }

    /// Number of complete samples in `bytes` bytes of an uncompressed stream (a 212 or
    /// 310/311 block may end part-way and still hold complete samples).
    pub(crate) fn samples_in(self, bytes: u64) -> u64 {
        let Some((spb, bpb)) = self.block() else {
            return 0;
        };
        let (spb, bpb) = (spb as u64, bpb as u64);
        let full = bytes / bpb * spb;
        let rem = bytes % bpb;
        full + match self {
            SignalFormat::Packed212 => u64::from(rem == 2),
            SignalFormat::Packed310 => u64::from(rem >= 2),
            SignalFormat::Packed311 => match rem {
                2 => 1,
                3 => 2,
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Bytes needed to store `samples` samples of an uncompressed stream (the trailing
    /// partial block only as long as its samples need).
    pub(crate) fn bytes_for(self, samples: u64) -> u64 {
        let Some((spb, bpb)) = self.block() else {
            return 0;
        };
        let (spb, bpb) = (spb as u64, bpb as u64);
        let full = samples / spb * bpb;
        let rem = samples % spb;
        full + match (self, rem) {
            (_, 0) => 0,
            (SignalFormat::Packed212, _) => 2,
            (SignalFormat::Packed310, 1) => 2,
            (SignalFormat::Packed310, _) => 4,
            (SignalFormat::Packed311, 1) => 2,
            (SignalFormat::Packed311, _) => 3,
            _ => 0,
        }
    }
}

impl fmt::Display for SignalFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// One block layout: how `SAMPLES` samples sit in `BYTES` bytes.
pub(crate) trait Codec {
    /// Samples per block.
    const SAMPLES: usize;
    /// Bytes per block.
    const BYTES: usize;
    /// Decodes sample `kind` (< SAMPLES) of the block at the start of `b`
    /// (`b.len() >= BYTES`).
    fn sample(b: &[u8], kind: usize) -> i32;
    /// Encodes `SAMPLES` samples (missing trailing ones are 0) into `BYTES` bytes.
    fn encode(samples: &[i32], out: &mut [u8]);
}

#[inline(always)]
fn sign_extend(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

/// Raw signed bytes (format 8 differences before summation).
pub(crate) struct Int8;
impl Codec for Int8 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 1;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from(b[0] as i8)
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[0] = s[0] as u8;
    }
}

/// Format 80.
pub(crate) struct Offset8;
impl Codec for Offset8 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 1;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from(b[0]) - 128
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[0] = (s[0] + 128) as u8;
    }
}

/// Format 16.
pub(crate) struct Int16;
impl Codec for Int16 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 2;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from(i16::from_le_bytes([b[0], b[1]]))
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[..2].copy_from_slice(&(s[0] as i16).to_le_bytes());
    }
}

/// Format 61.
pub(crate) struct Int16Be;
impl Codec for Int16Be {
    const SAMPLES: usize = 1;
    const BYTES: usize = 2;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from(i16::from_be_bytes([b[0], b[1]]))
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[..2].copy_from_slice(&(s[0] as i16).to_be_bytes());
    }
}

/// Format 160.
pub(crate) struct Offset16;
impl Codec for Offset16 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 2;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from(u16::from_le_bytes([b[0], b[1]])) - 32768
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[..2].copy_from_slice(&((s[0] + 32768) as u16).to_le_bytes());
    }
}

/// Format 24.
pub(crate) struct Int24;
impl Codec for Int24 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 3;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        sign_extend(
            u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16,
            24,
        )
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[..3].copy_from_slice(&s[0].to_le_bytes()[..3]);
    }
}

/// Format 32.
pub(crate) struct Int32;
impl Codec for Int32 {
    const SAMPLES: usize = 1;
    const BYTES: usize = 4;
    #[inline(always)]
    fn sample(b: &[u8], _: usize) -> i32 {
        i32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        out[..4].copy_from_slice(&s[0].to_le_bytes());
    }
}

/// Format 212.
pub(crate) struct Packed212;
impl Codec for Packed212 {
    const SAMPLES: usize = 2;
    const BYTES: usize = 3;
    #[inline(always)]
    fn sample(b: &[u8], kind: usize) -> i32 {
        let v = if kind == 0 {
            u32::from(b[0]) | (u32::from(b[1]) & 0x0f) << 8
        } else {
            u32::from(b[2]) | (u32::from(b[1]) & 0xf0) << 4
        };
        sign_extend(v, 12)
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        let a = s[0] as u32 & 0xfff;
        let b = s.get(1).map_or(0, |&v| v as u32 & 0xfff);
        out[0] = a as u8;
        out[1] = ((a >> 8) | ((b >> 4) & 0xf0)) as u8;
        if out.len() > 2 {
            out[2] = b as u8;
        }
    }
}

/// Format 310.
pub(crate) struct Packed310;
impl Codec for Packed310 {
    const SAMPLES: usize = 3;
    const BYTES: usize = 4;
    #[inline(always)]
    fn sample(b: &[u8], kind: usize) -> i32 {
        let w0 = u32::from(b[0]) | u32::from(b[1]) << 8;
        let w1 = u32::from(b[2]) | u32::from(b[3]) << 8;
        let v = match kind {
            0 => (w0 >> 1) & 0x3ff,
            1 => (w1 >> 1) & 0x3ff,
            _ => (w0 >> 11) | (w1 >> 11) << 5,
        };
        sign_extend(v, 10)
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        let v = |i: usize| s.get(i).map_or(0, |&v| v as u32 & 0x3ff);
        let (a, b, c) = (v(0), v(1), v(2));
        let w0 = (a << 1) | (c & 0x1f) << 11;
        let w1 = (b << 1) | (c >> 5) << 11;
        let bytes = [w0 as u8, (w0 >> 8) as u8, w1 as u8, (w1 >> 8) as u8];
        let n = out.len().min(4);
        out[..n].copy_from_slice(&bytes[..n]);
    }
}

/// Format 311.
pub(crate) struct Packed311;
impl Codec for Packed311 {
    const SAMPLES: usize = 3;
    const BYTES: usize = 4;
    #[inline(always)]
    fn sample(b: &[u8], kind: usize) -> i32 {
        let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        sign_extend((w >> (10 * kind as u32)) & 0x3ff, 10)
    }
    fn encode(s: &[i32], out: &mut [u8]) {
        let v = |i: usize| s.get(i).map_or(0, |&v| v as u32 & 0x3ff);
        let w = v(0) | v(1) << 10 | v(2) << 20;
        let bytes = w.to_le_bytes();
        let n = out.len().min(4);
        out[..n].copy_from_slice(&bytes[..n]);
    }
}

/// Where one signal's samples sit in an interleaved stream: every frame holds
/// `frame_len` samples, of which this signal's `spf` start at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamLayout {
    /// Samples per frame of the whole file (all its signals).
    pub frame_len: usize,
    /// Position of the signal's first sample within a frame.
    pub offset: usize,
    /// The signal's samples per frame.
    pub spf: usize,
}

/// Decodes stream sample `k` (with zero padding when its block is cut short; callers only
/// ask for samples that [`SignalFormat::samples_in`] counts as complete).
#[inline]
fn sample_at<C: Codec>(data: &[u8], k: usize) -> i32 {
    let start = k / C::SAMPLES * C::BYTES;
    let kind = k % C::SAMPLES;
    match data.get(start..start + C::BYTES) {
        Some(b) => C::sample(b, kind),
        None => {
            let mut pad = [0u8; 4];
            let avail = data.get(start..).unwrap_or(&[]);
            let n = avail.len().min(4);
            pad[..n].copy_from_slice(&avail[..n]);
            C::sample(&pad, kind)
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Decodes the samples of whole frames `frame0 .. frame0 + out.len() / spf` of one signal
/// (`out.len()` must be a multiple of `spf`; every frame must be complete in `data`).
pub(crate) fn gather<C: Codec>(data: &[u8], layout: StreamLayout, frame0: usize, out: &mut [i32]) {
    let StreamLayout {
        frame_len: l,
        offset: o,
        spf,
    } = layout;
    debug_assert!(spf >= 1 && out.len().is_multiple_of(spf) && o + spf <= l);
    let nframes = out.len() / spf;
    // Frames per super-frame: the fewest frames whose samples fill whole blocks.
    let per_super = C::SAMPLES / gcd(l, C::SAMPLES);
    let mut f = frame0;
    let mut done = 0; // frames decoded
    let slow = |f: usize, out: &mut [i32]| {
        let k0 = f * l + o;
        for (s, v) in out.iter_mut().enumerate() {
            *v = sample_at::<C>(data, k0 + s);
        }
    };
    while !f.is_multiple_of(per_super) && done < nframes {
        slow(f, &mut out[done * spf..(done + 1) * spf]);
        f += 1;
        done += 1;
    }
    let supers = (nframes - done) / per_super;
    if supers > 0 {
        let super_samples = per_super * l;
        let super_bytes = super_samples / C::SAMPLES * C::BYTES;
        let base = f * l / C::SAMPLES * C::BYTES;
        let out_mid = &mut out[done * spf..(done + supers * per_super) * spf];
        match data.get(base..base + supers * super_bytes) {
            Some(bytes) if per_super == 1 && spf == 1 => {
                // One sample per super-frame at a fixed place: the common case (a
                // 212 or 16-bit file with several signals).
                let at = o / C::SAMPLES * C::BYTES;
                let kind = o % C::SAMPLES;
                let sel = |c: &[u8]| C::sample(&c[at..at + C::BYTES], kind);
                match kind {
                    0 => gather_fixed::<C, 0>(bytes, super_bytes, at, out_mid),
                    1 => gather_fixed::<C, 1>(bytes, super_bytes, at, out_mid),
                    2 => gather_fixed::<C, 2>(bytes, super_bytes, at, out_mid),
                    _ => {
                        for (c, v) in bytes.chunks_exact(super_bytes).zip(out_mid.iter_mut()) {
                            *v = sel(c);
                        }
                    }
                }
            }
            Some(bytes) if spf == l => {
                // The signal is alone in its file: the stream is its samples.
                for (c, v) in bytes
                    .chunks_exact(C::BYTES)
                    .zip(out_mid.chunks_exact_mut(C::SAMPLES))
                {
                    for (kind, x) in v.iter_mut().enumerate() {
                        *x = C::sample(c, kind);
                    }
                }
            }
            Some(bytes) => {
                // General case: a small table of (byte, kind) per sample of the
                // super-frame.
                let mut table = Vec::with_capacity(per_super * spf);
                for t in 0..per_super {
                    for s in 0..spf {
                        let k = t * l + o + s;
                        table.push((k / C::SAMPLES * C::BYTES, k % C::SAMPLES));
                    }
                }
                for (c, v) in bytes
                    .chunks_exact(super_bytes)
                    .zip(out_mid.chunks_exact_mut(per_super * spf))
                {
                    for (x, &(at, kind)) in v.iter_mut().zip(&table) {
                        *x = C::sample(&c[at..at + C::BYTES], kind);
                    }
                }
            }
            None => {
                for i in 0..supers * per_super {
                    slow(f + i, &mut out_mid[i * spf..(i + 1) * spf]);
                }
            }
        }
        f += supers * per_super;
        done += supers * per_super;
    }
    while done < nframes {
        slow(f, &mut out[done * spf..(done + 1) * spf]);
        f += 1;
        done += 1;
    }
}

/// The hot loop: one sample per `stride` bytes at byte `at`, of a compile-time kind.
#[inline(always)]
fn gather_fixed<C: Codec, const KIND: usize>(
    bytes: &[u8],
    stride: usize,
    at: usize,
    out: &mut [i32],
) {
    if stride == C::BYTES && at == 0 {
        for (c, v) in bytes.chunks_exact(C::BYTES).zip(out.iter_mut()) {
            *v = C::sample(c, KIND);
        }
        return;
    }
    for (c, v) in bytes.chunks_exact(stride).zip(out.iter_mut()) {
        *v = C::sample(&c[at..at + C::BYTES], KIND);
    }
}

/// [`gather`] for a format chosen at run time. Null and FLAC formats fill zeros (they
/// are never stored in an interleaved stream).
pub(crate) fn gather_format(
    format: SignalFormat,
    data: &[u8],
    layout: StreamLayout,
    frame0: usize,
    out: &mut [i32],
) {
    match format {
        SignalFormat::Difference8 => gather::<Int8>(data, layout, frame0, out),
        SignalFormat::Offset8 => gather::<Offset8>(data, layout, frame0, out),
        SignalFormat::Int16 => gather::<Int16>(data, layout, frame0, out),
        SignalFormat::Int16BigEndian => gather::<Int16Be>(data, layout, frame0, out),
        SignalFormat::Offset16 => gather::<Offset16>(data, layout, frame0, out),
        SignalFormat::Int24 => gather::<Int24>(data, layout, frame0, out),
        SignalFormat::Int32 => gather::<Int32>(data, layout, frame0, out),
        SignalFormat::Packed212 => gather::<Packed212>(data, layout, frame0, out),
        SignalFormat::Packed310 => gather::<Packed310>(data, layout, frame0, out),
        SignalFormat::Packed311 => gather::<Packed311>(data, layout, frame0, out),
        SignalFormat::Null | SignalFormat::Flac8 | SignalFormat::Flac16 | SignalFormat::Flac24 => {
            out.fill(0)
        }
    }
}

/// Decodes a single stream sample `k` (for partial frames at window edges).
pub(crate) fn sample_at_format(format: SignalFormat, data: &[u8], k: usize) -> i32 {
    match format {
        SignalFormat::Difference8 => sample_at::<Int8>(data, k),
        SignalFormat::Offset8 => sample_at::<Offset8>(data, k),
        SignalFormat::Int16 => sample_at::<Int16>(data, k),
        SignalFormat::Int16BigEndian => sample_at::<Int16Be>(data, k),
        SignalFormat::Offset16 => sample_at::<Offset16>(data, k),
        SignalFormat::Int24 => sample_at::<Int24>(data, k),
        SignalFormat::Int32 => sample_at::<Int32>(data, k),
        SignalFormat::Packed212 => sample_at::<Packed212>(data, k),
        SignalFormat::Packed310 => sample_at::<Packed310>(data, k),
        SignalFormat::Packed311 => sample_at::<Packed311>(data, k),
        SignalFormat::Null | SignalFormat::Flac8 | SignalFormat::Flac16 | SignalFormat::Flac24 => 0,
    }
}

fn encode_with<C: Codec>(stream: &[i32], out: &mut Vec<u8>) {
    let mut block = [0u8; 4];
    for chunk in stream.chunks(C::SAMPLES) {
        let b = &mut block[..C::BYTES];
        b.fill(0);
        C::encode(chunk, b);
        out.extend_from_slice(b);
    }
}

/// Encodes an interleaved stream of stored values (already checked against the format's
/// range; format 8 takes the differences). The trailing partial block is cut to the
/// bytes its samples need, as the WFDB library writes it.
pub(crate) fn encode_stream(format: SignalFormat, stream: &[i32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(format.bytes_for(stream.len() as u64) as usize + 4);
    match format {
        SignalFormat::Difference8 => encode_with::<Int8>(stream, &mut out),
        SignalFormat::Offset8 => encode_with::<Offset8>(stream, &mut out),
        SignalFormat::Int16 => encode_with::<Int16>(stream, &mut out),
        SignalFormat::Int16BigEndian => encode_with::<Int16Be>(stream, &mut out),
        SignalFormat::Offset16 => encode_with::<Offset16>(stream, &mut out),
        SignalFormat::Int24 => encode_with::<Int24>(stream, &mut out),
        SignalFormat::Int32 => encode_with::<Int32>(stream, &mut out),
        SignalFormat::Packed212 => encode_with::<Packed212>(stream, &mut out),
        SignalFormat::Packed310 => encode_with::<Packed310>(stream, &mut out),
        SignalFormat::Packed311 => encode_with::<Packed311>(stream, &mut out),
        SignalFormat::Null | SignalFormat::Flac8 | SignalFormat::Flac16 | SignalFormat::Flac24 => {}
    }
    out.truncate(format.bytes_for(stream.len() as u64) as usize);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_round_trip() {
        for f in SignalFormat::ALL {
            assert_eq!(SignalFormat::from_code(f.code()), Some(f));
        }
        assert_eq!(SignalFormat::from_code(17), None);
        assert_eq!(SignalFormat::Packed212.invalid_value(), Some(-2048));
        assert_eq!(SignalFormat::Offset8.invalid_value(), Some(-128));
        assert_eq!(SignalFormat::Int32.invalid_value(), Some(i32::MIN));
        assert_eq!(SignalFormat::Flac24.invalid_value(), Some(-(1 << 23)));
        assert_eq!(SignalFormat::Difference8.invalid_value(), None);
        assert_eq!(SignalFormat::Packed310.value_range(), (-512, 511));
    }

    #[test]
    fn partial_blocks() {
        // 212: 3k+2 bytes hold 2k+1 samples; 310: 4k+3 bytes hold 3k+1; 311: 3k+2.
        assert_eq!(SignalFormat::Packed212.samples_in(5), 3);
        assert_eq!(SignalFormat::Packed212.samples_in(4), 2);
        assert_eq!(SignalFormat::Packed310.samples_in(1358), 1018);
        assert_eq!(SignalFormat::Packed310.samples_in(1359), 1018);
        assert_eq!(SignalFormat::Packed311.samples_in(1359), 1019);
        assert_eq!(SignalFormat::Packed311.samples_in(1358), 1018);
        for f in SignalFormat::WRITABLE {
            for n in 0..20u64 {
                // Two trailing 310 samples need the whole 4-byte block, which holds three.
                let expect = if f == SignalFormat::Packed310 && n % 3 == 2 {
                    n + 1
                } else {
                    n
                };
                assert_eq!(f.samples_in(f.bytes_for(n)), expect, "{f} {n}");
            }
        }
    }

    #[test]
    fn encode_decode_every_layout() {
        for f in SignalFormat::WRITABLE {
            let (lo, hi) = f.value_range();
            for l in 1..=7usize {
                let frames = 11;
                let stream: Vec<i32> = (0..l * frames)
                    .map(|i| {
                        let span = i64::from(hi) - i64::from(lo) + 1;
                        (i64::from(lo) + (i as i64 * 7919) % span) as i32
                    })
                    .collect();
                let bytes = encode_stream(f, &stream);
                assert_eq!(bytes.len() as u64, f.bytes_for(stream.len() as u64));
                for o in 0..l {
                    for spf in 1..=(l - o) {
                        for frame0 in 0..3 {
                            let layout = StreamLayout {
                                frame_len: l,
                                offset: o,
                                spf,
                            };
                            let n = frames - frame0;
                            let mut out = vec![0; n * spf];
                            gather_format(f, &bytes, layout, frame0, &mut out);
                            let expect: Vec<i32> = (frame0..frames)
                                .flat_map(|fr| (0..spf).map(move |s| fr * l + o + s))
                                .map(|k| stream[k])
                                .collect();
                            assert_eq!(out, expect, "{f} l={l} o={o} spf={spf} f0={frame0}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn known_bit_patterns() {
        // 212: samples 0x123 and -1 (0xfff): bytes 23, f1, ff.
        let b = [0x23, 0xf1, 0xff];
        assert_eq!(Packed212::sample(&b, 0), 0x123);
        assert_eq!(Packed212::sample(&b, 1), -1);
        assert_eq!(Offset16::sample(&[0, 0], 0), -32768);
        assert_eq!(Int16Be::sample(&[0x80, 0x01], 0), -32767);
        assert_eq!(Int24::sample(&[0xff, 0xff, 0x7f], 0), 8388607);
    }
}
