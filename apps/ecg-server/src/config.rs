//! Configuration of `ecg-server serve` (and of the key commands): command-line flags, then
//! environment variables (`ECG_...`), then a TOML file (`--config FILE` or `ECG_CONFIG`),
//! then the embedded defaults, in this order of precedence. `docs/DEPLOY.md` lists every
//! setting with an example for three nodes.
//!
//! ```
//! let file: ecg_server::config::FileConfig = toml::from_str(r#"
//!     role = "worker"
//!     [database]
//!     url = "postgres://ecg@127.0.0.1:5432/ecg"
//!     [blobs]
//!     backend = "s3"
//!     bucket = "ecg"
//!     endpoint = "http://127.0.0.1:8333"
//! "#)?;
//! let opts = ecg_server::config::ServeOptions::default();
//! let config = opts.resolve_with(file)?;
//! assert_eq!(config.role, ecg_server::state::Role::Worker);
//! assert!(matches!(config.blobs, ecg_server::state::BlobConfig::S3(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::blob::s3::S3Options;
use crate::state::{BlobConfig, DatabaseConfig, Role, ServerConfig};

/// The TOML configuration file (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `api`, `worker` or `all`.
    pub role: Option<Role>,
    /// This node's id (default: kept in the data directory).
    pub node_id: Option<String>,
    /// Listen address.
    pub bind: Option<String>,
    /// Data directory.
    pub data: Option<PathBuf>,
    /// Base URL clients use.
    pub public_url: Option<String>,
    /// `[workers]`.
    #[serde(default)]
    pub workers: WorkersSection,
    /// `[database]`.
    #[serde(default)]
    pub database: DatabaseSection,
    /// `[blobs]`.
    #[serde(default)]
    pub blobs: BlobsSection,
    /// `[limits]`.
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[webhooks]`.
    #[serde(default)]
    pub webhooks: WebhooksSection,
}

/// `[workers]` of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersSection {
    /// Analysis threads.
    pub analysis: Option<usize>,
    /// HTTP threads.
    pub http: Option<usize>,
    /// Lease of a claimed task, in seconds.
    pub lease_ttl_s: Option<u64>,
}

/// `[database]` of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// PostgreSQL URL; absent = embedded SQLite.
    pub url: Option<String>,
    /// Schema.
    pub schema: Option<String>,
    /// Most connections per node.
    pub max_connections: Option<usize>,
}

/// Blob backend names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BlobBackend {
    /// The data directory.
    Local,
    /// An S3-compatible bucket.
    S3,
}

/// `[blobs]` of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobsSection {
    /// `local` or `s3` (default: `s3` when a bucket is set).
    pub backend: Option<BlobBackend>,
    /// Bucket.
    pub bucket: Option<String>,
    /// Endpoint URL.
    pub endpoint: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Allow `http://` endpoints.
    pub allow_http: Option<bool>,
    /// Virtual-hosted-style requests.
    pub virtual_hosted_style: Option<bool>,
    /// Key prefix.
    pub prefix: Option<String>,
    /// Cache directory of sealed uploads.
    pub cache_dir: Option<PathBuf>,
    /// Cache size limit in bytes.
    pub cache_max_bytes: Option<u64>,
}

/// `[limits]` of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest JSON body.
    pub max_json_bytes: Option<usize>,
    /// Largest chunk (and one-request upload).
    pub max_chunk_bytes: Option<usize>,
    /// Largest upload.
    pub max_upload_bytes: Option<u64>,
    /// Lifetime of an open upload session, in seconds.
    pub session_ttl_s: Option<u64>,
    /// Lifetime of a pre-signed URL, in seconds.
    pub presign_ttl_s: Option<u64>,
    /// Free bytes the data directory keeps (uploads that would leave less get 507).
    pub min_free_bytes: Option<u64>,
}

/// `[webhooks]` of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSection {
    /// First retry delay in milliseconds.
    pub retry_base_ms: Option<u64>,
    /// Attempts before giving up.
    pub max_attempts: Option<u32>,
    /// Timeout of one delivery, in seconds.
    pub timeout_s: Option<u64>,
}

impl FileConfig {
    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))
    }
}

/// Where the metadata store is (shared by `serve` and the key commands).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct StoreOptions {
    /// TOML configuration file (docs/DEPLOY.md).
    #[arg(long, env = "ECG_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory: embedded database, blobs, cache, lock [default: ./data].
    #[arg(long, env = "ECG_DATA")]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL (`postgres://user:password@host:port/db`); default: embedded SQLite.
    #[arg(long, env = "ECG_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL schema holding the tables (created when missing).
    #[arg(long, env = "ECG_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,
    /// Most PostgreSQL connections per node [default: 16].
    #[arg(long, env = "ECG_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<usize>,
}

/// Flags of `ecg-server serve` (each also an `ECG_...` environment variable).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServeOptions {
    /// Configuration file and metadata store.
    #[command(flatten)]
    pub store: StoreOptions,
    /// What this node runs [default: all].
    #[arg(long, env = "ECG_ROLE", value_enum)]
    pub role: Option<Role>,
    /// This node's id, owner of its task leases [default: made once, kept in DATA/node-id].
    #[arg(long, env = "ECG_NODE_ID")]
    pub node_id: Option<String>,
    /// Listen address (port 0 picks a free port; the address is printed) [default: 127.0.0.1:8080].
    #[arg(long, env = "ECG_BIND")]
    pub bind: Option<String>,
    /// Base URL clients use to reach the server (for pre-signed and share URLs); default:
    /// taken from each request's Host header.
    #[arg(long, env = "ECG_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Analysis worker threads [default: one per core].
    #[arg(long, env = "ECG_WORKERS")]
    pub workers: Option<usize>,
    /// HTTP worker threads [default: one per core].
    #[arg(long, env = "ECG_HTTP_WORKERS")]
    pub http_workers: Option<usize>,
    /// Lease of a claimed task in seconds: a dead node's tasks are taken over after it [default: 30].
    #[arg(long, env = "ECG_LEASE_TTL_S")]
    pub lease_ttl_s: Option<u64>,
    /// Largest chunk (and one-request upload) in bytes [default: 67108864].
    #[arg(long, env = "ECG_MAX_CHUNK_BYTES")]
    pub max_chunk_bytes: Option<usize>,
    /// Largest upload in bytes [default: 68719476736].
    #[arg(long, env = "ECG_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Lifetime of an open upload session, in seconds [default: 86400].
    #[arg(long, env = "ECG_SESSION_TTL_S")]
    pub session_ttl_s: Option<u64>,
    /// Lifetime of a pre-signed upload URL, in seconds [default: 3600].
    #[arg(long, env = "ECG_PRESIGN_TTL_S")]
    pub presign_ttl_s: Option<u64>,
    /// Free bytes the data directory keeps: an upload that would leave less is refused with
    /// 507 before anything is written; 0 turns the check off [default: 268435456].
    #[arg(long, env = "ECG_MIN_FREE_BYTES")]
    pub min_free_bytes: Option<u64>,
    /// First webhook retry delay in milliseconds (doubles per attempt) [default: 5000].
    #[arg(long, env = "ECG_WEBHOOK_RETRY_BASE_MS")]
    pub webhook_retry_base_ms: Option<u64>,
    /// Webhook attempts before giving up [default: 8].
    #[arg(long, env = "ECG_WEBHOOK_MAX_ATTEMPTS")]
    pub webhook_max_attempts: Option<u32>,
    /// Blob store [default: s3 when a bucket is set, else local].
    #[arg(long, env = "ECG_BLOB_BACKEND", value_enum)]
    pub blob_backend: Option<BlobBackend>,
    /// S3 bucket (must exist).
    #[arg(long, env = "ECG_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 endpoint URL (e.g. http://127.0.0.1:8333); default: AWS.
    #[arg(long, env = "ECG_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region [default: us-east-1].
    #[arg(long, env = "ECG_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id (default: AWS_ACCESS_KEY_ID and the AWS credential chain).
    #[arg(long, env = "ECG_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key (prefer the environment or the file to a flag).
    #[arg(long, env = "ECG_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Allow an http:// S3 endpoint [default: true when the endpoint is http://].
    #[arg(long, env = "ECG_S3_ALLOW_HTTP")]
    pub s3_allow_http: Option<bool>,
    /// Virtual-hosted-style S3 requests (bucket.host) instead of path style [default: false].
    #[arg(long, env = "ECG_S3_VIRTUAL_HOSTED_STYLE")]
    pub s3_virtual_hosted_style: Option<bool>,
    /// Key prefix of every object in the bucket.
    #[arg(long, env = "ECG_S3_PREFIX")]
    pub s3_prefix: Option<String>,
    /// Local cache of sealed uploads [default: DATA/cache].
    #[arg(long, env = "ECG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Cache size limit in bytes [default: 10737418240].
    #[arg(long, env = "ECG_CACHE_MAX_BYTES")]
    pub cache_max_bytes: Option<u64>,
}

impl ServeOptions {
    /// The settings: flags and environment, then the file named by `--config`, then
    /// defaults.
    pub fn resolve(self) -> anyhow::Result<ServerConfig> {
        let file = match &self.store.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        self.resolve_with(file)
    }

    /// The settings over an already parsed file.
    pub fn resolve_with(self, f: FileConfig) -> anyhow::Result<ServerConfig> {
        let data = self
            .store
            .data
            .or(f.data)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let mut c = ServerConfig::new(data.clone());
        if let Some(v) = self.bind.or(f.bind) {
            c.bind = v;
        }
        c.public_url = self.public_url.or(f.public_url);
        c.role = self.role.or(f.role).unwrap_or_default();
        c.node_id = self.node_id.or(f.node_id).unwrap_or_default();
        if let Some(w) = self.workers.or(f.workers.analysis) {
            c.analysis_workers = w.max(1);
        }
        if let Some(w) = self.http_workers.or(f.workers.http) {
            c.http_workers = w.max(1);
        }
        if let Some(s) = self.lease_ttl_s.or(f.workers.lease_ttl_s) {
            c.lease_ttl = Duration::from_secs(s.max(1));
        }
        if let Some(v) = f.limits.max_json_bytes {
            c.max_json_bytes = v;
        }
        if let Some(v) = self.max_chunk_bytes.or(f.limits.max_chunk_bytes) {
            c.max_chunk_bytes = v;
        }
        if let Some(v) = self.max_upload_bytes.or(f.limits.max_upload_bytes) {
            c.max_upload_bytes = v;
        }
        if let Some(v) = self.session_ttl_s.or(f.limits.session_ttl_s) {
            c.session_ttl = Duration::from_secs(v);
        }
        if let Some(v) = self.presign_ttl_s.or(f.limits.presign_ttl_s) {
            c.presign_ttl = Duration::from_secs(v);
        }
        if let Some(v) = self.min_free_bytes.or(f.limits.min_free_bytes) {
            c.min_free_bytes = v;
        }
        if let Some(v) = self.webhook_retry_base_ms.or(f.webhooks.retry_base_ms) {
            c.webhook_retry_base = Duration::from_millis(v);
        }
        if let Some(v) = self.webhook_max_attempts.or(f.webhooks.max_attempts) {
            c.webhook_max_attempts = v.max(1);
        }
        if let Some(v) = f.webhooks.timeout_s {
            c.webhook_timeout = Duration::from_secs(v.max(1));
        }
        if let Some(url) = self.store.database_url.or(f.database.url) {
            c.database = DatabaseConfig::Postgres {
                url,
                schema: self.store.database_schema.or(f.database.schema),
                max_connections: self
                    .store
                    .database_max_connections
                    .or(f.database.max_connections)
                    .unwrap_or(16),
            };
        }
        let b = f.blobs;
        let bucket = self.s3_bucket.or(b.bucket);
        let backend = self
            .blob_backend
            .or(b.backend)
            .unwrap_or(if bucket.is_some() {
                BlobBackend::S3
            } else {
                BlobBackend::Local
            });
        if backend == BlobBackend::S3 {
            let Some(bucket) = bucket else {
                anyhow::bail!(
                    "the s3 blob backend needs a bucket (--s3-bucket, ECG_S3_BUCKET or [blobs] bucket)"
                );
            };
            let endpoint = self.s3_endpoint.or(b.endpoint);
            let allow_http = self.s3_allow_http.or(b.allow_http).unwrap_or_else(|| {
                endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://"))
            });
            c.blobs = BlobConfig::S3(S3Options {
                bucket,
                endpoint,
                region: self.s3_region.or(b.region),
                access_key_id: self.s3_access_key_id.or(b.access_key_id),
                secret_access_key: self.s3_secret_access_key.or(b.secret_access_key),
                allow_http,
                virtual_hosted_style: self
                    .s3_virtual_hosted_style
                    .or(b.virtual_hosted_style)
                    .unwrap_or(false),
                prefix: self.s3_prefix.or(b.prefix).unwrap_or_default(),
                cache_dir: self
                    .cache_dir
                    .or(b.cache_dir)
                    .unwrap_or_else(|| data.join("cache")),
                cache_max_bytes: self
                    .cache_max_bytes
                    .or(b.cache_max_bytes)
                    .unwrap_or(10 << 30),
            });
        }
        if c.role != Role::All && c.database == DatabaseConfig::Sqlite {
            anyhow::bail!(
                "--role {} needs a shared database (--database-url or [database] url): the \
                 embedded SQLite store serves one process, which runs every role",
                match c.role {
                    Role::Api => "api",
                    _ => "worker",
                }
            );
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = ServeOptions::default().resolve().unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.role, Role::All);
        assert_eq!(c.database, DatabaseConfig::Sqlite);
        assert!(matches!(c.blobs, BlobConfig::Local));
        assert_eq!(c.max_chunk_bytes, 64 << 20);
        assert_eq!(c.min_free_bytes, 256 << 20);
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let file: FileConfig = toml::from_str(
            r#"
            role = "api"
            bind = "127.0.0.1:9000"
            data = "/srv/ecg"
            [workers]
            analysis = 3
            lease_ttl_s = 12
            [database]
            url = "postgres://u@h/db"
            schema = "ecg"
            [blobs]
            bucket = "b"
            endpoint = "http://127.0.0.1:8333"
            prefix = "p"
            [limits]
            max_chunk_bytes = 1000
            min_free_bytes = 5000
            [webhooks]
            max_attempts = 2
            "#,
        )
        .unwrap();
        let opts = ServeOptions {
            bind: Some("127.0.0.1:9001".into()),
            workers: Some(5),
            ..Default::default()
        };
        let c = opts.resolve_with(file).unwrap();
        assert_eq!(c.bind, "127.0.0.1:9001");
        assert_eq!(c.analysis_workers, 5);
        assert_eq!(c.role, Role::Api);
        assert_eq!(c.lease_ttl, Duration::from_secs(12));
        assert_eq!(c.max_chunk_bytes, 1000);
        assert_eq!(c.min_free_bytes, 5000);
        assert_eq!(c.webhook_max_attempts, 2);
        assert_eq!(
            c.database,
            DatabaseConfig::Postgres {
                url: "postgres://u@h/db".into(),
                schema: Some("ecg".into()),
                max_connections: 16
            }
        );
        let BlobConfig::S3(s3) = c.blobs else {
            panic!("expected S3")
        };
        assert_eq!(s3.bucket, "b");
        assert!(s3.allow_http);
        assert_eq!(s3.prefix, "p");
        assert_eq!(s3.cache_dir, PathBuf::from("/srv/ecg/cache"));
    }

    #[test]
    fn split_roles_need_a_shared_database_and_unknown_keys_are_refused() {
        let opts = ServeOptions {
            role: Some(Role::Worker),
            ..Default::default()
        };
        assert!(opts.resolve().is_err());
        assert!(toml::from_str::<FileConfig>("bnd = \"x\"").is_err());
        let s3_without_bucket = ServeOptions {
            blob_backend: Some(BlobBackend::S3),
            ..Default::default()
        };
        assert!(s3_without_bucket.resolve().is_err());
    }
}
