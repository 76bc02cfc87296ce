//! FLAC-compressed signal files (formats 508, 516, 524): one FLAC channel per signal,
//! every signal of the file with the same samples per frame; the FLAC stream holds
//! `frames x spf` samples per channel. Decoded with `claxon`, eagerly (FLAC frames have
//! no index to seek by), within the caller's sample limit.

use std::io::Cursor;

use crate::error::{Error, Result};
use crate::signal_format::SignalFormat;

/// The decoded channels of one FLAC signal file, from the header's sample offset on.
pub(crate) struct FlacChannels {
    /// One vector per channel (signal).
    pub channels: Vec<Vec<i32>>,
}

/// Decodes `data` (a whole FLAC file) holding `n_signals` channels of `format`, dropping
/// the first `sample_offset` samples of each channel and refusing to hold more than
/// `max_samples` samples in all.
pub(crate) fn decode_flac(
    file: &str,
    data: &[u8],
    format: SignalFormat,
    n_signals: usize,
    sample_offset: u64,
    max_samples: u64,
) -> Result<FlacChannels> {
    let flac_err = |message: String| Error::Flac {
        file: file.to_string(),
        offset: 0,
        message,
    };
    if !data.starts_with(b"fLaC") {
        return Err(Error::Flac {
            file: file.to_string(),
            offset: 0,
            message: "the file does not start with the FLAC signature `fLaC`".into(),
        });
    }
    // claxon is a safe decoder, but a decoding library panicking on hostile input must
    // not take the caller down: any panic becomes an error.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_inner(file, data, format, n_signals, sample_offset, max_samples)
    }));
    match result {
        Ok(r) => r,
        Err(_) => Err(flac_err("the FLAC decoder failed on malformed data".into())),
    }
}

fn decode_inner(
    file: &str,
    data: &[u8],
    format: SignalFormat,
    n_signals: usize,
    sample_offset: u64,
    max_samples: u64,
) -> Result<FlacChannels> {
    let flac_err = |offset: u64, message: String| Error::Flac {
        file: file.to_string(),
        offset,
        message,
    };
    let mut reader = claxon::FlacReader::new(Cursor::new(data))
        .map_err(|e| flac_err(0, format!("cannot read the stream header: {e}")))?;
    let info = reader.streaminfo();
    if info.channels as usize != n_signals {
        return Err(flac_err(
            0,
            format!(
                "the stream has {} channels, the header describes {n_signals} signals in \
                 this file",
                info.channels
            ),
        ));
    }
    if info.bits_per_sample > format.bits() {
        return Err(flac_err(
            0,
            format!(
                "the stream has {} bits per sample, format {} allows at most {}",
                info.bits_per_sample,
                format.code(),
                format.bits()
            ),
        ));
    }
    if let Some(total) = info.samples {
        let all = total.saturating_mul(n_signals as u64);
        if all > max_samples {
            return Err(Error::limit(file, "FLAC samples", all, max_samples));
        }
    }
    let capacity = info
        .samples
        .map(|t| t.saturating_sub(sample_offset).min(max_samples) as usize)
        .unwrap_or(0);
    let mut channels: Vec<Vec<i32>> = (0..n_signals)
        .map(|_| Vec::with_capacity(capacity))
        .collect();
    let mut skip = sample_offset;
    let mut total: u64 = 0;
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    loop {
        let block = match blocks.read_next_or_eof(buffer) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                return Err(flac_err(
                    0,
                    format!("decoding failed after {total} samples per channel: {e}"),
                ));
            }
        };
        let len = block.duration() as u64;
        total += len;
        if total.saturating_mul(n_signals as u64) > max_samples.saturating_add(sample_offset) {
            return Err(Error::limit(
                file,
                "FLAC samples",
                total.saturating_mul(n_signals as u64),
                max_samples,
            ));
        }
        let drop = skip.min(len) as usize;
        skip -= drop as u64;
        for (c, out) in channels.iter_mut().enumerate() {
            out.extend_from_slice(&block.channel(c as u32)[drop..]);
        }
        buffer = block.into_buffer();
    }
    Ok(FlacChannels { channels })
}
