//! The server's configuration and shared state.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::blob::BlobStore;
use crate::engine::{AnalysisEngine, ReportRenderer};
use crate::store::MetadataStore;

/// Settings of a running server (CLI flags; defaults are the embedded setup).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Listen address.
    pub bind: String,
    /// Data directory (database, blobs, lock file).
    pub data_dir: PathBuf,
    /// Base URL clients reach the server at (for pre-signed and share URLs); by default
    /// taken from each request's `Host`.
    pub public_url: Option<String>,
    /// HTTP worker threads.
    pub http_workers: usize,
    /// Analysis worker threads.
    pub analysis_workers: usize,
    /// Largest JSON request body.
    pub max_json_bytes: usize,
    /// Largest chunk of a chunked upload.
    pub max_chunk_bytes: usize,
    /// Largest upload (declared size, and one-request or pre-signed bodies).
    pub max_upload_bytes: u64,
    /// Lifetime of an open upload session.
    pub session_ttl: Duration,
    /// Free bytes the data directory keeps: uploads that would leave less are refused
    /// (507); 0 turns the check off.
    pub min_free_bytes: u64,
    /// Lifetime of a pre-signed upload URL.
    pub presign_ttl: Duration,
    /// First webhook retry delay (doubles each attempt).
    pub webhook_retry_base: Duration,
    /// Largest webhook retry delay.
    pub webhook_retry_max: Duration,
    /// Attempts before a delivery is given up.
    pub webhook_max_attempts: u32,
    /// Timeout of one webhook request.
    pub webhook_timeout: Duration,
    /// What this node runs (HTTP API, analysis workers, or both).
    pub role: Role,
    /// This node's id (owner of the leases it takes); empty = kept in the data directory
    /// (`node-id`, made on first start).
    pub node_id: String,
    /// How long a claimed task stays held without a heartbeat (a dead node's tasks are
    /// taken over after this).
    pub lease_ttl: Duration,
    /// The metadata store: embedded SQLite in the data directory, or PostgreSQL.
    pub database: DatabaseConfig,
    /// The blob store: a local directory, or an S3-compatible bucket.
    pub blobs: BlobConfig,
}

/// What a node runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The HTTP API only.
    Api,
    /// Analysis and report workers only (no HTTP listener).
    Worker,
    /// Both (the embedded default).
    #[default]
    All,
}

impl Role {
    /// Whether the node serves HTTP.
    pub fn serves_http(self) -> bool {
        matches!(self, Role::Api | Role::All)
    }

    /// Whether the node runs analysis workers.
    pub fn runs_workers(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

/// Where metadata lives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// `ecg.sqlite` in the data directory (one process).
    #[default]
    Sqlite,
    /// A PostgreSQL database shared by every node.
    Postgres {
        /// Connection URL.
        url: String,
        /// Schema (created when missing); `None` = the default search path.
        schema: Option<String>,
        /// Most connections per node.
        max_connections: usize,
    },
}

/// Where bytes live.
#[derive(Clone, Debug, Default)]
pub enum BlobConfig {
    /// `blobs/` in the data directory.
    #[default]
    Local,
    /// An S3-compatible bucket (cache of sealed uploads under `cache/` in the data
    /// directory unless set).
    S3(crate::blob::s3::S3Options),
}

impl ServerConfig {
    /// Defaults for a data directory: the embedded setup (`127.0.0.1:8080`, one worker
    /// per core).
    pub fn new(data_dir: PathBuf) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            data_dir,
            public_url: None,
            http_workers: cores,
            analysis_workers: cores,
            max_json_bytes: 1 << 20,
            max_chunk_bytes: 64 << 20,
            max_upload_bytes: 64 << 30,
            session_ttl: Duration::from_secs(24 * 3600),
            min_free_bytes: crate::storage_space::DEFAULT_MIN_FREE_BYTES,
            presign_ttl: Duration::from_secs(3600),
            webhook_retry_base: Duration::from_secs(5),
            webhook_retry_max: Duration::from_secs(3600),
            webhook_max_attempts: 8,
            webhook_timeout: Duration::from_secs(10),
            role: Role::All,
            node_id: String::new(),
            lease_ttl: Duration::from_millis(crate::store::DEFAULT_LEASE_MS as u64),
            database: DatabaseConfig::Sqlite,
            blobs: BlobConfig::Local,
        }
    }
}

/// Wakes sleeping background threads when there is new work.
#[derive(Debug, Default)]
pub struct Wakeup {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl Wakeup {
    /// Wakes every waiter.
    pub fn notify(&self) {
        let mut g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *g += 1;
        self.cond.notify_all();
    }

    /// Sleeps until notified or `timeout` passes.
    pub fn wait(&self, timeout: Duration) {
        let g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let start = *g;
        let guard = self
            .cond
            .wait_timeout_while(g, timeout, |g| *g == start)
            .map(|(g, _)| g);
        drop(guard);
    }
}

/// Everything handlers and background threads share.
pub struct AppState {
    /// Metadata.
    pub store: Arc<dyn MetadataStore>,
    /// Bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Analysis step.
    pub engine: Arc<dyn AnalysisEngine>,
    /// Report step.
    pub renderer: Arc<dyn ReportRenderer>,
    /// Settings.
    pub config: ServerConfig,
    /// Key of pre-signed URL signatures.
    pub presign_secret: Vec<u8>,
    /// New tasks or reports to work on.
    pub work: Wakeup,
    /// New webhook deliveries.
    pub outbox: Wakeup,
    /// Set when the server shuts down.
    pub stopping: std::sync::atomic::AtomicBool,
    /// Materialised result versions and the edit lock.
    pub review: crate::review::ReviewCache,
    /// Decoded records of recently viewed tasks.
    pub records: crate::signal_windows::RecordCache,
}
