//! Format detection ([`Detector`]) and the caller's resource bounds ([`Limits`],
//! [`DecodeOptions`]).

use serde::{Deserialize, Serialize};

/// How sure a detector is that bytes are in its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidence {
    /// Not this format.
    No,
    /// Plausible but not verified (e.g. a header that parses but no checksum).
    Maybe,
    /// Verified (magic, checksums and internal consistency).
    Certain,
}

/// One single-file format's detector. The archive crate keeps the registry and tries
/// detectors in the SPEC's order (EDF, SCP, then later formats); the first that does not
/// answer [`Confidence::No`] decodes the file.
pub trait Detector: Send + Sync {
    /// Short format name (`edf`, `scp`, ...), used in messages and JSON.
    fn name(&self) -> &'static str;

    /// Looks at the whole file (memory-mapped or in memory) and says whether it is this
    /// format. Must be cheap for non-matching input and must never panic.
    fn detect(&self, data: &[u8]) -> Confidence;
}

/// Resource bounds passed down by every caller, so hostile input is refused with an
/// error instead of exhausting memory or disk.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Total uncompressed bytes of all entries of one upload.
    pub max_total_bytes: u64,
    /// Uncompressed bytes of one archive entry.
    pub max_entry_bytes: u64,
    /// Entries in one archive.
    pub max_entries: u64,
    /// Uncompressed/compressed ratio above which an entry is treated as a bomb (applies
    /// once an entry exceeds [`Limits::ratio_threshold_bytes`]).
    pub max_ratio: u64,
    /// Entry size below which the ratio is not checked.
    pub ratio_threshold_bytes: u64,
    /// Samples of one record (all signals together) a decoder may allocate.
    pub max_samples: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 30,
            max_entry_bytes: 16 << 30,
            max_entries: 100_000,
            max_ratio: 1_000,
            ratio_threshold_bytes: 64 << 20,
            // 7 days x 12 leads x 1000 Hz is 7.3e9; the default allows that and no more.
            max_samples: 8_000_000_000,
        }
    }
}

/// Options every decoder accepts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecodeOptions {
    /// Resource bounds.
    pub limits: Limits,
    /// Strict mode refuses checksum/CRC errors; lenient mode decodes with a warning.
    pub strict: bool,
    /// Sampling frequency in Hz to assume for files that do not state one (a CSV table
    /// without a time column); it comes from the task's metadata. Formats that carry their
    /// own frequency ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_frequency_hint: Option<f64>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            limits: Limits::default(),
            strict: true,
            sampling_frequency_hint: None,
        }
    }
}

impl DecodeOptions {
    /// Lenient options (checksum errors become warnings).
    pub fn lenient() -> Self {
        DecodeOptions {
            strict: false,
            ..Default::default()
        }
    }
}
