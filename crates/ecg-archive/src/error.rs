//! [`ArchiveError`]: everything that can stop an upload from being decoded.

use std::fmt;
use std::path::PathBuf;

use crate::format_error::FormatError;

/// Which archive reader produced an error or read an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// libarchive through `compress-tools` (the main engine).
    Libarchive,
    /// The `zip` crate (ZIP archives with Deflate64 entries).
    ZipCrate,
    /// The official UnRAR library through the `unrar` crate (RAR 4.x and 5.0).
    Unrar,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Libarchive => "libarchive",
            Engine::ZipCrate => "zip",
            Engine::Unrar => "unrar",
        })
    }
}

/// The [`ecg_core::Limits`] field an upload exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// `max_total_bytes`: uncompressed bytes of the whole upload.
    TotalBytes,
    /// `max_entry_bytes`: uncompressed bytes of one entry.
    EntryBytes,
    /// `max_entries`: number of entries.
    Entries,
    /// `max_ratio`: uncompressed/compressed ratio (zip bomb).
    Ratio,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::TotalBytes => "total uncompressed bytes (max_total_bytes)",
            LimitKind::EntryBytes => "uncompressed bytes of one entry (max_entry_bytes)",
            LimitKind::Entries => "number of entries (max_entries)",
            LimitKind::Ratio => "compression ratio (max_ratio)",
        })
    }
}

/// Errors of [`crate::decode_upload`] and [`crate::walk_upload`].
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
    /// The upload exceeds one of the caller's [`ecg_core::Limits`] (zip bomb, too many
    /// entries, ...). Raised as soon as the bound is crossed, before more is decompressed.
    #[error("{archive}: {}{kind}: {value} exceeds the limit of {limit}{}",
        entry.as_ref().map(|e| format!("entry {e}: ")).unwrap_or_default(),
        if *declared { " (declared by the archive header)" } else { "" })]
    LimitExceeded {
        /// The upload's name.
        archive: String,
        /// The entry being read, when the limit concerns one entry.
        entry: Option<String>,
        /// Which limit.
        kind: LimitKind,
        /// The value reached (bytes, entries or ratio).
        value: u64,
        /// The limit in force.
        limit: u64,
        /// True when the value comes from the archive's own header (refused before
        /// decompressing), false when it was measured while decompressing.
        declared: bool,
    },
    /// The archive or one of its entries is encrypted or password-protected.
    #[error("{archive}: {} encrypted (password-protected archives are not supported)",
        entry.as_ref().map(|e| format!("entry {e} is")).unwrap_or_else(|| "archive is".into()))]
    Encrypted {
        /// The upload's name.
        archive: String,
        /// The encrypted entry, when the archive lists it.
        entry: Option<String>,
    },
    /// The archive ends before its data does.
    #[error("{archive}: truncated archive{} ({engine}: {message})",
        entry.as_ref().map(|e| format!(" at entry {e}")).unwrap_or_default())]
    Truncated {
        /// The upload's name.
        archive: String,
        /// The entry being read.
        entry: Option<String>,
        /// The engine that noticed.
        engine: Engine,
        /// The engine's message.
        message: String,
    },
    /// The archive is damaged (bad header, CRC mismatch, invalid compressed data).
    #[error("{archive}: corrupt archive{} ({engine}: {message})",
        entry.as_ref().map(|e| format!(" at entry {e}")).unwrap_or_default())]
    Corrupt {
        /// The upload's name.
        archive: String,
        /// The entry being read.
        entry: Option<String>,
        /// The engine that noticed.
        engine: Engine,
        /// The engine's message.
        message: String,
    },
    /// The archive uses a feature none of the engines reads.
    #[error("{archive}: unsupported{}: {message}",
        entry.as_ref().map(|e| format!(" entry {e}")).unwrap_or_default())]
    Unsupported {
        /// The upload's name.
        archive: String,
        /// The entry concerned.
        entry: Option<String>,
        /// What is not supported.
        message: String,
    },
    /// The archive format keeps its directory at the end (7-Zip, RAR) and the upload was
    /// given as a non-seekable stream. Pass a path or bytes instead.
    #[error("{name}: {format} archives need random access; pass a path or bytes, not a stream")]
    NeedsRandomAccess {
        /// The upload's name.
        name: String,
        /// The archive format.
        format: crate::probe::ArchiveFormat,
    },
    /// [`crate::walk_upload`] was given something that is not an archive.
    #[error("{name}: not an archive{}", message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
    NotAnArchive {
        /// The upload's name.
        name: String,
        /// The engine's message, when an engine tried.
        message: Option<String>,
    },
    /// A standalone single file was recognised but its decoder failed.
    #[error("{name}: {source}")]
    Decode {
        /// The upload's name.
        name: String,
        /// The decoder's error.
        #[source]
        source: FormatError,
    },
}

impl ArchiveError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ArchiveError::Io {
            path: path.into(),
            source,
        }
    }

    /// Classifies an engine's message into a typed error.
    pub(crate) fn from_engine(
        archive: &str,
        entry: Option<&str>,
        engine: Engine,
        message: String,
    ) -> Self {
        let lower = message.to_ascii_lowercase();
        let archive = archive.to_owned();
        let entry = entry.map(str::to_owned);
        if lower.contains("passphrase") || lower.contains("encrypt") || lower.contains("password") {
            ArchiveError::Encrypted { archive, entry }
        } else if lower.contains("truncated")
            || lower.contains("unexpected eof")
            || lower.contains("unexpected end")
            || lower.contains("premature end")
        {
            ArchiveError::Truncated {
                archive,
                entry,
                engine,
                message,
            }
        } else if lower.contains("unsupported") || lower.contains("not supported") {
            ArchiveError::Unsupported {
                archive,
                entry,
                message: format!("{engine}: {message}"),
            }
        } else {
            ArchiveError::Corrupt {
                archive,
                entry,
                engine,
                message,
            }
        }
    }
}
