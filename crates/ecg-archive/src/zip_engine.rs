//! ZIP central-directory probe and the `zip` crate engine.
//!
//! Every seekable ZIP is first probed here: the central directory states each entry's
//! sizes, method and encryption flag, so entry-count, size and ratio limits and
//! encryption are refused before anything is decompressed. Archives with an entry in a
//! method Debian's libarchive 3.6.2 cannot decode (Deflate64, method 9) are then read
//! entirely by the `zip` crate; all others by libarchive.

use std::io::{Read, Seek};

use zip::{CompressionMethod, ZipArchive};

use crate::budget::Budget;
use crate::error::{ArchiveError, Engine};
use crate::walk::{EntryKind, RawEntry, Sink, WalkError};

/// Methods libarchive 3.6.2 reads in ZIP: Store, Deflate, BZip2, LZMA, Zstandard, XZ, PPMd.
fn libarchive_reads(method: CompressionMethod) -> bool {
    matches!(
        method,
        CompressionMethod::Stored
            | CompressionMethod::Deflated
            | CompressionMethod::Bzip2
            | CompressionMethod::Lzma
            | CompressionMethod::Zstd
            | CompressionMethod::Xz
            | CompressionMethod::Ppmd
    )
}

/// What the central directory said.
pub(crate) struct ZipProbe {
    /// True when some entry needs the `zip` crate (libarchive cannot decode it).
    pub(crate) needs_zip_crate: bool,
}

fn zip_err(archive: &str, entry: Option<&str>, e: &zip::result::ZipError) -> ArchiveError {
    use zip::result::ZipError;
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ArchiveError::Truncated {
                archive: archive.to_owned(),
                entry: entry.map(str::to_owned),
                engine: Engine::ZipCrate,
                message: e.to_string(),
            }
        }
        other => ArchiveError::from_engine(archive, entry, Engine::ZipCrate, other.to_string()),
    }
}

/// Reads the central directory and checks it against the limits. `Ok(None)` when the
/// directory cannot be read (e.g. a truncated file): libarchive then tries its
/// streaming reader and reports what it finds.
pub(crate) fn probe<R: Read + Seek>(
    reader: R,
    budget: &Budget,
) -> Result<Option<ZipProbe>, ArchiveError> {
    let Ok(mut zip) = ZipArchive::new(reader) else {
        return Ok(None);
    };
    budget.check_declared_count(zip.len() as u64)?;
    let mut needs_zip_crate = false;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let file = zip
            .by_index_raw(i)
            .map_err(|e| zip_err(budget.archive(), None, &e))?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        if file.encrypted() {
            return Err(ArchiveError::Encrypted {
                archive: budget.archive().to_owned(),
                entry: Some(name),
            });
        }
        budget.check_declared(&name, file.size(), Some(file.compressed_size()))?;
        total = total.saturating_add(file.size());
        budget.check_declared("(all entries)", total, None)?;
        needs_zip_crate |= !file.is_dir() && !libarchive_reads(file.compression());
    }
    Ok(Some(ZipProbe { needs_zip_crate }))
}

/// Walks a ZIP with the `zip` crate, entry by entry in central-directory order.
pub(crate) fn walk<R: Read + Seek>(
    reader: R,
    budget: &mut Budget,
    sink: &mut Sink<'_>,
) -> Result<(), WalkError> {
    let archive = budget.archive().to_owned();
    let mut zip = ZipArchive::new(reader).map_err(|e| zip_err(&archive, None, &e))?;
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).map_err(|e| zip_err(&archive, None, &e))?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        let kind = if file.is_dir() {
            EntryKind::Directory
        } else if file.is_symlink() {
            EntryKind::Symlink
        } else {
            EntryKind::File
        };
        budget.begin_entry(&name, 0, Some(file.compressed_size()))?;
        budget.check_declared(&name, file.size(), Some(file.compressed_size()))?;
        let mut data = Vec::new();
        if kind == EntryKind::File {
            data.reserve(
                file.size()
                    .min(budget.limits().max_entry_bytes)
                    .min(256 << 20) as usize,
            );
            loop {
                let n = file
                    .read(&mut buf)
                    .map_err(|e| zip_err(&archive, Some(&name), &zip::result::ZipError::Io(e)))?;
                if n == 0 {
                    break;
                }
                budget.add(n as u64, None)?;
                data.extend_from_slice(&buf[..n]);
            }
        }
        drop(file);
        budget.end_entry();
        sink(RawEntry { name, kind, data }, budget)?;
    }
    Ok(())
}
