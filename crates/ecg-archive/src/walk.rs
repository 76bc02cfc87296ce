//! Opening an upload, routing it to an engine, and walking its entries (one level of
//! nested archives included), with entry names made safe.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ecg_core::{Limits, SharedBytes};
use serde::{Deserialize, Serialize};

use crate::Source;
use crate::budget::Budget;
use crate::error::{ArchiveError, Engine, LimitKind};
use crate::input::{ArchiveInput, RewindableStream};
use crate::probe::{ArchiveFormat, PROBE_BYTES, probe};
use crate::rar_engine::RarInput;
use crate::{libarchive_engine, rar_engine, zip_engine};

/// How deep archives inside archives are opened: an archive inside the upload is walked,
/// an archive inside that one is listed as skipped.
pub const MAX_NESTING: u8 = 1;

/// What an archive entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file; its bytes are in [`WalkedEntry::data`].
    File,
    /// A directory (no data).
    Directory,
    /// A symbolic link (never followed; its target is not read).
    Symlink,
    /// A device, FIFO or other special entry (no data).
    Other,
    /// An archive inside the upload that was opened: its entries follow it, named
    /// `<this entry's name>/<inner name>`. Its bytes are in `data`.
    Archive,
    /// An archive inside the upload that was not walked: too deeply nested, or it failed
    /// to open ([`WalkedEntry::note`] says why). Entries read before a failure were
    /// delivered already.
    UnopenedArchive,
}

/// One entry of an archive, delivered in archive order.
#[derive(Clone, Debug)]
pub struct WalkedEntry {
    /// Safe path inside the upload: `/`-separated, no leading `/`, no `.`/`..`
    /// segments, no empty segments. Entries of a nested archive are prefixed with the
    /// nested archive's own name.
    pub name: String,
    /// The name as the archive stores it (invalid UTF-8 replaced by U+FFFD).
    pub stored_name: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// The entry's bytes (files and archives; empty otherwise).
    pub data: SharedBytes,
    /// Nesting depth: 0 for entries of the upload itself.
    pub depth: u8,
    /// Why an [`EntryKind::UnopenedArchive`] was not walked.
    pub note: Option<String>,
}

/// What [`crate::walk_upload`] walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkSummary {
    /// The upload's archive format.
    pub format: ArchiveFormat,
    /// The engine that read it.
    pub engine: Engine,
    /// Entries walked (directories and nested entries included).
    pub entries: u64,
    /// Uncompressed bytes produced.
    pub bytes: u64,
}

/// An entry as an engine hands it over.
pub(crate) struct RawEntry {
    pub(crate) name: String,
    pub(crate) kind: EntryKind,
    pub(crate) data: Vec<u8>,
}

/// What engines call for each complete entry.
pub(crate) type Sink<'s> = dyn FnMut(RawEntry, &mut Budget) -> Result<(), ArchiveError> + 's;

/// An engine's failure: either the input did not open as an archive at all, or a real
/// error once it had.
pub(crate) enum WalkError {
    NotAnArchive(String),
    Fatal(ArchiveError),
}

impl From<ArchiveError> for WalkError {
    fn from(e: ArchiveError) -> Self {
        WalkError::Fatal(e)
    }
}

/// The archive's bytes, by origin.
pub(crate) enum Body<'a> {
    Path(PathBuf, File),
    Bytes(SharedBytes),
    Stream(RewindableStream<'a>),
}

/// An upload after its first bytes were looked at.
pub(crate) enum Opened<'a> {
    Archive {
        name: String,
        format: ArchiveFormat,
        body: Body<'a>,
    },
    Single {
        name: String,
        data: SharedBytes,
    },
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Opens a source and probes its head.
pub(crate) fn open<'a>(source: Source<'a>, limits: &Limits) -> Result<Opened<'a>, ArchiveError> {
    match source {
        Source::Path(path) => {
            let name = file_name(path);
            let mut file = File::open(path).map_err(|e| ArchiveError::io(path, e))?;
            let mut head = Vec::with_capacity(PROBE_BYTES);
            (&mut file)
                .take(PROBE_BYTES as u64)
                .read_to_end(&mut head)
                .and_then(|_| file.seek(SeekFrom::Start(0)))
                .map_err(|e| ArchiveError::io(path, e))?;
            match probe(&head) {
                Some(format) => Ok(Opened::Archive {
                    name,
                    format,
                    body: Body::Path(path.to_owned(), file),
                }),
                None => Ok(Opened::Single {
                    name,
                    data: SharedBytes::map_file(path)?,
                }),
            }
        }
        Source::Bytes { name, data } => {
            let head = &data[..data.len().min(PROBE_BYTES)];
            match probe(head) {
                Some(format) => Ok(Opened::Archive {
                    name,
                    format,
                    body: Body::Bytes(data),
                }),
                None => Ok(Opened::Single { name, data }),
            }
        }
        Source::Reader { name, reader } => {
            let stream = RewindableStream::new(reader).map_err(|e| ArchiveError::io(&name, e))?;
            match probe(stream.head()) {
                Some(format) if format.needs_seek() => {
                    Err(ArchiveError::NeedsRandomAccess { name, format })
                }
                Some(format) => Ok(Opened::Archive {
                    name,
                    format,
                    body: Body::Stream(stream),
                }),
                None => {
                    let max = limits.max_entry_bytes.min(limits.max_total_bytes);
                    match stream
                        .read_all(max)
                        .map_err(|e| ArchiveError::io(&name, e))?
                    {
                        Ok(all) => Ok(Opened::Single {
                            name,
                            data: SharedBytes::from_vec(all),
                        }),
                        Err(value) => Err(ArchiveError::LimitExceeded {
                            archive: name,
                            entry: None,
                            kind: LimitKind::EntryBytes,
                            value,
                            limit: max,
                            declared: false,
                        }),
                    }
                }
            }
        }
    }
}

/// Makes an archive entry name safe to use as a path-like label: `\` becomes `/`, a
/// leading `/` or drive letter is dropped, `.` and empty segments vanish, and `..` pops a
/// segment (never above the archive root). Nothing is ever written to disk; this keeps
/// names such as `../../evil.hea` from meaning anything outside the upload.
pub fn normalize_entry_name(stored: &str) -> String {
    let unified = stored.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for (i, seg) in unified.split('/').enumerate() {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s if i == 0 && s.len() == 2 && s.ends_with(':') => {}
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        "_".to_owned()
    } else {
        parts.join("/")
    }
}

/// Walks an opened archive, delivering entries to `visit`. On `NotAnArchive` the body
/// was consumed; the caller decides what to do.
pub(crate) fn walk_archive(
    format: ArchiveFormat,
    body: Body<'_>,
    budget: &mut Budget,
    visit: &mut dyn FnMut(WalkedEntry) -> Result<(), ArchiveError>,
) -> Result<Engine, WalkError> {
    walk_at(format, body, budget, visit, "", 0)
}

fn walk_at(
    format: ArchiveFormat,
    body: Body<'_>,
    budget: &mut Budget,
    visit: &mut dyn FnMut(WalkedEntry) -> Result<(), ArchiveError>,
    prefix: &str,
    depth: u8,
) -> Result<Engine, WalkError> {
    let mut sink = |raw: RawEntry, budget: &mut Budget| -> Result<(), ArchiveError> {
        deliver(raw, budget, visit, prefix, depth)
    };
    if format.is_rar() {
        let input = match body {
            Body::Path(p, _) => RarInput::Path(p),
            Body::Bytes(b) => RarInput::Bytes(b),
            Body::Stream(_) => {
                return Err(ArchiveError::NeedsRandomAccess {
                    name: budget.archive().to_owned(),
                    format,
                }
                .into());
            }
        };
        rar_engine::walk(input, budget, &mut sink)?;
        return Ok(Engine::Unrar);
    }
    let input = match body {
        Body::Path(_, mut file) if format == ArchiveFormat::Zip => {
            let probed = zip_engine::probe(&mut file, budget)?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| ArchiveError::io(budget.archive(), e))?;
            if probed.is_some_and(|p| p.needs_zip_crate) {
                zip_engine::walk(file, budget, &mut sink)?;
                return Ok(Engine::ZipCrate);
            }
            ArchiveInput::File(file)
        }
        Body::Bytes(b) if format == ArchiveFormat::Zip => {
            let probed = zip_engine::probe(std::io::Cursor::new(b.clone()), budget)?;
            if probed.is_some_and(|p| p.needs_zip_crate) {
                zip_engine::walk(std::io::Cursor::new(b), budget, &mut sink)?;
                return Ok(Engine::ZipCrate);
            }
            ArchiveInput::Bytes(b)
        }
        Body::Path(_, file) => ArchiveInput::File(file),
        Body::Bytes(b) => ArchiveInput::Bytes(b),
        Body::Stream(s) => ArchiveInput::Stream(s),
    };
    match libarchive_engine::walk(input, budget, &mut sink) {
        Ok(()) => Ok(Engine::Libarchive),
        Err(WalkError::NotAnArchive(msg)) if !format.is_compressed_stream() => {
            Err(ArchiveError::from_engine(budget.archive(), None, Engine::Libarchive, msg).into())
        }
        Err(e) => Err(e),
    }
}

fn deliver(
    raw: RawEntry,
    budget: &mut Budget,
    visit: &mut dyn FnMut(WalkedEntry) -> Result<(), ArchiveError>,
    prefix: &str,
    depth: u8,
) -> Result<(), ArchiveError> {
    let safe = normalize_entry_name(&raw.name);
    let name = if prefix.is_empty() {
        safe
    } else {
        format!("{prefix}/{safe}")
    };
    let data = SharedBytes::from_vec(raw.data);
    let nested = if raw.kind == EntryKind::File {
        probe(&data[..data.len().min(PROBE_BYTES)])
    } else {
        None
    };
    let entry = |kind, data: SharedBytes, note| WalkedEntry {
        name: name.clone(),
        stored_name: raw.name.clone(),
        kind,
        data,
        depth,
        note,
    };
    let Some(format) = nested else {
        return visit(entry(raw.kind, data, None));
    };
    if depth >= MAX_NESTING {
        return visit(entry(
            EntryKind::UnopenedArchive,
            data,
            Some(format!(
                "{format} archive nested more than {MAX_NESTING} level deep (not opened)"
            )),
        ));
    }
    if format.is_compressed_stream() {
        // A compressed stream is an archive only when it holds a tar: try, and fall back
        // to an ordinary file (e.g. a gzip-compressed single file) otherwise.
        let mut inner: Vec<WalkedEntry> = Vec::new();
        let mut collect = |e: WalkedEntry| {
            inner.push(e);
            Ok(())
        };
        match walk_at(
            format,
            Body::Bytes(data.clone()),
            budget,
            &mut collect,
            &name,
            depth + 1,
        ) {
            Ok(_) => {
                visit(entry(EntryKind::Archive, data, None))?;
                for e in inner {
                    visit(e)?;
                }
                Ok(())
            }
            Err(WalkError::NotAnArchive(_)) => visit(entry(EntryKind::File, data, None)),
            Err(WalkError::Fatal(e @ ArchiveError::LimitExceeded { .. })) => Err(e),
            Err(WalkError::Fatal(e)) => {
                for e in inner {
                    visit(e)?;
                }
                visit(entry(EntryKind::UnopenedArchive, data, Some(e.to_string())))
            }
        }
    } else {
        visit(entry(EntryKind::Archive, data.clone(), None))?;
        match walk_at(
            format,
            Body::Bytes(data.clone()),
            budget,
            visit,
            &name,
            depth + 1,
        ) {
            Ok(_) => Ok(()),
            Err(WalkError::Fatal(e @ ArchiveError::LimitExceeded { .. })) => Err(e),
            Err(WalkError::Fatal(e)) => {
                visit(entry(EntryKind::UnopenedArchive, data, Some(e.to_string())))
            }
            Err(WalkError::NotAnArchive(msg)) => {
                visit(entry(EntryKind::UnopenedArchive, data, Some(msg)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(normalize_entry_name("rec_a/100.hea"), "rec_a/100.hea");
        assert_eq!(normalize_entry_name("../../evil.hea"), "evil.hea");
        assert_eq!(normalize_entry_name("/tmp/evil.hea"), "tmp/evil.hea");
        assert_eq!(normalize_entry_name("a/./b//../c"), "a/c");
        assert_eq!(normalize_entry_name("C:\\x\\y.edf"), "x/y.edf");
        assert_eq!(normalize_entry_name(".."), "_");
        assert_eq!(normalize_entry_name("dir/"), "dir");
    }
}
