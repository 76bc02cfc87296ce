//! From walked entries to ordered records: single-file detection (in parallel, while the
//! walk goes on), WFDB grouping after the walk, and the skipped list.

use std::sync::mpsc;

use ecg_core::{DecodeOptions, Record, SharedBytes};
use rayon::prelude::*;

use crate::budget::Budget;
use crate::error::ArchiveError;
use crate::format_error::FormatError;
use crate::probe::ArchiveFormat;
use crate::registry::{Detection, SingleFileFormat, detect_and_decode};
use crate::walk::{Body, EntryKind, WalkError, WalkSummary, WalkedEntry, walk_archive};
use crate::wfdb_groups::{GroupPool, Groups, has_header_extension, segment_names, split_dir};
use crate::{Decoded, Skipped};

/// Recognises a WFDB header from its file name and bytes.
pub(crate) type IsHeaderFn = fn(&str, &[u8]) -> bool;
/// Decodes the WFDB record of a header (base name) from its group's pool.
pub(crate) type WfdbDecodeFn = fn(&str, &GroupPool, &DecodeOptions) -> Result<Record, FormatError>;

/// The decoders an upload is run through.
#[derive(Clone, Copy)]
pub(crate) struct Decoders<'a> {
    pub(crate) formats: &'a [SingleFileFormat],
    pub(crate) wfdb: Option<(IsHeaderFn, WfdbDecodeFn)>,
}

impl Decoders<'_> {
    /// Names of everything tried on a standalone file, in order.
    pub(crate) fn tried(&self) -> Vec<&'static str> {
        let mut v = vec!["archive (zip, 7z, rar, tar, tar.gz/bz2/xz/lz4/zst)"];
        v.extend(self.formats.iter().map(SingleFileFormat::name));
        v.push("wfdb (.hea header)");
        v
    }
}

fn unrecognised_reason(decoders: &Decoders<'_>, dir: &str) -> String {
    let names: Vec<&str> = decoders
        .formats
        .iter()
        .map(SingleFileFormat::name)
        .collect();
    let tried = if names.is_empty() {
        "no single-file decoder is built in".to_owned()
    } else {
        format!("tried: {}", names.join(", "))
    };
    let dir = if dir.is_empty() {
        "the archive root"
    } else {
        dir
    };
    format!("not a recognised ECG file ({tried}) and not used by any WFDB header in {dir}")
}

/// Walks an archive and decodes everything in it.
pub(crate) fn decode_archive(
    name: &str,
    format: ArchiveFormat,
    body: Body<'_>,
    opts: &DecodeOptions,
    decoders: Decoders<'_>,
) -> Result<Result<Decoded, SharedBytesFallback>, ArchiveError> {
    let mut budget = Budget::new(name, opts.limits);
    let (tx, rx) = mpsc::channel::<(usize, Detection)>();
    let mut groups = Groups::default();
    // (entry index, entry name) of every file sent to detection.
    let mut files: Vec<(usize, String)> = Vec::new();
    let mut skipped: Vec<(usize, Skipped)> = Vec::new();
    let mut index = 0usize;
    let opts_copy = *opts;

    let walked = rayon::in_place_scope(|scope| {
        let mut visit = |entry: WalkedEntry| -> Result<(), ArchiveError> {
            let i = index;
            index += 1;
            let skip = |reason: String| Skipped {
                entry: entry.name.clone(),
                reason,
            };
            match entry.kind {
                EntryKind::Directory | EntryKind::Archive => {}
                EntryKind::Symlink => {
                    skipped.push((i, skip("symbolic link (links are not followed)".into())));
                }
                EntryKind::Other => {
                    skipped.push((i, skip("special file (device, FIFO, ...)".into())));
                }
                EntryKind::UnopenedArchive => {
                    let note = entry.note.clone().unwrap_or_default();
                    skipped.push((i, skip(format!("archive not walked: {note}"))));
                }
                EntryKind::File => {
                    let (dir, base) = split_dir(&entry.name);
                    let group = groups.group_mut(dir);
                    if !group.pool.insert(base, entry.data.clone()) {
                        skipped.push((
                            i,
                            skip("duplicate entry name (the first one is used)".into()),
                        ));
                        return Ok(());
                    }
                    let is_header = has_header_extension(&entry.name)
                        && decoders
                            .wfdb
                            .is_some_and(|(is_header, _)| is_header(base, &entry.data));
                    if is_header || (has_header_extension(&entry.name) && decoders.wfdb.is_none()) {
                        group.headers.push((i, base.to_owned()));
                        return Ok(());
                    }
                    files.push((i, entry.name.clone()));
                    let tx = tx.clone();
                    let formats = decoders.formats;
                    let data: SharedBytes = entry.data;
                    let entry_name = entry.name;
                    scope.spawn(move |_| {
                        // SPEC: a single-file record is named after the file; the entry
                        // path is kept as its source.
                        let file_name = split_dir(&entry_name).1;
                        let mut d = detect_and_decode(formats, file_name, data, &opts_copy);
                        if let Detection::Decoded(r) = &mut d {
                            r.source = Some(entry_name.clone());
                        }
                        let _ = tx.send((i, d));
                    });
                }
            }
            Ok(())
        };
        walk_archive(format, body, &mut budget, &mut visit)
    });
    drop(tx);
    let engine = match walked {
        Ok(engine) => engine,
        Err(WalkError::Fatal(e)) => return Err(e),
        Err(WalkError::NotAnArchive(message)) => return Ok(Err(SharedBytesFallback { message })),
    };

    let mut detections: Vec<(usize, Detection)> = rx.into_iter().collect();
    detections.sort_by_key(|(i, _)| *i);

    // WFDB: every header of every group, decoded in parallel, results in entry order.
    let mut jobs: Vec<(usize, usize, String)> = Vec::new(); // (entry index, group, header)
    for (g, group) in groups.groups.iter().enumerate() {
        let segments: Vec<String> = group
            .headers
            .iter()
            .filter_map(|(_, h)| group.pool.peek(h))
            .filter_map(|data| segment_names(&data))
            .flatten()
            .collect();
        for (i, h) in &group.headers {
            let record = h
                .strip_suffix(".hea")
                .or_else(|| h.get(..h.len() - 4))
                .unwrap_or(h);
            if segments.iter().any(|s| s == record) {
                group.pool.mark_used(h);
                continue;
            }
            jobs.push((*i, g, h.clone()));
        }
    }
    jobs.sort_by_key(|(i, _, _)| *i);
    let wfdb_results: Vec<(usize, Result<Record, String>)> = jobs
        .par_iter()
        .map(|(i, g, h)| {
            let group = &groups.groups[*g];
            group.pool.mark_used(h);
            let result = match decoders.wfdb {
                Some((_, decode)) => decode(h, &group.pool, opts).map_err(|e| e.to_string()),
                None => Err("WFDB header: no WFDB decoder is built in".to_owned()),
            };
            let result = result.map(|mut r| {
                // SPEC: a WFDB record is named by its header; the header's entry path is
                // kept as its source.
                r.source = Some(if group.dir.is_empty() {
                    h.clone()
                } else {
                    format!("{}/{}", group.dir, h)
                });
                r
            });
            (*i, result)
        })
        .collect();

    let mut records = Vec::new();
    let mut by_index: std::collections::HashMap<usize, Detection> =
        detections.into_iter().collect();
    for (i, name) in &files {
        match by_index.remove(i) {
            Some(Detection::Decoded(r)) => records.push(*r),
            Some(Detection::Failed(e)) => skipped.push((
                *i,
                Skipped {
                    entry: name.clone(),
                    reason: e.to_string(),
                },
            )),
            Some(Detection::Unrecognised) | None => {
                let (dir, base) = split_dir(name);
                let used = groups.group(dir).is_some_and(|g| g.pool.was_used(base));
                if !used {
                    skipped.push((
                        *i,
                        Skipped {
                            entry: name.clone(),
                            reason: unrecognised_reason(&decoders, dir),
                        },
                    ));
                }
            }
        }
    }
    for (i, result) in wfdb_results {
        match result {
            Ok(r) => records.push(r),
            Err(reason) => {
                let (g, h) = jobs
                    .iter()
                    .find(|(j, _, _)| *j == i)
                    .map(|(_, g, h)| (*g, h.clone()))
                    .unwrap_or_default();
                let dir = &groups.groups[g].dir;
                let entry = if dir.is_empty() {
                    h
                } else {
                    format!("{dir}/{h}")
                };
                skipped.push((i, Skipped { entry, reason }));
            }
        }
    }
    skipped.sort_by_key(|(i, _)| *i);
    Ok(Ok(Decoded {
        records,
        skipped: skipped.into_iter().map(|(_, s)| s).collect(),
        archive: Some(WalkSummary {
            format,
            engine,
            entries: budget.entries(),
            bytes: budget.total_out(),
        }),
    }))
}

/// The upload looked like a compressed stream but holds no tar: decode it as a single
/// file instead (the caller still has the bytes).
pub(crate) struct SharedBytesFallback {
    pub(crate) message: String,
}
