//! Turning command-line paths into decoded records.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ecg_archive::Decoded;
use ecg_core::{DecodeOptions, Record};

/// Decoding options shared by every subcommand that reads recordings.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Decode files with checksum/CRC errors, reporting them as warnings instead of failing.
    #[arg(long)]
    pub lenient: bool,
}

impl InputArgs {
    /// The decoder options these flags ask for.
    pub fn decode_options(&self) -> DecodeOptions {
        if self.lenient {
            DecodeOptions::lenient()
        } else {
            DecodeOptions::default()
        }
    }
}

/// True when `path` names a WFDB record on disk: a `.hea` file, or a record path without
/// extension whose `.hea` exists (`data/100` for `data/100.hea`).
pub fn is_wfdb_path(path: &Path) -> bool {
    let is_hea = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"));
    if is_hea {
        return true;
    }
    if path.is_file() {
        return false;
    }
    let mut hea = path.as_os_str().to_owned();
    hea.push(".hea");
    Path::new(&hea).is_file()
}

/// Decodes a path: a WFDB record from its directory, otherwise an archive or a single
/// file through `ecg-archive`.
pub fn decode(path: &Path, opts: &DecodeOptions) -> Result<Decoded> {
    if is_wfdb_path(path) {
        let record = ecg_wfdb::decode_path(path, opts)
            .with_context(|| format!("cannot decode WFDB record {}", path.display()))?;
        return Ok(Decoded {
            records: vec![record],
            ..Decoded::default()
        });
    }
    ecg_archive::decode_path(path, opts)
        .with_context(|| format!("cannot decode {}", path.display()))
}

/// Decodes a path (as [`decode`]) and returns its record number `index` (0-based, in
/// `ecg inspect` order), or an error that says how many records the input holds.
pub fn decode_record(path: &Path, opts: &DecodeOptions, index: usize) -> Result<Record> {
    let decoded = decode(path, opts)?;
    let count = decoded.records.len();
    match decoded.records.into_iter().nth(index) {
        Some(record) => Ok(record),
        None => bail!(
            "{} holds {count} record(s); --record {index} does not exist",
            path.display()
        ),
    }
}
