//! [`Error`]: everything that can go wrong reading or writing WFDB files. Every variant
//! names the file it concerns and the line (headers) or byte offset (signal and
//! annotation files) where the problem is.

/// Errors of `ecg-wfdb`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A header line that does not follow the WFDB header syntax.
    #[error("{file}, line {line}: {message}")]
    Header {
        /// The header file.
        file: String,
        /// 1-based line number (the line after the last one for a premature end).
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A signal format code that WFDB does not define (or this crate cannot decode).
    #[error("{file}, line {line}: unknown signal format `{code}`")]
    UnknownFormat {
        /// The header file.
        file: String,
        /// 1-based line number of the signal line.
        line: usize,
        /// The format field as written.
        code: String,
    },
    /// A file the header refers to (signal file or segment header) is not available.
    #[error("{file}, line {line}: `{missing}` is missing")]
    MissingFile {
        /// The header that refers to the file.
        file: String,
        /// 1-based line number of the reference.
        line: usize,
        /// The name of the missing file.
        missing: String,
    },
    /// The header file asked for is not in the pool (or not on disk).
    #[error("`{file}` is not in the file pool")]
    NoHeader {
        /// The header's file name.
        file: String,
    },
    /// A signal file holds fewer samples than its header states.
    #[error(
        "{file}: truncated at byte offset {offset}: the header ({header}, line {line}) \
         needs {expected_frames} frames, the file holds {available_frames}"
    )]
    Truncated {
        /// The signal file.
        file: String,
        /// Byte offset (from the start of the file) where the data ends.
        offset: u64,
        /// The header file.
        header: String,
        /// 1-based line number of the first signal line of this file.
        line: usize,
        /// Frames the header states.
        expected_frames: u64,
        /// Complete frames the file holds.
        available_frames: u64,
    },
    /// A signal's samples do not add up to the checksum its header states.
    #[error(
        "{file}, line {line}: checksum mismatch for signal {signal} ({label}): the header \
         says {expected}, the samples in {data_file} sum to {computed}"
    )]
    Checksum {
        /// The header file.
        file: String,
        /// 1-based line number of the signal line.
        line: usize,
        /// The signal file.
        data_file: String,
        /// 0-based signal number.
        signal: usize,
        /// The signal's description.
        label: String,
        /// Checksum stated by the header (16-bit, signed).
        expected: i32,
        /// Checksum of the samples (16-bit, signed).
        computed: i32,
    },
    /// The input asks for more than the caller's limits allow.
    #[error("{file}: {what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// The file whose content asked for it.
        file: String,
        /// What was being counted.
        what: &'static str,
        /// The amount asked for.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A malformed MIT annotation file.
    #[error("{file}, byte offset {offset}: {message}")]
    Annotation {
        /// The annotation file.
        file: String,
        /// Byte offset of the offending word.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A FLAC-compressed signal file that cannot be decoded.
    #[error("{file}, byte offset {offset}: FLAC: {message}")]
    Flac {
        /// The signal file.
        file: String,
        /// Byte offset (0 when the decoder does not say where).
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A multi-segment record whose segments do not fit together.
    #[error("{file}, line {line}: {message}")]
    Segment {
        /// The master header (or the segment header at fault).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A record or annotation set that cannot be written in WFDB form.
    #[error("cannot write {file}: {message}")]
    Write {
        /// The file being written.
        file: String,
        /// Why.
        message: String,
    },
    /// An I/O error with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error of the record model (sample windows, lazy sources).
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}

/// Result alias for `ecg-wfdb`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A header syntax error.
    pub(crate) fn header(file: &str, line: usize, message: impl Into<String>) -> Self {
        Error::Header {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }

    /// The caller's sample limit would be exceeded.
    pub(crate) fn limit(file: &str, what: &'static str, requested: u64, limit: u64) -> Self {
        Error::LimitExceeded {
            file: file.to_string(),
            what,
            requested,
            limit,
        }
    }
}
