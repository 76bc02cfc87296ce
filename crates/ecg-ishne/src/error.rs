//! The error type of `ecg-ishne`: every variant names the byte offset or header field
//! that is wrong.

/// Errors raised while decoding ISHNE 1.0 Holter and annotation files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is shorter than the part being read.
    #[error("file too short: {what} needs {needed} bytes but the file has {actual}")]
    TooShort {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The magic number (bytes 0..8) is not the expected one.
    #[error(
        "not an ISHNE {kind} file: magic number (bytes 0..8) is {found:?}, expected {expected:?}"
    )]
    Magic {
        /// `Holter` or `annotation`.
        kind: &'static str,
        /// The 8 bytes, escaped.
        found: String,
        /// The expected magic.
        expected: &'static str,
    },
    /// The header CRC (byte offset 8) does not match the header bytes.
    #[error(
        "header CRC mismatch: byte offset 8 holds 0x{stored:04X} but CRC-CCITT of bytes 10..{end} is 0x{computed:04X}"
    )]
    Crc {
        /// Stored CRC.
        stored: u16,
        /// Computed CRC.
        computed: u16,
        /// End of the CRC'd range (start of the ECG or annotation data).
        end: u64,
    },
    /// A header field holds an impossible value.
    #[error("header field {field} at byte offset {offset}: {value} is not {expected}")]
    Field {
        /// Field name.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// The value found.
        value: i64,
        /// What it should be.
        expected: &'static str,
    },
    /// The ECG block is shorter than the header's sample count says.
    #[error(
        "ECG data truncated: the header (byte offset 14) says {stated} samples per lead x {leads} leads from byte {offset}, but the file holds {available} complete sample frames"
    )]
    Truncated {
        /// Samples per lead stated by the header.
        stated: u64,
        /// Number of leads.
        leads: usize,
        /// ECG block offset.
        offset: u64,
        /// Complete frames present.
        available: u64,
    },
    /// Decoding would allocate more samples than [`ecg_core::Limits::max_samples`].
    #[error("{what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was being allocated.
        what: &'static str,
        /// The requested amount.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The record model refused something.
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}

/// Result alias for `ecg-ishne`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
