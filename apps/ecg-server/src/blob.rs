//! The blob store: upload bytes (staged while chunks arrive, then sealed), analysis results
//! and PDF reports.
//!
//! [`BlobStore`] is the seam; [`LocalBlobStore`] keeps everything under one directory and
//! [`s3::S3BlobStore`] puts it in an S3-compatible bucket (through the `object_store`
//! crate) for many nodes: staged chunks become part objects, sealing assembles them into
//! one object, and `local_upload_path` downloads to a bounded local cache.

pub mod s3;

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Errors of a blob store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// File system error on a path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A key with characters outside `[A-Za-z0-9_.-/]` or with `..`.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    /// The object store refused an operation or could not be reached.
    #[error("object store, {key}: {source}")]
    Remote {
        /// The object's key (or prefix).
        key: String,
        /// The error.
        #[source]
        source: object_store::Error,
    },
    /// The upload's metadata (size, chunk list) could not be read.
    #[error("upload {upload_id}: {detail}")]
    Manifest {
        /// The upload.
        upload_id: String,
        /// What went wrong.
        detail: String,
    },
}

/// Result of blob operations.
pub type BlobResult<T> = Result<T, BlobError>;

/// Storage of bytes.
pub trait BlobStore: Send + Sync + 'static {
    /// Prepares the staging area of an upload of `size` bytes.
    fn create_staged(&self, upload_id: &str, size: u64) -> BlobResult<()>;
    /// Writes bytes of a staged upload at `offset` (chunks may come in any order).
    fn write_staged(&self, upload_id: &str, offset: u64, data: &[u8]) -> BlobResult<()>;
    /// SHA-256 (lower-case hex) of the first `size` staged bytes, read in order.
    fn staged_sha256(&self, upload_id: &str, size: u64) -> BlobResult<String>;
    /// SHA-256 (lower-case hex) of `length` staged bytes from `offset`.
    fn staged_range_sha256(&self, upload_id: &str, offset: u64, length: u64) -> BlobResult<String>;
    /// Makes the staged bytes the upload's sealed content.
    fn seal_staged(&self, upload_id: &str) -> BlobResult<()>;
    /// A local file holding the sealed content (for memory-mapped decoding).
    fn local_upload_path(&self, upload_id: &str) -> BlobResult<PathBuf>;
    /// Deletes everything of an upload (staged and sealed).
    fn delete_upload(&self, upload_id: &str) -> BlobResult<()>;
    /// Stores a whole object under a key (`results/tsk_.../v1.json`), atomically.
    fn put(&self, key: &str, data: &[u8]) -> BlobResult<()>;
    /// Reads a whole object; `None` when absent.
    fn get(&self, key: &str) -> BlobResult<Option<Vec<u8>>>;
}

/// Blobs in a local directory: `uploads/<id>.part` while staged, `uploads/<id>` sealed,
/// `objects/<key>` for the rest.
pub struct LocalBlobStore {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io {
        path: path.to_owned(),
        source,
    }
}

pub(crate) fn check_key(key: &str) -> BlobResult<()> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b))
        && !key
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty());
    if ok {
        Ok(())
    } else {
        Err(BlobError::InvalidKey(key.to_owned()))
    }
}

impl LocalBlobStore {
    /// A store rooted at `root` (created when missing).
    pub fn open(root: &Path) -> BlobResult<Self> {
        for sub in ["uploads", "objects"] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io(&p))?;
        }
        Ok(LocalBlobStore {
            root: root.to_owned(),
        })
    }

    fn staged(&self, id: &str) -> BlobResult<PathBuf> {
        check_key(id)?;
        Ok(self.root.join("uploads").join(format!("{id}.part")))
    }

    fn sealed(&self, id: &str) -> BlobResult<PathBuf> {
        check_key(id)?;
        Ok(self.root.join("uploads").join(id))
    }
}

impl BlobStore for LocalBlobStore {
    fn create_staged(&self, upload_id: &str, size: u64) -> BlobResult<()> {
        let p = self.staged(upload_id)?;
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io(&p))?;
        // Sparse: no disk is used until chunks arrive.
        f.set_len(size).map_err(io(&p))
    }

    fn write_staged(&self, upload_id: &str, offset: u64, data: &[u8]) -> BlobResult<()> {
        let p = self.staged(upload_id)?;
        let f = OpenOptions::new().write(true).open(&p).map_err(io(&p))?;
        f.write_all_at(data, offset).map_err(io(&p))
    }

    fn staged_sha256(&self, upload_id: &str, size: u64) -> BlobResult<String> {
        self.staged_range_sha256(upload_id, 0, size)
    }

    fn staged_range_sha256(&self, upload_id: &str, offset: u64, length: u64) -> BlobResult<String> {
        let p = self.staged(upload_id)?;
        let mut f = File::open(&p).map_err(io(&p))?;
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset)).map_err(io(&p))?;
        let mut reader = f.take(length);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(io(&p))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(crate::tokens::hex(&hasher.finalize()))
    }

    fn seal_staged(&self, upload_id: &str) -> BlobResult<()> {
        let from = self.staged(upload_id)?;
        let to = self.sealed(upload_id)?;
        fs::rename(&from, &to).map_err(io(&from))
    }

    fn local_upload_path(&self, upload_id: &str) -> BlobResult<PathBuf> {
        let p = self.sealed(upload_id)?;
        if p.is_file() {
            Ok(p)
        } else {
            Err(BlobError::Io {
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "upload not sealed"),
                path: p,
            })
        }
    }

    fn delete_upload(&self, upload_id: &str) -> BlobResult<()> {
        for p in [self.staged(upload_id)?, self.sealed(upload_id)?] {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(BlobError::Io { path: p, source }),
            }
        }
        Ok(())
    }

    fn put(&self, key: &str, data: &[u8]) -> BlobResult<()> {
        check_key(key)?;
        let p = self.root.join("objects").join(key);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let tmp = p.with_extension(format!(
            "tmp{}",
            crate::tokens::hex(&crate::tokens::random_bytes(4))
        ));
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(data).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &p).map_err(io(&p))
    }

    fn get(&self, key: &str) -> BlobResult<Option<Vec<u8>>> {
        check_key(key)?;
        let p = self.root.join("objects").join(key);
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(BlobError::Io { path: p, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_chunks_in_any_order_hash_and_seal() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalBlobStore::open(dir.path()).unwrap();
        s.create_staged("upl_a", 10).unwrap();
        s.write_staged("upl_a", 5, b"56789").unwrap();
        s.write_staged("upl_a", 0, b"01234").unwrap();
        assert_eq!(
            s.staged_sha256("upl_a", 10).unwrap(),
            crate::tokens::sha256_hex(b"0123456789")
        );
        s.seal_staged("upl_a").unwrap();
        assert_eq!(
            fs::read(s.local_upload_path("upl_a").unwrap()).unwrap(),
            b"0123456789"
        );
        s.delete_upload("upl_a").unwrap();
        assert!(s.local_upload_path("upl_a").is_err());
    }

    #[test]
    fn objects_round_trip_and_keys_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalBlobStore::open(dir.path()).unwrap();
        s.put("results/t/v1.json", b"{}").unwrap();
        assert_eq!(s.get("results/t/v1.json").unwrap().unwrap(), b"{}");
        assert!(s.get("results/t/v2.json").unwrap().is_none());
        assert!(s.put("../x", b"").is_err());
        assert!(s.put("a//b", b"").is_err());
        assert!(s.get("/etc/passwd").is_err());
    }
}
