//! The main engine: libarchive through `compress-tools`, streaming entry by entry.

use std::cell::Cell;
use std::rc::Rc;

use compress_tools::{ArchiveContents, ArchiveIteratorBuilder};

use crate::budget::Budget;
use crate::error::{ArchiveError, Engine};
use crate::input::ArchiveInput;
use crate::walk::{EntryKind, RawEntry, Sink, WalkError};

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFREG: u32 = 0o100_000;

/// Initial buffer reserved for an entry whose header states its size (the rest grows).
const MAX_PREALLOCATION: u64 = 256 << 20;

fn lossy_name(bytes: &[u8]) -> compress_tools::Result<String> {
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn message(e: &compress_tools::Error) -> String {
    match e {
        compress_tools::Error::Extraction { details, .. } => details.clone(),
        other => other.to_string(),
    }
}

/// Walks `input` with libarchive; every complete entry goes to `sink` in archive order.
pub(crate) fn walk(
    input: ArchiveInput<'_>,
    budget: &mut Budget,
    sink: &mut Sink<'_>,
) -> Result<(), WalkError> {
    let meter = Rc::new(Cell::new(0u64));
    let reader = input.into_reader(Rc::clone(&meter));
    let archive = budget.archive().to_owned();
    let iter = ArchiveIteratorBuilder::new(reader)
        .decoder(lossy_name)
        .raw_format(false)
        .mtree_format(false)
        .build()
        .map_err(|e| WalkError::NotAnArchive(message(&e)))?;

    let mut current: Option<(String, EntryKind, Vec<u8>)> = None;
    let mut seen_any = false;
    for item in iter {
        match item {
            ArchiveContents::StartOfEntry(name, stat) => {
                seen_any = true;
                let mode = stat.st_mode & S_IFMT;
                let kind = match mode {
                    S_IFDIR => EntryKind::Directory,
                    S_IFLNK => EntryKind::Symlink,
                    S_IFREG | 0 => EntryKind::File,
                    _ => EntryKind::Other,
                };
                budget.begin_entry(&name, meter.get(), None)?;
                let declared = u64::try_from(stat.st_size).unwrap_or(0);
                if kind == EntryKind::File {
                    budget.check_declared(&name, declared, None)?;
                }
                let capacity = declared
                    .min(MAX_PREALLOCATION)
                    .min(budget.limits().max_entry_bytes);
                current = Some((name, kind, Vec::with_capacity(capacity as usize)));
            }
            ArchiveContents::DataChunk(chunk) => {
                if let Some((_, _, data)) = current.as_mut() {
                    budget.add(chunk.len() as u64, Some(meter.get()))?;
                    data.extend_from_slice(&chunk);
                }
            }
            ArchiveContents::EndOfEntry => {
                budget.end_entry();
                if let Some((name, kind, data)) = current.take() {
                    sink(RawEntry { name, kind, data }, budget)?;
                }
            }
            ArchiveContents::Err(e) => {
                let msg = message(&e);
                if !seen_any {
                    return Err(WalkError::NotAnArchive(msg));
                }
                let entry = current.as_ref().map(|(n, _, _)| n.as_str());
                return Err(
                    ArchiveError::from_engine(&archive, entry, Engine::Libarchive, msg).into(),
                );
            }
        }
    }
    Ok(())
}
