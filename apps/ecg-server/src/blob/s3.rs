//! [`S3BlobStore`]: blobs in an S3-compatible bucket, shared by every node.
//!
//! Layout under the configured prefix:
//! - `staging/<upload_id>/<offset>-<length>`: one part object per chunk written (zero-padded
//!   decimal offset and length), whichever API node received it. The upload's chunk table in
//!   the metadata store is the manifest: the staged content is the recorded chunks laid at
//!   their offsets (bytes no recorded chunk covers, or whose part object is missing, read as
//!   zeros, as in the local store's sparse file). Retrying a chunk rewrites the same object.
//! - `uploads/<upload_id>`: the sealed content. Sealing streams the parts in offset order
//!   into one multipart upload (and into this node's cache), then deletes the parts.
//! - `objects/<key>`: results and reports.
//!
//! Decoding memory-maps a local file, so [`BlobStore::local_upload_path`] downloads a sealed
//! upload into a cache directory (least recently used files are evicted beyond a size limit;
//! a file still mapped by a reader stays readable after its name is removed).
//!
//! The client is the `object_store` crate's S3 client; its async calls run on an
//! [`IoRuntime`] owned by the store.

use std::fs;
use std::io::Write;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};

use super::{BlobError, BlobResult, BlobStore, check_key};
use crate::io_runtime::IoRuntime;
use crate::store::{ChunkRow, MetadataStore};

/// Settings of an [`S3BlobStore`].
#[derive(Clone, Debug, Default)]
pub struct S3Options {
    /// Bucket name (the bucket must exist).
    pub bucket: String,
    /// Endpoint URL (`http://127.0.0.1:8333` for a local S3 server); `None` = AWS.
    pub endpoint: Option<String>,
    /// Region (default `us-east-1`, or `AWS_REGION`).
    pub region: Option<String>,
    /// Access key id (default: `AWS_ACCESS_KEY_ID` and the usual AWS credential chain).
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Allow `http://` endpoints.
    pub allow_http: bool,
    /// Virtual-hosted-style requests (`bucket.host`) instead of path style.
    pub virtual_hosted_style: bool,
    /// Key prefix of every object (`""` or ending in `/`), so several deployments can share
    /// a bucket.
    pub prefix: String,
    /// Local cache of sealed uploads (decoding memory-maps them).
    pub cache_dir: PathBuf,
    /// Size above which the least recently used cached uploads are removed.
    pub cache_max_bytes: u64,
}

/// Blobs in an S3-compatible bucket.
pub struct S3BlobStore {
    io: IoRuntime,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    manifest: Arc<dyn MetadataStore>,
    cache_dir: PathBuf,
    cache_max_bytes: u64,
}

/// Size of a multipart part when sealing (S3 needs at least 5 MiB but for the last).
const PART_BYTES: usize = 16 << 20;
/// Parts in flight while sealing.
const PART_CONCURRENCY: usize = 4;

static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

fn remote(key: &Path) -> impl FnOnce(object_store::Error) -> BlobError + '_ {
    move |source| BlobError::Remote {
        key: key.to_string(),
        source,
    }
}

fn io(path: &FsPath) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A piece of the staged content.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// Bytes no chunk covers.
    Zeros(u64),
    /// A byte range of a part object.
    Part { path: Path, range: Range<u64> },
}

fn zeros(n: u64) -> BoxStream<'static, BlobResult<Bytes>> {
    let pieces = n.div_ceil(ZEROS.len() as u64);
    stream::iter((0..pieces).map(move |i| {
        let left = n - i * ZEROS.len() as u64;
        let k = left.min(ZEROS.len() as u64) as usize;
        Ok(Bytes::from_static(&ZEROS[..k]))
    }))
    .boxed()
}

/// The content of `segments`, in order, as one stream of byte pieces.
fn assemble(
    store: Arc<dyn ObjectStore>,
    segments: Vec<Segment>,
) -> BoxStream<'static, BlobResult<Bytes>> {
    stream::iter(segments)
        .then(move |seg| {
            let store = Arc::clone(&store);
            async move {
                match seg {
                    Segment::Zeros(n) => zeros(n),
                    Segment::Part { path, range } => {
                        let len = range.end - range.start;
                        let opts = GetOptions {
                            range: (range.start > 0).then(|| GetRange::Bounded(range.clone())),
                            ..Default::default()
                        };
                        match store.get_opts(&path, opts).await {
                            Ok(r) => {
                                let key = path.to_string();
                                // A whole-object read returns the whole part; cut it to the
                                // range in case the object is longer than recorded.
                                let mut left = len;
                                r.into_stream()
                                    .map(move |b| {
                                        b.map(|mut b| {
                                            b.truncate(left.min(b.len() as u64) as usize);
                                            left -= b.len() as u64;
                                            b
                                        })
                                        .map_err(
                                            |source| BlobError::Remote {
                                                key: key.clone(),
                                                source,
                                            },
                                        )
                                    })
                                    .boxed()
                            }
                            // A chunk recorded but never written (its node died in between):
                            // zeros, so the hash check finds it and the client re-sends it.
                            Err(object_store::Error::NotFound { .. }) => zeros(len),
                            Err(source) => stream::iter([Err(BlobError::Remote {
                                key: path.to_string(),
                                source,
                            })])
                            .boxed(),
                        }
                    }
                }
            }
        })
        .flatten()
        .boxed()
}

impl S3BlobStore {
    /// Connects to the bucket (checked with one listing) and prepares the cache directory.
    /// `manifest` is the metadata store whose chunk table lists the staged parts.
    pub fn connect(opts: &S3Options, manifest: Arc<dyn MetadataStore>) -> BlobResult<Self> {
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&opts.bucket)
            .with_allow_http(opts.allow_http)
            .with_virtual_hosted_style_request(opts.virtual_hosted_style)
            .with_retry(RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(60),
                ..Default::default()
            });
        if let Some(e) = &opts.endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(r) = &opts.region {
            b = b.with_region(r);
        }
        if let Some(k) = &opts.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &opts.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        let bucket_key = Path::from(opts.bucket.as_str());
        let s3 = b.build().map_err(remote(&bucket_key))?;
        let store = Self::with_object_store(
            Arc::new(s3),
            &opts.prefix,
            &opts.cache_dir,
            opts.cache_max_bytes,
            manifest,
        )?;
        // Fail at start-up, not at the first upload, when the bucket or the credentials
        // are wrong.
        let prefix = Path::from(store.prefix.trim_end_matches('/'));
        let probe = Arc::clone(&store.store);
        let p = prefix.clone();
        store
            .run("S3 bucket check", async move {
                probe
                    .list_with_delimiter(Some(&p))
                    .await
                    .map(|_| ())
                    .map_err(|source| BlobError::Remote {
                        key: format!("bucket {}", p),
                        source,
                    })
            })
            .map_err(|e| match e {
                BlobError::Remote { source, .. } => BlobError::Remote {
                    key: format!("bucket {} (prefix {:?})", opts.bucket, opts.prefix),
                    source,
                },
                other => other,
            })?;
        Ok(store)
    }

    /// A store over any `object_store` backend (tests use the in-memory one).
    pub fn with_object_store(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        cache_dir: &FsPath,
        cache_max_bytes: u64,
        manifest: Arc<dyn MetadataStore>,
    ) -> BlobResult<Self> {
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() {
            check_key(prefix)?;
        }
        fs::create_dir_all(cache_dir).map_err(io(cache_dir))?;
        Ok(S3BlobStore {
            io: IoRuntime::new("s3-io", 2).map_err(io(cache_dir))?,
            store,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            manifest,
            cache_dir: cache_dir.to_owned(),
            cache_max_bytes,
        })
    }

    fn run<T: Send + 'static>(
        &self,
        what: &'static str,
        fut: impl std::future::Future<Output = BlobResult<T>> + Send + 'static,
    ) -> BlobResult<T> {
        self.io.run(what, fut).map_err(|e| BlobError::Io {
            path: self.cache_dir.clone(),
            source: std::io::Error::other(e),
        })?
    }

    fn staging_dir(&self, id: &str) -> BlobResult<Path> {
        check_key(id)?;
        Ok(Path::from(format!("{}staging/{id}", self.prefix)))
    }

    fn part(&self, id: &str, offset: u64, length: u64) -> BlobResult<Path> {
        check_key(id)?;
        Ok(Path::from(format!(
            "{}staging/{id}/{offset:020}-{length:020}",
            self.prefix
        )))
    }

    fn sealed(&self, id: &str) -> BlobResult<Path> {
        check_key(id)?;
        Ok(Path::from(format!("{}uploads/{id}", self.prefix)))
    }

    fn object(&self, key: &str) -> BlobResult<Path> {
        check_key(key)?;
        Ok(Path::from(format!("{}objects/{key}", self.prefix)))
    }

    fn cached(&self, id: &str) -> BlobResult<PathBuf> {
        check_key(id)?;
        Ok(self.cache_dir.join(id))
    }

    fn chunks(&self, id: &str) -> BlobResult<Vec<ChunkRow>> {
        let mut c = self.manifest.chunks(id).map_err(|e| BlobError::Manifest {
            upload_id: id.to_owned(),
            detail: e.to_string(),
        })?;
        c.sort_by_key(|c| c.offset);
        Ok(c)
    }

    /// The segments making bytes `[start, end)` of the staged content.
    fn segments(
        &self,
        id: &str,
        chunks: &[ChunkRow],
        start: u64,
        end: u64,
    ) -> BlobResult<Vec<Segment>> {
        let mut out = Vec::new();
        let mut pos = start;
        for c in chunks {
            let c_end = c.offset + c.length;
            if c_end <= pos {
                continue;
            }
            if c.offset >= end {
                break;
            }
            if c.offset > pos {
                out.push(Segment::Zeros(c.offset - pos));
                pos = c.offset;
            }
            let seg_end = c_end.min(end);
            out.push(Segment::Part {
                path: self.part(id, c.offset, c.length)?,
                range: (pos - c.offset)..(seg_end - c.offset),
            });
            pos = seg_end;
        }
        if pos < end {
            out.push(Segment::Zeros(end - pos));
        }
        Ok(out)
    }

    fn range_sha256(&self, id: &str, start: u64, end: u64) -> BlobResult<String> {
        let chunks = self.chunks(id)?;
        let segments = self.segments(id, &chunks, start, end)?;
        let store = Arc::clone(&self.store);
        self.run("S3 staged hash", async move {
            let mut parts = assemble(store, segments);
            let mut h = Sha256::new();
            while let Some(b) = parts.next().await {
                h.update(&b?);
            }
            Ok(crate::tokens::hex(&h.finalize()))
        })
    }

    fn delete_prefix(&self, dir: Path) -> BlobResult<()> {
        let store = Arc::clone(&self.store);
        self.run("S3 delete", async move {
            let paths: Vec<Path> = store
                .list(Some(&dir))
                .map(|m| m.map(|m| m.location))
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(remote(&dir))?;
            for p in paths {
                match store.delete(&p).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(source) => {
                        return Err(BlobError::Remote {
                            key: p.to_string(),
                            source,
                        });
                    }
                }
            }
            Ok(())
        })
    }

    /// Removes the least recently used cached uploads beyond the size limit (never `keep`).
    fn evict(&self, keep: &FsPath) {
        let Ok(dir) = fs::read_dir(&self.cache_dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = dir
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                m.is_file().then(|| {
                    (
                        m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                        m.len(),
                        e.path(),
                    )
                })
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.cache_max_bytes {
                break;
            }
            if path == keep {
                continue;
            }
            // A reader that mapped the file keeps its pages; only the name goes.
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }

    fn tmp_path(&self) -> PathBuf {
        self.cache_dir.join(format!(
            ".tmp-{}",
            crate::tokens::hex(&crate::tokens::random_bytes(8))
        ))
    }
}

impl BlobStore for S3BlobStore {
    fn create_staged(&self, upload_id: &str, _size: u64) -> BlobResult<()> {
        // Parts are created as chunks arrive.
        check_key(upload_id)
    }

    fn write_staged(&self, upload_id: &str, offset: u64, data: &[u8]) -> BlobResult<()> {
        let path = self.part(upload_id, offset, data.len() as u64)?;
        let store = Arc::clone(&self.store);
        let payload = PutPayload::from(Bytes::copy_from_slice(data));
        self.run("S3 put part", async move {
            store.put(&path, payload).await.map_err(remote(&path))?;
            Ok(())
        })
    }

    fn staged_sha256(&self, upload_id: &str, size: u64) -> BlobResult<String> {
        self.range_sha256(upload_id, 0, size)
    }

    fn staged_range_sha256(&self, upload_id: &str, offset: u64, length: u64) -> BlobResult<String> {
        self.range_sha256(upload_id, offset, offset + length)
    }

    fn seal_staged(&self, upload_id: &str) -> BlobResult<()> {
        let size = self
            .manifest
            .upload_unscoped(upload_id)
            .map_err(|e| BlobError::Manifest {
                upload_id: upload_id.to_owned(),
                detail: e.to_string(),
            })?
            .ok_or_else(|| BlobError::Manifest {
                upload_id: upload_id.to_owned(),
                detail: "no such upload".into(),
            })?
            .size;
        let chunks = self.chunks(upload_id)?;
        let segments = self.segments(upload_id, &chunks, 0, size)?;
        let sealed = self.sealed(upload_id)?;
        let cached = self.cached(upload_id)?;
        let tmp = self.tmp_path();
        let store = Arc::clone(&self.store);
        let tmp2 = tmp.clone();
        let outcome = self.run("S3 seal", async move {
            let mut file = fs::File::create(&tmp2).map_err(io(&tmp2))?;
            let upload = store
                .put_multipart(&sealed)
                .await
                .map_err(remote(&sealed))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
            let mut parts = assemble(Arc::clone(&store), segments);
            let mut written = 0u64;
            let copied = async {
                while let Some(b) = parts.next().await {
                    let b = b?;
                    writer
                        .wait_for_capacity(PART_CONCURRENCY)
                        .await
                        .map_err(remote(&sealed))?;
                    writer.write(&b);
                    file.write_all(&b).map_err(io(&tmp2))?;
                    written += b.len() as u64;
                }
                if written != size {
                    return Err(BlobError::Manifest {
                        upload_id: sealed.to_string(),
                        detail: format!("assembled {written} bytes, expected {size}"),
                    });
                }
                Ok(())
            }
            .await;
            if let Err(e) = copied {
                let _ = writer.abort().await;
                return Err(e);
            }
            writer.finish().await.map_err(remote(&sealed))?;
            file.sync_all().map_err(io(&tmp2))?;
            Ok(())
        });
        if let Err(e) = outcome {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, &cached).map_err(io(&cached))?;
        self.evict(&cached);
        // The parts are no longer needed; a failure here only leaves garbage behind.
        if let Err(e) = self.delete_prefix(self.staging_dir(upload_id)?) {
            tracing::warn!("upload {upload_id}: deleting staged parts: {e}");
        }
        Ok(())
    }

    fn local_upload_path(&self, upload_id: &str) -> BlobResult<PathBuf> {
        let cached = self.cached(upload_id)?;
        if let Ok(f) = fs::File::options().write(true).open(&cached) {
            // Most recently used.
            let _ = f.set_modified(SystemTime::now());
            return Ok(cached);
        }
        let sealed = self.sealed(upload_id)?;
        let tmp = self.tmp_path();
        let tmp2 = tmp.clone();
        let store = Arc::clone(&self.store);
        let outcome = self.run("S3 download", async move {
            let r = store.get(&sealed).await.map_err(remote(&sealed))?;
            let mut file = fs::File::create(&tmp2).map_err(io(&tmp2))?;
            let mut s = r.into_stream();
            while let Some(b) = s.next().await {
                file.write_all(&b.map_err(remote(&sealed))?)
                    .map_err(io(&tmp2))?;
            }
            file.sync_all().map_err(io(&tmp2))?;
            Ok(())
        });
        if let Err(e) = outcome {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, &cached).map_err(io(&cached))?;
        self.evict(&cached);
        Ok(cached)
    }

    fn delete_upload(&self, upload_id: &str) -> BlobResult<()> {
        self.delete_prefix(self.staging_dir(upload_id)?)?;
        let sealed = self.sealed(upload_id)?;
        let store = Arc::clone(&self.store);
        self.run("S3 delete", async move {
            match store.delete(&sealed).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(source) => Err(BlobError::Remote {
                    key: sealed.to_string(),
                    source,
                }),
            }
        })?;
        let cached = self.cached(upload_id)?;
        match fs::remove_file(&cached) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(BlobError::Io {
                path: cached,
                source,
            }),
        }
    }

    fn put(&self, key: &str, data: &[u8]) -> BlobResult<()> {
        let path = self.object(key)?;
        let store = Arc::clone(&self.store);
        let payload = PutPayload::from(Bytes::copy_from_slice(data));
        self.run("S3 put", async move {
            store.put(&path, payload).await.map_err(remote(&path))?;
            Ok(())
        })
    }

    fn get(&self, key: &str) -> BlobResult<Option<Vec<u8>>> {
        let path = self.object(key)?;
        let store = Arc::clone(&self.store);
        self.run("S3 get", async move {
            match store.get(&path).await {
                Ok(r) => Ok(Some(r.bytes().await.map_err(remote(&path))?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(source) => Err(BlobError::Remote {
                    key: path.to_string(),
                    source,
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{UploadRow, UploadState};
    use object_store::memory::InMemory;

    fn setup(
        size: u64,
    ) -> (
        tempfile::TempDir,
        Arc<SqliteStore>,
        S3BlobStore,
        Arc<InMemory>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let meta = Arc::new(SqliteStore::open(&dir.path().join("m.sqlite")).unwrap());
        let t = meta.ensure_tenant("a", "w").unwrap();
        meta.insert_upload(&UploadRow {
            id: "upl_x".into(),
            tenant_id: t,
            file_name: "f".into(),
            size,
            sha256: "00".into(),
            state: UploadState::Open,
            created_at: 1,
            expires_at: i64::MAX,
            completed_at: None,
            decoded: None,
            error: None,
        })
        .unwrap();
        let mem = Arc::new(InMemory::new());
        let s = S3BlobStore::with_object_store(
            mem.clone(),
            "pre/fix",
            &dir.path().join("cache"),
            1 << 30,
            meta.clone(),
        )
        .unwrap();
        (dir, meta, s, mem)
    }

    fn chunk(meta: &SqliteStore, s: &S3BlobStore, offset: u64, data: &[u8]) {
        let row = ChunkRow {
            offset,
            length: data.len() as u64,
            sha256: crate::tokens::sha256_hex(data),
        };
        meta.insert_chunk("upl_x", &row).unwrap();
        s.write_staged("upl_x", offset, data).unwrap();
    }

    #[test]
    fn parts_in_any_order_hash_seal_and_cache() {
        let (_d, meta, s, mem) = setup(10);
        s.create_staged("upl_x", 10).unwrap();
        chunk(&meta, &s, 6, b"6789");
        chunk(&meta, &s, 0, b"012345");
        assert_eq!(
            s.staged_sha256("upl_x", 10).unwrap(),
            crate::tokens::sha256_hex(b"0123456789")
        );
        assert_eq!(
            s.staged_range_sha256("upl_x", 6, 4).unwrap(),
            crate::tokens::sha256_hex(b"6789")
        );
        // Partial ranges across parts.
        assert_eq!(
            s.staged_range_sha256("upl_x", 4, 4).unwrap(),
            crate::tokens::sha256_hex(b"4567")
        );
        s.seal_staged("upl_x").unwrap();
        let p = s.local_upload_path("upl_x").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"0123456789");
        // The parts are gone, the sealed object is there.
        let listed: Vec<String> = futures_executor::block_on(
            mem.list(Some(&Path::from("pre/fix")))
                .map(|m| m.unwrap().location.to_string())
                .collect::<Vec<_>>(),
        );
        assert_eq!(listed, vec!["pre/fix/uploads/upl_x".to_string()]);
        // Another node (no cache) downloads it.
        fs::remove_file(&p).unwrap();
        assert_eq!(
            fs::read(s.local_upload_path("upl_x").unwrap()).unwrap(),
            b"0123456789"
        );
        s.delete_upload("upl_x").unwrap();
        assert!(s.local_upload_path("upl_x").is_err());
    }

    #[test]
    fn missing_parts_and_gaps_read_as_zeros() {
        let (_d, meta, s, _mem) = setup(8);
        chunk(&meta, &s, 0, b"ab");
        // Recorded, never written (its node died).
        meta.insert_chunk(
            "upl_x",
            &ChunkRow {
                offset: 4,
                length: 2,
                sha256: crate::tokens::sha256_hex(b"ef"),
            },
        )
        .unwrap();
        assert_eq!(
            s.staged_sha256("upl_x", 8).unwrap(),
            crate::tokens::sha256_hex(b"ab\0\0\0\0\0\0")
        );
        assert_ne!(
            s.staged_range_sha256("upl_x", 4, 2).unwrap(),
            crate::tokens::sha256_hex(b"ef")
        );
    }

    #[test]
    fn objects_round_trip_and_keys_are_checked() {
        let (_d, _meta, s, _mem) = setup(1);
        s.put("results/t/v1.json", b"{}").unwrap();
        assert_eq!(s.get("results/t/v1.json").unwrap().unwrap(), b"{}");
        assert!(s.get("results/t/v2.json").unwrap().is_none());
        assert!(s.put("../x", b"").is_err());
        assert!(s.get("/etc/passwd").is_err());
    }

    #[test]
    fn the_cache_keeps_to_its_limit() {
        let (d, meta, s, _mem) = setup(4);
        chunk(&meta, &s, 0, b"abcd");
        s.seal_staged("upl_x").unwrap();
        let s = S3BlobStore::with_object_store(
            s.store.clone(),
            "pre/fix",
            &d.path().join("cache"),
            6,
            meta.clone(),
        )
        .unwrap();
        fs::write(d.path().join("cache/upl_old"), b"12345").unwrap();
        let old = fs::File::options()
            .write(true)
            .open(d.path().join("cache/upl_old"))
            .unwrap();
        old.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        fs::remove_file(d.path().join("cache/upl_x")).unwrap();
        s.local_upload_path("upl_x").unwrap();
        assert!(!d.path().join("cache/upl_old").exists());
        assert!(d.path().join("cache/upl_x").exists());
    }
}
