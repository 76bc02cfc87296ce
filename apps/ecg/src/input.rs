//! Turning command-line paths into decoded records.

use std::path::Path;

use anyhow::{Context, Result};
use ecg_archive::Decoded;
use ecg_core::DecodeOptions;

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

/// Decodes a path: an archive or a single file through `ecg-archive`.
pub fn decode(path: &Path, opts: &DecodeOptions) -> Result<Decoded> {
    ecg_archive::decode_path(path, opts)
        .with_context(|| format!("cannot decode {}", path.display()))
}
