//! WFDB (PhysioNet "MIT" format) reader and writer: headers, every signal format,
//! multi-segment records, MIT annotation files.
//!
//! A WFDB record is a header (`NAME.hea`) naming one or more signal files, plus optional
//! annotation files (`NAME.atr`, `NAME.qrs`, ...). Files are resolved by name from a
//! [`FilePool`]: a directory ([`DirPool`], memory-mapped on demand), or any
//! `HashMap<String, SharedBytes>` (an archive's directory group).
//!
//! ```
//! use std::collections::HashMap;
//! use ecg_core::{DecodeOptions, Record, Samples, Signal, SharedBytes};
//! use ecg_wfdb::{SignalFormat, decode_record, write_record};
//!
//! // Write a two-lead record in format 212 ...
//! let mut record = Record::new("demo", "wfdb");
//! record.signals.push(Signal::new("I", 360.0, "mV", Samples::from_vec(vec![10, -20, 30])));
//! record.signals.push(Signal::new("II", 360.0, "mV", Samples::from_vec(vec![1, 2, 3])));
//! let files = write_record(&record, "demo", SignalFormat::Packed212)?;
//!
//! // ... and read it back from a pool of files.
//! let pool: HashMap<String, SharedBytes> =
//!     files.into_iter().map(|(name, bytes)| (name, SharedBytes::from_vec(bytes))).collect();
//! let back = decode_record("demo.hea", &pool, &DecodeOptions::default())?;
//! assert_eq!(back.name, "demo");
//! assert_eq!(back.signals[0].samples.to_vec()?, vec![10, -20, 30]);
//! assert_eq!(back.signals[1].stats()?.digital_sum, 6);
//! # Ok::<(), ecg_wfdb::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod annotation;
pub mod error;
mod flac;
pub mod header;
mod header_comments;
mod multi_segment;
pub mod pool;
mod signal_file;
pub mod signal_format;
mod single_segment;
pub mod writer;

use std::path::Path;

use ecg_core::{DecodeOptions, Record, SharedBytes};

pub use annotation::{
    is_annotation_file, read_annotation_file, read_annotations, write_annotations,
};
pub use error::{Error, Result};
pub use header::{Header, SegmentSpec, SignalSpec, parse_header};
pub use pool::{DirPool, FilePool};
pub use signal_format::{SignalFormat, WFDB_INVALID_SAMPLE};
pub use writer::{suggest_format, write_record};

/// How a record's samples are held and checked, beyond [`DecodeOptions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Records of at most this many samples (all signals together) are decoded into
    /// memory at once; larger ones are decoded on demand, window by window, from the
    /// (memory-mapped) signal files. FLAC and format 8 signals are always decoded at once.
    pub eager_sample_limit: u64,
    /// Checksums are verified for records of at most this many samples (verification
    /// reads every sample); larger records get a warning that they were not verified.
    pub checksum_sample_limit: u64,
    /// Attach the annotation files found next to the record.
    pub annotations: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            eager_sample_limit: 1 << 24,
            checksum_sample_limit: 1 << 28,
            annotations: true,
        }
    }
}

/// Everything the decoding functions share.
pub(crate) struct DecodeContext<'a> {
    pub pool: &'a dyn FilePool,
    pub opts: &'a DecodeOptions,
    pub read: &'a ReadOptions,
}

/// True when `file_name` ends in `.hea` and `data` starts with a WFDB record line (after
/// optional comments).
pub fn is_header(file_name: &str, data: &[u8]) -> bool {
    let is_hea = file_name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && ext.eq_ignore_ascii_case("hea"));
    is_hea && header::parse_record_line_only(file_name, data).is_ok()
}

/// Decodes the record whose header is `header_file` (`"100.hea"`), resolving its signal
/// files, segment headers and annotation files in `pool`.
pub fn decode_record(
    header_file: &str,
    pool: &dyn FilePool,
    opts: &DecodeOptions,
) -> Result<Record> {
    decode_record_with(header_file, pool, opts, &ReadOptions::default())
}

/// [`decode_record`] with explicit [`ReadOptions`].
pub fn decode_record_with(
    header_file: &str,
    pool: &dyn FilePool,
    opts: &DecodeOptions,
    read: &ReadOptions,
) -> Result<Record> {
    let bytes = pool.get(header_file).ok_or_else(|| Error::NoHeader {
        file: header_file.to_string(),
    })?;
    let header = parse_header(header_file, &bytes)?;
    let ctx = DecodeContext { pool, opts, read };
    let decoded = if header.is_multi_segment() {
        multi_segment::decode_multi_segment(&header, &ctx)?
    } else {
        single_segment::decode_signals(&header, &ctx, single_segment::Policy::default())?
    };

    let mut record = Record::new(header.record_name.clone(), "wfdb");
    record.start_time = header.base_time;
    record.start_date = header.base_date;
    record.signals = decoded.signals;
    header_comments::apply_comments(&header.comments, &mut record.personal, &mut record.readings);
    let other = &mut record.readings.other;
    other.insert(
        "frame_frequency".to_string(),
        header.frame_frequency.to_string(),
    );
    other.insert("frames".to_string(), decoded.frames.to_string());
    if let Some(c) = header.counter_frequency {
        other.insert("counter_frequency".to_string(), c.to_string());
    }
    if let Some(b) = header.base_counter {
        other.insert("base_counter".to_string(), b.to_string());
    }
    if let Some(n) = header.segment_count {
        other.insert("segments".to_string(), n.to_string());
    }
    for w in header.warnings.iter().chain(&decoded.warnings) {
        record.warn(w.clone());
    }
    if read.annotations {
        let stem = header_file
            .strip_suffix(".hea")
            .or_else(|| header_file.strip_suffix(".HEA"))
            .unwrap_or(header_file);
        find_annotations(
            stem,
            &decoded.files,
            pool,
            header.frame_frequency,
            &mut record,
        );
    }
    Ok(record)
}

/// Attaches every `STEM.EXT` of the pool that reads as an MIT annotation file.
fn find_annotations(
    stem: &str,
    signal_files: &[String],
    pool: &dyn FilePool,
    frame_frequency: f64,
    record: &mut Record,
) {
    for name in pool.names() {
        let Some(ext) = name
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            continue;
        };
        if ext.is_empty()
            || ext.contains('.')
            || ext.eq_ignore_ascii_case("hea")
            || signal_files.iter().any(|f| f == &name)
        {
            continue;
        }
        let Some(data) = pool.get(&name) else {
            continue;
        };
        if !is_annotation_file(&data) {
            continue;
        }
        match read_annotation_file(&name, &data) {
            Ok(mut set) => {
                set.fs = set.fs.or(Some(frame_frequency));
                record.classification.annotations.push(set);
            }
            Err(e) => record.warn(format!("skipped annotation file: {e}")),
        }
    }
}

/// Decodes a record from disk: `path` is a header (`/data/100.hea`) or a record path
/// without extension (`/data/100`). Files are memory-mapped from the header's directory.
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a file name in UTF-8",
            ),
        })?;
    let header_file = if file_name.to_ascii_lowercase().ends_with(".hea") {
        file_name.to_string()
    } else {
        format!("{file_name}.hea")
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let header_path = dir.join(&header_file);
    if !header_path.is_file() {
        return Err(Error::Io {
            path: header_path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such header file"),
        });
    }
    let pool = DirPool::new(dir);
    decode_record(&header_file, &pool, opts)
}

/// Reads the annotation file `path` (`100.atr`); the annotator is its extension.
pub fn read_annotations_path(path: &Path) -> Result<ecg_core::AnnotationSet> {
    let data = SharedBytes::map_file(path).map_err(|e| match e {
        ecg_core::Error::Io { path, source } => Error::Io { path, source },
        other => Error::Core(other),
    })?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("annotation file");
    read_annotation_file(name, &data)
}
