//! One uncompressed signal file and the signals stored in it: [`StoredSignal`] decodes a
//! window of one signal straight from the file's bytes (usually a memory map), so reading
//! a minute of a 7-day record touches only that minute's bytes.

use std::fmt;
use std::sync::Arc;

use ecg_core::{SampleSource, SharedBytes};

use crate::signal_format::{SignalFormat, StreamLayout, gather_format, sample_at_format};

/// An uncompressed signal file as the header lays it out.
pub(crate) struct SignalFile {
    /// File name.
    pub name: String,
    /// The bytes from the byte offset on.
    pub data: SharedBytes,
    /// Byte offset of sample 0 in the file.
    pub byte_offset: u64,
    /// Storage format.
    pub format: SignalFormat,
    /// Samples per frame of all signals in the file.
    pub frame_len: usize,
    /// Complete frames the file holds.
    pub frames: u64,
}

impl SignalFile {
    /// Lays out `bytes` (the whole file) for signals totalling `frame_len` samples per
    /// frame, starting at `byte_offset`. An offset past the end leaves no frames.
    pub fn new(
        name: &str,
        bytes: &SharedBytes,
        byte_offset: u64,
        format: SignalFormat,
        frame_len: usize,
    ) -> SignalFile {
        let start = usize::try_from(byte_offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let data = bytes
            .slice(start..bytes.len())
            .unwrap_or_else(|| SharedBytes::from_vec(Vec::new()));
        let samples = format.samples_in(data.len() as u64);
        let frames = if frame_len == 0 {
            0
        } else {
            samples / frame_len as u64
        };
        SignalFile {
            name: name.to_string(),
            data,
            byte_offset,
            format,
            frame_len,
            frames,
        }
    }

    /// Byte offset (from the start of the file) where the complete frames end.
    pub fn end_offset(&self) -> u64 {
        self.byte_offset + self.format.bytes_for(self.frames * self.frame_len as u64)
    }
}

/// One signal of an uncompressed signal file, decoded on demand.
pub(crate) struct StoredSignal {
    file: Arc<SignalFile>,
    label: String,
    layout: StreamLayout,
    skew_frames: u64,
    len: usize,
    fill: i32,
}

impl StoredSignal {
    /// The signal at `offset` in each frame of `file` with `spf` samples per frame, read
    /// `skew_frames` frames late, `frames` frames long. Samples past the file's end read
    /// as `fill`.
    pub fn new(
        file: Arc<SignalFile>,
        label: &str,
        offset: usize,
        spf: usize,
        skew_frames: u64,
        frames: u64,
        fill: i32,
    ) -> StoredSignal {
        let layout = StreamLayout {
            frame_len: file.frame_len,
            offset,
            spf,
        };
        StoredSignal {
            file,
            label: label.to_string(),
            layout,
            skew_frames,
            len: (frames as usize).saturating_mul(spf),
            fill,
        }
    }

    /// Number of samples that lie inside the file (the rest are `fill`).
    pub fn stored_len(&self) -> usize {
        let frames = self.file.frames.saturating_sub(self.skew_frames);
        (frames as usize)
            .saturating_mul(self.layout.spf)
            .min(self.len)
    }

    /// Decodes samples `start .. start + out.len()` (the range must lie within `len`).
    pub fn decode(&self, start: usize, out: &mut [i32]) {
        let spf = self.layout.spf;
        let stored = self.stored_len();
        let end = start + out.len();
        let inside_end = end.min(stored).max(start);
        let (inside, outside) = out.split_at_mut(inside_end - start);
        outside.fill(self.fill);
        if inside.is_empty() {
            return;
        }
        let data = self.file.data.as_slice();
        let format = self.file.format;
        let skew = self.skew_frames as usize;
        let at = |m: usize| {
            let k = (m / spf + skew) * self.layout.frame_len + self.layout.offset + m % spf;
            sample_at_format(format, data, k)
        };
        // Head: up to the first frame boundary.
        let mut m = start;
        let mut i = 0;
        while !m.is_multiple_of(spf) && i < inside.len() {
            inside[i] = at(m);
            m += 1;
            i += 1;
        }
        // Whole frames.
        let whole = (inside.len() - i) / spf * spf;
        if whole > 0 {
            gather_format(
                format,
                data,
                self.layout,
                m / spf + skew,
                &mut inside[i..i + whole],
            );
            m += whole;
            i += whole;
        }
        // Tail.
        while i < inside.len() {
            inside[i] = at(m);
            m += 1;
            i += 1;
        }
    }
}

impl fmt::Debug for StoredSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSignal")
            .field("file", &self.file.name)
            .field("signal", &self.label)
            .field("format", &self.file.format.code())
            .field("samples", &self.len)
            .finish()
    }
}

impl SampleSource for StoredSignal {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        if start.checked_add(out.len()).is_none_or(|e| e > self.len) {
            return Err(ecg_core::Error::OutOfRange {
                range: start..start.saturating_add(out.len()),
                len: self.len,
            });
        }
        self.decode(start, out);
        Ok(())
    }
}

/// Sums the stored samples of a signal as the WFDB checksum does (16-bit, signed),
/// streaming in chunks.
pub(crate) fn checksum_of(signal: &StoredSignal) -> i32 {
    let n = signal.stored_len();
    let mut buf = vec![0i32; ecg_core::CHUNK_SAMPLES.min(n)];
    let mut sum: i64 = 0;
    let mut start = 0;
    while start < n {
        let len = buf.len().min(n - start);
        signal.decode(start, &mut buf[..len]);
        sum += buf[..len].iter().map(|&v| i64::from(v)).sum::<i64>();
        start += len;
    }
    checksum16(sum)
}

/// The low 16 bits of a sum, as a signed value (how headers state checksums).
pub(crate) fn checksum16(sum: i64) -> i32 {
    i32::from(sum as u16 as i16)
}
