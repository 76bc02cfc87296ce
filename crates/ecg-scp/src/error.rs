//! [`Error`]: everything that can go wrong while detecting or decoding an SCP-ECG record.
//!
//! Byte offsets are 0-based offsets into the file (the standard counts bytes from 1; add
//! one to compare with its tables).

/// Errors of the SCP-ECG reader. Each variant says where (section, byte offset, lead) and
/// what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file has no bytes at all.
    #[error("the file is empty (an SCP-ECG record needs at least 22 bytes)")]
    Empty,
    /// Too few bytes for the record header and the section 0 header.
    #[error("{len} bytes are too few for an SCP-ECG record (at least {needed} needed)")]
    TooShort {
        /// File length.
        len: usize,
        /// Minimum length.
        needed: usize,
    },
    /// The bytes are not an SCP-ECG record (no section 0 where the standard puts it).
    #[error("not an SCP-ECG record: {reason}")]
    NotScp {
        /// What did not match.
        reason: String,
    },
    /// The bytes look like an SCP-ECG export but break the standard's structure in ways
    /// that cannot be decoded reliably (for example 0-based section pointers).
    #[error("not EN 1064 conformant: {reason}")]
    NonConformant {
        /// What breaks the standard.
        reason: String,
    },
    /// The record length field promises more bytes than the file has.
    #[error(
        "truncated record: the record length field (byte offset 2) says {declared} bytes but the file has {actual}"
    )]
    Truncated {
        /// Record length declared at byte offset 2.
        declared: u64,
        /// Bytes actually present.
        actual: usize,
    },
    /// The CRC of the whole record does not match (strict mode).
    #[error(
        "record CRC mismatch: stored 0x{stored:04X} at byte offset 0, computed 0x{computed:04X} over byte offsets 2..{end}"
    )]
    RecordCrc {
        /// CRC stored in the file.
        stored: u16,
        /// CRC computed over the record.
        computed: u16,
        /// End (exclusive) of the CRC'd range.
        end: usize,
    },
    /// The CRC of one section does not match (strict mode).
    #[error(
        "section {section} CRC mismatch: stored 0x{stored:04X} at byte offset {offset}, computed 0x{computed:04X}"
    )]
    SectionCrc {
        /// Section id.
        section: u16,
        /// Byte offset of the section (its CRC field).
        offset: usize,
        /// CRC stored in the section header.
        stored: u16,
        /// CRC computed over the section.
        computed: u16,
    },
    /// A section 0 pointer (or the header it points to) is unusable.
    #[error("section 0 pointer to section {section} (entry at byte offset {offset}): {what}")]
    Pointer {
        /// Section id of the pointer entry.
        section: u16,
        /// Byte offset of the pointer entry in section 0.
        offset: usize,
        /// What is wrong.
        what: String,
    },
    /// A section the decoder needs is absent.
    #[error("section {section} is missing: {why}")]
    MissingSection {
        /// Section id.
        section: u16,
        /// Why it is needed.
        why: &'static str,
    },
    /// A section's content does not follow the standard's layout.
    #[error("section {section}, byte offset {offset}: expected {expected}")]
    Malformed {
        /// Section id.
        section: u16,
        /// Byte offset of the offending field.
        offset: usize,
        /// What the standard requires there (and what was found).
        expected: String,
    },
    /// Huffman-coded lead data could not be decoded.
    #[error("section {section}, lead {lead} (data at byte offset {offset}), bit {bit}: {what}")]
    Huffman {
        /// Section id (5 or 6).
        section: u16,
        /// Lead number (1-based, in section 3 order).
        lead: usize,
        /// Byte offset where the lead's data starts.
        offset: usize,
        /// Bit position within the lead's data.
        bit: u64,
        /// What went wrong.
        what: String,
    },
    /// A feature the file uses that this reader does not implement.
    #[error("section {section}: {what} is not supported")]
    Unsupported {
        /// Section id.
        section: u16,
        /// The feature.
        what: String,
    },
    /// Decoding would exceed the caller's resource limits.
    #[error("{what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was to be allocated.
        what: &'static str,
        /// Requested amount.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// Reading the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ecg_core::Error> for Error {
    fn from(e: ecg_core::Error) -> Self {
        match e {
            ecg_core::Error::Io { path, source } => Error::Io { path, source },
            ecg_core::Error::LimitExceeded {
                what,
                requested,
                limit,
            } => Error::LimitExceeded {
                what,
                requested,
                limit,
            },
            other => Error::Io {
                path: String::new(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}
