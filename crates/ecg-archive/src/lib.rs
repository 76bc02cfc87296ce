//! From uploaded bytes to ordered ECG records.
//!
//! [`decode_upload`] takes a path, shared bytes (a memory map) or a `Read` stream, tries it
//! as an archive first, otherwise as one single file, and returns a [`Decoded`]: the
//! records in the SPEC's order and the entries it skipped with the reason for each.
//!
//! ```
//! use ecg_archive::{Source, decode_upload};
//! use ecg_core::{DecodeOptions, SharedBytes};
//!
//! // A tar archive (built here in memory) with one file no decoder recognises.
//! let mut tar = vec![0u8; 1536];
//! tar[..9].copy_from_slice(b"notes.txt");
//! tar[100..108].copy_from_slice(b"0000644\0");
//! tar[124..136].copy_from_slice(b"00000000005\0");
//! tar[156] = b'0';
//! tar[257..263].copy_from_slice(b"ustar\0");
//! tar[263..265].copy_from_slice(b"00");
//! tar[148..156].copy_from_slice(b"        ");
//! let sum: u32 = tar[..512].iter().map(|&b| u32::from(b)).sum();
//! tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
//! tar[512..517].copy_from_slice(b"hello");
//!
//! let source = Source::Bytes { name: "upload.tar".into(), data: SharedBytes::from_vec(tar) };
//! let decoded = decode_upload(source, &DecodeOptions::default())?;
//! assert!(decoded.records.is_empty());
//! assert_eq!(decoded.skipped[0].entry, "notes.txt");
//! # Ok::<(), ecg_archive::ArchiveError>(())
//! ```
//!
//! # Behaviour
//!
//! - **Archive first.** The upload's first bytes are matched against the archive magic
//!   numbers of the SPEC's table ([`probe()`]); only those go to an archive engine, so
//!   libarchive's other readers (mtree, cpio, ISO, ...) never claim an ECG file. A
//!   gzip/bzip2/xz/LZ4/Zstandard stream that does not hold a tar is treated as a single
//!   file.
//! - **Single files** are matched against the detector registry
//!   ([`SINGLE_FILE_FORMATS`]) in the SPEC's order (EDF, then SCP-ECG, then later
//!   formats); the first match decodes the file. A standalone upload that matches nothing
//!   is [`ArchiveError::UnknownFormat`] naming what was tried; an unknown entry inside an
//!   archive is listed in [`Decoded::skipped`] with its reason.
//! - **WFDB** entries are grouped by directory (everything before the last `/`). Each
//!   `.hea` header of a group is one record, resolving its signal files by name from that
//!   group's pool only; two headers may share a `.dat`; groups are independent even when
//!   names repeat. Segment headers of a multi-segment record are read through their
//!   master header and are not records of their own. WFDB is decoded after the walk.
//! - **Order:** single-file records in entry order, then WFDB records in the entry order
//!   of their headers. Single files are decoded in parallel (rayon) while the walk goes
//!   on; WFDB headers in parallel after it.
//! - **Nested archives** are opened one level deep ([`MAX_NESTING`]): the entries of a
//!   `.zip` inside the upload are named `inner.zip/<entry>`; an archive inside that one
//!   is listed as skipped. A nested archive that fails to open is skipped with the
//!   reason (entries read before the failure are kept); limit errors always stop the
//!   whole upload.
//! - **Errors inside an archive:** an entry a decoder claimed but failed to decode is
//!   listed as skipped with the decoder's error. A standalone single file whose decoder
//!   fails is [`ArchiveError::Decode`].
//!
//! # Engines: which one reads which row of the SPEC's table
//!
//! | Archive | Engine |
//! |---|---|
//! | ZIP: Store, Deflate, bzip2, LZMA, xz, Zstandard (and PPMd) | libarchive (`compress-tools`) |
//! | ZIP with any Deflate64 entry (method 9; libarchive has no decoder) | the `zip` crate, whole archive |
//! | TAR plain, .tar.gz, .tar.bz2, .tar.xz, .tar.lz4, .tar.zst | libarchive |
//! | 7-Zip: LZMA, LZMA2, bzip2, Deflate | libarchive |
//! | RAR 4.x (LZ, PPMd, solid) and RAR 5.0 (LZ, DELTA/x86/ARM filters, solid, volumes) | UnRAR (`unrar` crate) |
//!
//! Routing is by probing: the magic bytes choose RAR vs the rest; for a seekable ZIP the
//! central directory is read first (with the `zip` crate) and decides between libarchive
//! and the `zip` crate. Debian's libarchive 3.6.2 fails RAR 4 solid archives and some
//! RAR 4 PPMd/LZSS files (CRC errors), so all RAR goes to the reference decoder. UnRAR
//! opens archives by path: a RAR held in memory is given to it as an anonymous in-memory
//! file (Linux `memfd`), never written to disk. A RAR 5 multi-volume set is read when
//! its first volume is given as a path with the other volumes beside it.
//!
//! # Safety
//!
//! - Streaming: nothing is extracted to disk. An archive file is read, not mapped; only
//!   the entry being read is held in memory (decoders need whole files), up to
//!   `max_entry_bytes`. Entries are kept (as [`SharedBytes`]) for the records that
//!   reference them, and WFDB candidates until the walk ends, so memory is bounded by
//!   `max_total_bytes`.
//! - [`Limits`] are enforced while decompressing: entry count, bytes
//!   per entry, total bytes, and the compression ratio (uncompressed bytes of an entry
//!   over the compressed bytes the engine consumed for it, checked once the entry passes
//!   `ratio_threshold_bytes`). Sizes an archive declares (ZIP central directory, tar/7z
//!   headers, RAR headers) are checked before decompressing, so a ZIP bomb is refused
//!   without inflating a byte. UnRAR never writes more than an entry's declared size.
//! - Corrupt, truncated and encrypted archives give [`ArchiveError::Corrupt`],
//!   [`ArchiveError::Truncated`], [`ArchiveError::Encrypted`]; never a panic.
//! - Entry names are only labels: [`normalize_entry_name`] removes leading `/`, `.` and
//!   `..` segments; invalid UTF-8 becomes U+FFFD. Symbolic links are listed as skipped,
//!   never followed.
//! - A non-seekable stream is walked in streaming mode (tar.*, ZIP via local headers);
//!   7-Zip and RAR streams are [`ArchiveError::NeedsRandomAccess`].
//!
//! # Tests
//!
//! `cargo test -p ecg-archive` runs every fixture of `../shared/testdata/archives/` and
//! `testdata/archives/`. The heavy checks (the 241 MB RAR PPMd file read in full) run
//! with `cargo test --release -p ecg-archive -- --ignored`.

#![forbid(unsafe_op_in_unsafe_fn)]

mod budget;
mod decode;
mod error;
mod format_error;
mod input;
mod libarchive_engine;
pub mod probe;
mod rar_engine;
mod registry;
mod walk;
mod wfdb_groups;
mod zip_engine;

use std::io::Read;
use std::path::{Path, PathBuf};

use ecg_core::{DecodeOptions, Limits, Record, SharedBytes};
use serde::{Deserialize, Serialize};

pub use error::{ArchiveError, Engine, LimitKind};
pub use format_error::FormatError;
pub use probe::{ArchiveFormat, probe};
pub use registry::{DecodeFn, SINGLE_FILE_FORMATS, SingleFileFormat, single_file_format_names};
pub use walk::{EntryKind, MAX_NESTING, WalkSummary, WalkedEntry, normalize_entry_name};
pub use wfdb_groups::GroupPool;

use decode::{Decoders, decode_archive};
use registry::{Detection, detect_and_decode};
use walk::{Body, Opened, WalkError, open, walk_archive};

/// What to decode.
pub enum Source<'a> {
    /// A file on disk (archives are read as a stream; single files are memory-mapped).
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
    /// Archive entries that were not decoded, with the reason for each, in entry order.
    pub skipped: Vec<Skipped>,
    /// The archive that was walked; `None` for a single-file upload.
    pub archive: Option<WalkSummary>,
}

/// An archive entry that yielded no record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Entry path inside the archive (made safe by [`normalize_entry_name`]).
    pub entry: String,
    /// Why it was skipped.
    pub reason: String,
}

fn decoders() -> Decoders<'static> {
    Decoders {
        formats: SINGLE_FILE_FORMATS,
        wfdb: Some((ecg_wfdb::is_header, wfdb_groups::decode_wfdb)),
    }
}

/// Decodes an upload into records.
pub fn decode_upload(source: Source<'_>, opts: &DecodeOptions) -> Result<Decoded, ArchiveError> {
    decode_with(source, opts, decoders())
}

pub(crate) fn decode_with(
    source: Source<'_>,
    opts: &DecodeOptions,
    decoders: Decoders<'_>,
) -> Result<Decoded, ArchiveError> {
    let path: Option<PathBuf> = match &source {
        Source::Path(p) => Some(p.to_path_buf()),
        _ => None,
    };
    match open(source, &opts.limits)? {
        Opened::Single { name, data } => {
            decode_single(&name, data, path.as_deref(), opts, decoders)
        }
        Opened::Archive { name, format, body } => {
            let fallback = match &body {
                Body::Bytes(b) => Some(b.clone()),
                _ => None,
            };
            match decode_archive(&name, format, body, opts, decoders)? {
                Ok(decoded) => Ok(decoded),
                Err(not_tar) => {
                    let data = match (fallback, &path) {
                        (Some(b), _) => b,
                        (None, Some(p)) => SharedBytes::map_file(p)?,
                        (None, None) => {
                            return Err(ArchiveError::Unsupported {
                                archive: name,
                                entry: None,
                                message: format!(
                                    "{format} stream without a tar archive inside ({})",
                                    not_tar.message
                                ),
                            });
                        }
                    };
                    decode_single(&name, data, path.as_deref(), opts, decoders)
                }
            }
        }
    }
}

fn decode_single(
    name: &str,
    data: SharedBytes,
    path: Option<&Path>,
    opts: &DecodeOptions,
    decoders: Decoders<'_>,
) -> Result<Decoded, ArchiveError> {
    // a WFDB header on its own: its signal files sit beside it (a path), or nowhere
    if let Some((is_header, decode)) = decoders.wfdb
        && is_header(name, &data)
    {
        let record = match path {
            Some(p) => ecg_wfdb::decode_path(p, opts).map_err(FormatError::from),
            None => {
                let mut pool = wfdb_groups::GroupPool::default();
                pool.insert(name, data);
                decode(name, &pool, opts)
            }
        };
        return match record {
            Ok(record) => Ok(Decoded {
                records: vec![record],
                ..Decoded::default()
            }),
            Err(source) => Err(ArchiveError::Decode {
                name: name.to_owned(),
                source,
            }),
        };
    }
    match detect_and_decode(decoders.formats, name, data, opts) {
        Detection::Decoded(record) => Ok(Decoded {
            records: vec![*record],
            ..Decoded::default()
        }),
        Detection::Failed(source) => Err(ArchiveError::Decode {
            name: name.to_owned(),
            source,
        }),
        Detection::Unrecognised => Err(ArchiveError::UnknownFormat {
            name: name.to_owned(),
            tried: decoders.tried(),
        }),
    }
}

/// Decodes a path: an archive, a single file, or a WFDB header (`.hea`).
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Decoded, ArchiveError> {
    decode_upload(Source::Path(path), opts)
}

/// Walks an archive without decoding: every entry (directories, links and nested
/// archives' entries included) goes to `visit` in archive order, under the same limits
/// as [`decode_upload`]. An upload that is not an archive is
/// [`ArchiveError::NotAnArchive`].
pub fn walk_upload(
    source: Source<'_>,
    limits: &Limits,
    mut visit: impl FnMut(WalkedEntry) -> Result<(), ArchiveError>,
) -> Result<WalkSummary, ArchiveError> {
    let (name, format, body) = match open(source, limits)? {
        Opened::Archive { name, format, body } => (name, format, body),
        Opened::Single { name, .. } => {
            return Err(ArchiveError::NotAnArchive {
                name,
                message: None,
            });
        }
    };
    let mut budget = budget::Budget::new(&name, *limits);
    match walk_archive(format, body, &mut budget, &mut visit) {
        Ok(engine) => Ok(WalkSummary {
            format,
            engine,
            entries: budget.entries(),
            bytes: budget.total_out(),
        }),
        Err(WalkError::Fatal(e)) => Err(e),
        Err(WalkError::NotAnArchive(message)) => Err(ArchiveError::NotAnArchive {
            name,
            message: Some(message),
        }),
    }
}
