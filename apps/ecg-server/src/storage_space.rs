//! Free space of the data directory: reported by `GET /healthz`, and checked before an upload
//! writes anything, so that uploads are refused with 507 `insufficient-storage` while the
//! free space is below `--min-free-bytes` (plus, with local blobs, the bytes about to be
//! written) instead of failing half-way and filling the disk that the database needs too.

use std::path::Path;

use serde::Serialize;

use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::state::{AppState, BlobConfig};

/// Default of `--min-free-bytes`: 256 MiB.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 256 << 20;

/// Bytes available to unprivileged users on the file system that holds `path`
/// (`statvfs`: available blocks times the fragment size).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// The data directory's free space, as `/healthz` reports it.
#[derive(Debug, Serialize)]
pub struct DiskStatus {
    /// The data directory.
    pub path: String,
    /// Free bytes on its file system (absent when they could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    /// The configured minimum (`--min-free-bytes`; 0 = no check).
    pub min_free_bytes: u64,
    /// Whether new uploads are accepted (free space at or above the minimum).
    pub uploads_accepted: bool,
    /// Why the free space could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The free space of the data directory against the configured minimum.
pub fn disk_status(state: &AppState) -> DiskStatus {
    let min = state.config.min_free_bytes;
    let dir = &state.config.data_dir;
    match free_bytes(dir) {
        Ok(free) => DiskStatus {
            path: dir.display().to_string(),
            free_bytes: Some(free),
            min_free_bytes: min,
            uploads_accepted: free >= min,
            error: None,
        },
        Err(e) => DiskStatus {
            path: dir.display().to_string(),
            free_bytes: None,
            min_free_bytes: min,
            uploads_accepted: true,
            error: Some(e.to_string()),
        },
    }
}

/// Refuses (507 `insufficient-storage`) a write of `incoming` bytes that would leave less
/// than `--min-free-bytes` free in the data directory. With an S3 blob store the upload's
/// bytes go to the bucket, so only the minimum itself is checked. A minimum of 0 turns the
/// check off; a file system whose free space cannot be read is not refused (logged).
pub fn ensure_room(state: &AppState, incoming: u64) -> ApiResult<()> {
    let min = state.config.min_free_bytes;
    if min == 0 {
        return Ok(());
    }
    let incoming = match state.config.blobs {
        BlobConfig::Local => incoming,
        BlobConfig::S3(_) => 0,
    };
    let free = match free_bytes(&state.config.data_dir) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("free space of {}: {e}", state.config.data_dir.display());
            return Ok(());
        }
    };
    let needed = min.saturating_add(incoming);
    if free >= needed {
        return Ok(());
    }
    tracing::warn!("upload refused: {free} bytes free, {needed} needed (minimum {min})");
    Err(ApiError::new(
        ProblemKind::InsufficientStorage,
        format!(
            "the server has {free} bytes of free space; this upload needs {incoming} and the \
             server keeps at least {min} free: nothing was stored, try again later"
        ),
    )
    .with("free_bytes", free)
    .with("min_free_bytes", min)
    .with("needed_bytes", needed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_of_a_directory_is_positive() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(free > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }
}
