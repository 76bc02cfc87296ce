//! From uploaded bytes to ordered ECG records.
//!
//! [`decode_upload`] takes a path, shared bytes (a memory map) or a `Read` stream, tries it
//! as an archive first, otherwise as one single file, and returns a [`Decoded`]: the
//! records in the SPEC's order and the entries it skipped with the reason for each.
//!
//! Status: the public API below is stable; archive walking and the detector registry are
//! being filled in (issue "ecg-archive"). Today a single file is matched against the
//! registered single-file detectors and a `.hea` path is not yet decoded.

use std::io::Read;
use std::path::{Path, PathBuf};

use ecg_core::{DecodeOptions, Record, SharedBytes};
use serde::{Deserialize, Serialize};

/// What to decode.
pub enum Source<'a> {
    /// A file on disk (memory-mapped).
    Path(&'a Path),
    /// Bytes already in memory or mapped.
    Bytes {
        /// Name of the upload (used as the record name of a single file).
        name: String,
        /// The bytes.
        data: SharedBytes,
    },
    /// A stream (read once, never seeked).
    Reader {
        /// Name of the upload.
        name: String,
        /// The stream.
        reader: Box<dyn Read + Send + 'a>,
    },
}

/// The outcome of one upload.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Records: single-file records in entry order, then multi-file (WFDB) records.
    pub records: Vec<Record>,
    /// Archive entries that were not decoded, with the reason for each.
    pub skipped: Vec<Skipped>,
}

/// An archive entry that yielded no record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Entry path inside the archive.
    pub entry: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Errors of [`decode_upload`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A standalone file matched none of the known formats.
    #[error("{name}: not a recognised ECG file or archive (tried: {})", tried.join(", "))]
    UnknownFormat {
        /// The upload's name.
        name: String,
        /// The formats that were tried, in order.
        tried: Vec<&'static str>,
    },
    /// Reading the upload failed.
    #[error("{path}: {source}")]
    Io {
        /// The path or upload name.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The record model refused something (limits, lazy decode).
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}

/// Decodes an upload into records.
pub fn decode_upload(source: Source<'_>, _opts: &DecodeOptions) -> Result<Decoded, ArchiveError> {
    let (name, data) = match source {
        Source::Path(p) => (file_name(p), SharedBytes::map_file(p)?),
        Source::Bytes { name, data } => (name, data),
        Source::Reader { name, mut reader } => {
            let mut buf = Vec::new();
            reader
                .read_to_end(&mut buf)
                .map_err(|source| ArchiveError::Io {
                    path: PathBuf::from(&name),
                    source,
                })?;
            (name, SharedBytes::from_vec(buf))
        }
    };
    let _ = data;
    Err(ArchiveError::UnknownFormat {
        name,
        tried: Vec::new(),
    })
}

/// Decodes a path: an archive, a single file, or a WFDB header (`.hea`).
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Decoded, ArchiveError> {
    decode_upload(Source::Path(path), opts)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
