//! The error type of `ecg-core`.

use std::ops::Range;

/// Errors raised by the record model itself (windows, conversions, lazy sample sources).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A window asked for samples the signal does not have.
    #[error("sample range {}..{} is outside the signal's {len} samples", range.start, range.end)]
    OutOfRange {
        /// The requested range.
        range: Range<usize>,
        /// The signal's sample count.
        len: usize,
    },
    /// No signal at this index.
    #[error("no signal at index {index} (the record has {count})")]
    NoSuchSignal {
        /// The requested index.
        index: usize,
        /// How many signals the record has.
        count: usize,
    },
    /// Signals of different sampling frequencies cannot share one sample axis.
    #[error(
        "signal {a} ({fs_a} Hz) and signal {b} ({fs_b} Hz) have different sampling frequencies"
    )]
    MixedRates {
        /// First signal index.
        a: usize,
        /// Its sampling frequency.
        fs_a: f64,
        /// Second signal index.
        b: usize,
        /// Its sampling frequency.
        fs_b: f64,
    },
    /// A request would need more memory than the caller's limits allow.
    #[error("{what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was being allocated.
        what: &'static str,
        /// The requested amount.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A lazy sample source failed to decode (e.g. a memory-mapped file was truncated).
    #[error("decoding samples of {signal} failed at sample {sample}: {message}")]
    Source {
        /// Signal label or file name.
        signal: String,
        /// First sample of the failing read.
        sample: usize,
        /// What went wrong.
        message: String,
    },
    /// An I/O error with the path it concerned.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias for `ecg-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
