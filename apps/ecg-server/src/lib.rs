//! The ECG service: uploads (one request, chunked and resumable, or pre-signed), analysis
//! tasks on a durable queue, results with review and an audit trail, PDF reports, share
//! links and signed webhooks, over HTTP (actix-web). The server is thin: it stores bytes,
//! calls `ecg-archive` to decode, an [`engine::AnalysisEngine`] to analyse and an
//! [`engine::ReportRenderer`] to make PDFs; it holds no ECG logic.
//!
//! Run it with `ecg-server serve` (defaults: `--bind 127.0.0.1:8080 --data ./data`); make
//! an API key with `ecg-server keys create --tenant NAME`. The HTTP contract is in
//! `docs/API.md` and `docs/openapi.json`.
//!
//! The storage seams are two traits: [`store::MetadataStore`] (embedded default: SQLite,
//! [`store::sqlite::SqliteStore`]; for many nodes: PostgreSQL,
//! [`store::postgres::PostgresStore`]) and [`blob::BlobStore`] (default: a local directory,
//! [`blob::LocalBlobStore`]; for many nodes: an S3-compatible bucket,
//! [`blob::s3::S3BlobStore`]). `ecg-server serve --role api|worker|all` picks what a node
//! runs; [`config`] reads flags, `ECG_...` environment variables and a TOML file
//! (`docs/DEPLOY.md`).
//!
//! ```
//! use ecg_server::store::{MetadataStore, sqlite::SqliteStore};
//!
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(&dir.path().join("ecg.sqlite"))?;
//! let key = ecg_server::auth::create_key(&store, "clinic-a")?;
//! let tenant = store.tenant_by_key(&ecg_server::auth::key_hash(&key))?.unwrap();
//! assert_eq!(tenant.name, "clinic-a");
//! // Standard Webhooks signature of a payload
//! let sig = ecg_server::webhooks::sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
//!     "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
//! assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod access;
pub mod app;
pub mod auth;
pub mod blob;
pub mod config;
pub mod engine;
pub mod holter;
pub mod idempotency;
pub mod io_runtime;
pub mod metadata;
pub mod openapi;
pub mod overview;
pub mod problem;
pub mod review;
pub mod signal_windows;
pub mod state;
pub mod storage_space;
pub mod store;
pub mod tasks;
pub mod timestamps;
pub mod tokens;
pub mod uploads;
pub mod viewer;
pub mod webhooks;
pub mod worker;
