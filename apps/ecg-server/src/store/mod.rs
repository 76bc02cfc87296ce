//! The metadata store: tenants and keys, uploads and chunks, tasks and their queue, result
//! revisions, share links, the webhook outbox and idempotency records.
//!
//! [`MetadataStore`] is the seam; [`sqlite::SqliteStore`] is the embedded default (one
//! database file in the data directory, WAL mode, versioned migrations) and
//! [`postgres::PostgresStore`] the shared one for many nodes (`docs/DEPLOY.md`).
//!
//! The task queue is the `tasks` table. A worker *claims* a task (queued -> processing)
//! with a *lease*: its node id as owner and an expiry that a heartbeat keeps pushing
//! forward. A task whose lease expired (its node died) is claimed again by any worker;
//! the claim's attempt number fences the old holder out (see [`Claim`]).

pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Errors of a metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused an operation.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A stored JSON column did not parse.
    #[error("stored JSON in {column}: {source}")]
    Json {
        /// Table and column.
        column: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored enum value is unknown (database written by a newer version?).
    #[error("unknown {what} {value:?} in the database")]
    UnknownValue {
        /// Which enum.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// PostgreSQL refused an operation or the connection failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No database connection could be had (pool, runtime or configuration).
    #[error("database connection: {0}")]
    Connection(String),
    /// Opening the database or its directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// A tenant, as an authenticated request sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Numeric id (foreign key of every tenant-owned row).
    pub id: i64,
    /// Unique name given at key creation.
    pub name: String,
    /// The first characters of the API key used (for audit trails).
    pub key_prefix: String,
}

/// State of an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Accepting chunks.
    Open,
    /// Hash verified and decoded: records can be analysed.
    Complete,
    /// Hash verified but the content is not a decodable ECG upload.
    Invalid,
}

impl UploadState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Open => "open",
            UploadState::Complete => "complete",
            UploadState::Invalid => "invalid",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        Ok(match s {
            "open" => UploadState::Open,
            "complete" => UploadState::Complete,
            "invalid" => UploadState::Invalid,
            _ => {
                return Err(StoreError::UnknownValue {
                    what: "upload state",
                    value: s.to_owned(),
                });
            }
        })
    }
}

/// One upload (session).
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRow {
    /// `upl_...`.
    pub id: String,
    /// Owner.
    pub tenant_id: i64,
    /// File name given by the client (names single-file records).
    pub file_name: String,
    /// Declared total size in bytes.
    pub size: u64,
    /// Declared SHA-256 (lower-case hex).
    pub sha256: String,
    /// State.
    pub state: UploadState,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Expiry of an open session (Unix ms); complete uploads do not expire.
    pub expires_at: i64,
    /// Completion time.
    pub completed_at: Option<i64>,
    /// Decoded summary: `{"records": [...], "skipped": [...]}`.
    pub decoded: Option<serde_json::Value>,
    /// Why the upload is invalid.
    pub error: Option<String>,
}

/// One stored chunk of an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChunkRow {
    /// Byte offset.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// SHA-256 of the chunk's bytes (lower-case hex).
    pub sha256: String,
}

/// What inserting a chunk did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkInsert {
    /// New range recorded: write the bytes.
    Inserted,
    /// The exact same range with the same hash was already stored (idempotent retry).
    Duplicate,
    /// Overlaps a stored chunk with other bytes or other bounds.
    Conflict(ChunkRow),
}

/// Task lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Created by the long-term flow's `upload-url`; waits for the upload and `submit`.
    AwaitingUpload,
    /// Waiting for a worker.
    Queued,
    /// Being analysed.
    Processing,
    /// Analysed; waits for a specialist's review and approval.
    Review,
    /// Final (approved, or auto-completed).
    Completed,
    /// Analysis failed (see `error`).
    Failed,
    /// Cancelled by the client.
    Cancelled,
}

impl TaskStatus {
    /// Every status.
    pub const ALL: [TaskStatus; 7] = [
        TaskStatus::AwaitingUpload,
        TaskStatus::Queued,
        TaskStatus::Processing,
        TaskStatus::Review,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::AwaitingUpload => "awaiting_upload",
            TaskStatus::Queued => "queued",
            TaskStatus::Processing => "processing",
            TaskStatus::Review => "review",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether nothing more will happen to the task's analysis.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

/// State of a task's PDF report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// No final result yet.
    None,
    /// Waiting for a worker to render it.
    Queued,
    /// Rendered and stored.
    Ready,
    /// This build cannot render reports.
    Unavailable,
    /// Rendering failed.
    Failed,
}

impl ReportState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::None => "none",
            ReportState::Queued => "queued",
            ReportState::Ready => "ready",
            ReportState::Unavailable => "unavailable",
            ReportState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        Ok(match s {
            "none" => ReportState::None,
            "queued" => ReportState::Queued,
            "ready" => ReportState::Ready,
            "unavailable" => ReportState::Unavailable,
            "failed" => ReportState::Failed,
            _ => {
                return Err(StoreError::UnknownValue {
                    what: "report state",
                    value: s.to_owned(),
                });
            }
        })
    }
}

/// One task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    /// `tsk_...`.
    pub id: String,
    /// Owner.
    pub tenant_id: i64,
    /// The upload analysed.
    pub upload_id: String,
    /// `resting` or `long_term`.
    pub kind: String,
    /// Lifecycle state.
    pub status: TaskStatus,
    /// 0-100.
    pub progress: u8,
    /// Why it failed.
    pub error: Option<String>,
    /// Complete without review.
    pub auto_complete: bool,
    /// Webhook URL for this task's events.
    pub callback_url: Option<String>,
    /// Chosen records (indices into the upload's records); `None` = all.
    pub records: Option<Vec<usize>>,
    /// Request metadata (patient, recording, report, tags).
    pub metadata: serde_json::Value,
    /// Patient id (from metadata, for search).
    pub patient_id: Option<String>,
    /// Search tags (from metadata).
    pub tags: Vec<String>,
    /// Format hint given by the client (detection is by content).
    pub format_hint: Option<String>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
    /// When analysis last started.
    pub started_at: Option<i64>,
    /// When it reached a terminal state or review.
    pub finished_at: Option<i64>,
    /// Times a worker picked it up.
    pub attempts: u32,
    /// Report state.
    pub report_state: ReportState,
    /// Current result version (0 = none).
    pub result_version: u32,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<i64>,
    /// Last event sequence number.
    pub event_seq: u64,
}

/// Filters of a task search.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    /// Only this status.
    pub status: Option<TaskStatus>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this patient id.
    pub patient_id: Option<String>,
    /// Tasks carrying every one of these tags.
    pub tags: Vec<String>,
    /// Created at or after (Unix ms).
    pub created_from: Option<i64>,
    /// Created before (Unix ms).
    pub created_to: Option<i64>,
    /// Continue after this `(created_at, id)` (descending order).
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: usize,
}

/// Times a task may be picked up (after crashes) before it is failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// Lease of a claim when none is configured (milliseconds).
pub const DEFAULT_LEASE_MS: i64 = 30_000;

/// The hold a worker asks for when it claims a task or a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The claiming node's id.
    pub owner: String,
    /// How long the hold lasts without a heartbeat (milliseconds).
    pub ttl_ms: i64,
}

impl Lease {
    /// The lease of the single-process embedded setup.
    pub fn local() -> Self {
        Lease {
            owner: "local".into(),
            ttl_ms: DEFAULT_LEASE_MS,
        }
    }
}

/// The claim that made a task `processing`: only its holder may move the task on. A task
/// taken over after its lease expired has a higher attempt number, so the old holder's
/// late transitions are refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Node id of the holder.
    pub owner: String,
    /// The task's `attempts` after the claim.
    pub attempt: u32,
}

/// Work another node made available (delivered by [`MetadataStore::listen`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeKind {
    /// A task or a report was queued.
    Work,
    /// A webhook delivery was queued.
    Outbox,
}

/// A state change of a task, applied only when the task is in one of `from`.
#[derive(Clone, Debug)]
pub struct Transition {
    /// Allowed current states.
    pub from: Vec<TaskStatus>,
    /// New state.
    pub to: TaskStatus,
    /// New progress.
    pub progress: Option<u8>,
    /// New error (`Some(None)` clears).
    pub error: Option<Option<String>>,
    /// New report state.
    pub report_state: Option<ReportState>,
    /// Approval (who, when).
    pub approved: Option<(String, i64)>,
    /// New result version.
    pub result_version: Option<u32>,
    /// Webhook event type to emit (`task.completed`, ...).
    pub event: Option<&'static str>,
    /// Apply only while this claim holds the task (worker transitions).
    pub claim: Option<Claim>,
}

impl Transition {
    /// A transition `from` -> `to` with nothing else changed.
    pub fn new(from: &[TaskStatus], to: TaskStatus) -> Self {
        Transition {
            from: from.to_vec(),
            to,
            progress: None,
            error: None,
            report_state: None,
            approved: None,
            result_version: None,
            event: None,
            claim: None,
        }
    }
}

/// A message to put in the webhook outbox (built inside the transaction that changes the
/// task, so an event is never lost and never sent for a change that did not commit).
#[derive(Clone, Debug)]
pub struct OutboxMessage {
    /// Standard Webhooks `webhook-id` (`msg_...`): the same across retries.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// Event type.
    pub event_type: String,
    /// Raw JSON body (signed as is).
    pub payload: Vec<u8>,
}

/// A delivery in the outbox, with its log.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryRow {
    /// `webhook-id`.
    pub id: String,
    /// Owner (not serialised).
    #[serde(skip)]
    pub tenant_id: i64,
    /// The task.
    pub task_id: String,
    /// Target URL.
    pub url: String,
    /// Event type.
    pub event_type: String,
    /// Per-task sequence number of the event.
    pub sequence: u64,
    /// `pending`, `delivered` or `failed` (gave up).
    pub state: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt (Unix ms), when pending.
    #[serde(skip)]
    pub next_attempt_at: i64,
    /// Raw body (not serialised in listings).
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// HTTP status of the last attempt.
    pub last_status: Option<u16>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Each attempt: time, status code or error.
    pub log: Vec<DeliveryAttempt>,
}

/// One delivery attempt.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttempt {
    /// Attempt number (1-based).
    pub attempt: u32,
    /// When (RFC 3339).
    pub at: String,
    /// HTTP status answered, if any.
    pub status: Option<u16>,
    /// Transport error, if any.
    pub error: Option<String>,
    /// Round trip in milliseconds.
    pub duration_ms: u64,
}

/// A share link (the token itself is never stored, only its hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ShareRow {
    /// `shr_...`.
    pub id: String,
    /// The task shared.
    pub task_id: String,
    /// Owner.
    #[serde(skip)]
    pub tenant_id: i64,
    /// Creation (RFC 3339).
    pub created_at: String,
    /// Expiry (Unix ms).
    #[serde(skip)]
    pub expires_at_ms: Option<i64>,
    /// Expiry (RFC 3339), if any.
    pub expires_at: Option<String>,
    /// Revocation time (RFC 3339), if revoked.
    pub revoked_at: Option<String>,
}

/// A stored response of an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Hash of method, path and body of the first request.
    pub fingerprint: String,
    /// `None` while the first request is still running.
    pub response: Option<(u16, Vec<u8>)>,
}

/// One revision of a task's result (the audit trail of reviews).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionRow {
    /// Result version this revision produced.
    pub version: u32,
    /// Who: the reviewer named in the request, else the tenant and key prefix.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
    /// `analysis`, `review` or `approve`.
    pub action: String,
    /// What was changed (the request body of a review).
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

/// The metadata store. Every tenant-owned lookup takes the tenant id, so one tenant can
/// never read another's rows (they are simply "not found").
pub trait MetadataStore: Send + Sync + 'static {
    // --- tenants and keys
    /// The tenant of this name, created when missing (with a webhook secret).
    fn ensure_tenant(&self, name: &str, webhook_secret: &str) -> StoreResult<i64>;
    /// Records an API key (its SHA-256) for a tenant.
    fn add_api_key(&self, tenant_id: i64, key_hash: &str, prefix: &str) -> StoreResult<()>;
    /// Revokes a key; false when no active key has this hash.
    fn revoke_api_key(&self, key_hash: &str) -> StoreResult<bool>;
    /// The tenant owning an active key.
    fn tenant_by_key(&self, key_hash: &str) -> StoreResult<Option<Tenant>>;
    /// The tenant's webhook signing secret (`whsec_...`).
    fn webhook_secret(&self, tenant_id: i64) -> StoreResult<String>;
    /// A server setting, created with `init` when missing.
    fn setting_or_init(&self, name: &str, init: &str) -> StoreResult<String>;

    // --- uploads
    /// Inserts a new upload.
    fn insert_upload(&self, upload: &UploadRow) -> StoreResult<()>;
    /// An upload of this tenant.
    fn upload(&self, tenant_id: i64, id: &str) -> StoreResult<Option<UploadRow>>;
    /// An upload of any tenant (pre-signed URLs carry no key).
    fn upload_unscoped(&self, id: &str) -> StoreResult<Option<UploadRow>>;
    /// The stored chunks, by offset.
    fn chunks(&self, upload_id: &str) -> StoreResult<Vec<ChunkRow>>;
    /// Records a chunk unless it conflicts.
    fn insert_chunk(&self, upload_id: &str, chunk: &ChunkRow) -> StoreResult<ChunkInsert>;
    /// Forgets a chunk (to re-send it); false when there is none at that offset.
    fn delete_chunk(&self, upload_id: &str, offset: u64) -> StoreResult<bool>;
    /// Forgets every chunk (a whole-body PUT replaces them).
    fn clear_chunks(&self, upload_id: &str) -> StoreResult<()>;
    /// Moves an open upload to complete/invalid; false when it was not open.
    fn finish_upload(
        &self,
        upload_id: &str,
        state: UploadState,
        decoded: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> StoreResult<bool>;
    /// Ids of open sessions that expired before `now`.
    fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>>;
    /// Deletes an upload row and its chunks.
    fn delete_upload(&self, upload_id: &str) -> StoreResult<()>;

    // --- tasks
    /// Inserts a task.
    fn insert_task(&self, task: &TaskRow) -> StoreResult<()>;
    /// A task of this tenant.
    fn task(&self, tenant_id: i64, id: &str) -> StoreResult<Option<TaskRow>>;
    /// Status, progress and error of a task of this tenant (the cheap lookup behind
    /// status polling).
    fn task_status(
        &self,
        tenant_id: i64,
        id: &str,
    ) -> StoreResult<Option<(TaskStatus, u8, Option<String>)>>;
    /// A task of any tenant (workers, share links).
    fn task_unscoped(&self, id: &str) -> StoreResult<Option<TaskRow>>;
    /// Tasks matching a filter, newest first.
    fn list_tasks(&self, tenant_id: i64, filter: &TaskFilter) -> StoreResult<Vec<TaskRow>>;
    /// Updates what a queued/awaiting task will analyse (the long-term `submit`).
    fn update_task_request(&self, task: &TaskRow) -> StoreResult<()>;
    /// Atomically takes the oldest queued task for a worker (-> processing), with the
    /// single-process lease ([`Lease::local`]).
    fn claim_next_task(
        &self,
        now: i64,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>> {
        self.claim_task(now, &Lease::local(), events)
    }
    /// Atomically takes a task for a worker (-> processing, `attempts` + 1): first a
    /// processing task whose lease expired (its worker died; failed instead once it used
    /// [`MAX_ATTEMPTS`]), else the oldest queued one. Two workers never get the same claim.
    fn claim_task(
        &self,
        now: i64,
        lease: &Lease,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>>;
    /// Atomically takes a task whose report is queued, with the single-process lease.
    fn claim_next_report(&self) -> StoreResult<Option<TaskRow>> {
        self.claim_report(&Lease::local())
    }
    /// Atomically takes a task whose report is queued and not held by a live lease.
    fn claim_report(&self, lease: &Lease) -> StoreResult<Option<TaskRow>>;
    /// Extends the leases `owner` holds on these tasks by `ttl_ms`; returns the ids it no
    /// longer holds (taken over, cancelled or finished).
    fn renew_leases(
        &self,
        owner: &str,
        task_ids: &[String],
        ttl_ms: i64,
    ) -> StoreResult<Vec<String>>;
    /// Calls `wake` when another process queues work or webhook deliveries. The embedded
    /// store serves one process, which wakes its own threads: the default does nothing.
    fn listen(&self, wake: Arc<dyn Fn(WakeKind) + Send + Sync>) -> StoreResult<()> {
        let _ = wake;
        Ok(())
    }
    /// Stores progress of a processing task; returns the task's current status.
    fn set_progress(&self, id: &str, progress: u8) -> StoreResult<Option<TaskStatus>>;
    /// Applies a transition if the task is in an allowed state; returns the new row, or
    /// `None` when the task was not in one of `from`. `events` builds the outbox messages
    /// (given the new row and its new sequence number) inside the same transaction.
    fn transition(
        &self,
        id: &str,
        t: &Transition,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>>;
    /// Ids of tasks still waiting for this upload (`awaiting_upload`).
    fn tasks_awaiting_upload(&self, upload_id: &str) -> StoreResult<Vec<String>>;
    /// Puts tasks left `processing` by a dead process back in the queue (or fails those
    /// that used [`MAX_ATTEMPTS`]); returns them. Called when a worker node starts: the
    /// embedded store (one process) takes every processing task, a shared store only
    /// those whose lease belongs to this node's id (the others are taken over when their
    /// lease expires).
    fn requeue_interrupted(&self) -> StoreResult<Vec<String>>;
    /// Sets the report state of a task.
    fn set_report_state(&self, id: &str, state: ReportState) -> StoreResult<()>;

    // --- result revisions (audit trail)
    /// Records a revision and makes it the task's current result version.
    fn add_revision(&self, task_id: &str, rev: &RevisionRow) -> StoreResult<()>;
    /// The revisions of a task, oldest first.
    fn revisions(&self, task_id: &str) -> StoreResult<Vec<RevisionRow>>;

    // --- share links
    /// Stores a share link (by token hash).
    fn insert_share(&self, share: &ShareRow, token_hash: &str) -> StoreResult<()>;
    /// Share links of a task.
    fn shares(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<ShareRow>>;
    /// Revokes a share link; false when unknown.
    fn revoke_share(&self, tenant_id: i64, task_id: &str, id: &str, now: i64) -> StoreResult<bool>;
    /// The share link with this token hash.
    fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareRow>>;

    // --- webhook outbox
    /// Pending deliveries due at `now`, oldest first. A shared store reserves them for a
    /// while (so two nodes do not send the same message at once); recording the attempt
    /// ends the reservation.
    fn due_deliveries(&self, now: i64, limit: usize) -> StoreResult<Vec<DeliveryRow>>;
    /// Records one attempt; `next_attempt_at` = None marks it finished with `state`.
    fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &DeliveryAttempt,
        state: &str,
        next_attempt_at: Option<i64>,
    ) -> StoreResult<()>;
    /// The earliest pending delivery time.
    fn next_delivery_time(&self) -> StoreResult<Option<i64>>;
    /// Deliveries of a task, with their logs.
    fn deliveries(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<DeliveryRow>>;

    // --- idempotency keys
    /// Starts an idempotent request: `Ok(None)` when the key is new (now reserved),
    /// otherwise the record of the earlier request.
    fn idempotency_begin(
        &self,
        tenant_id: i64,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Stores the response of a reserved key.
    fn idempotency_finish(
        &self,
        tenant_id: i64,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()>;
    /// Releases a reserved key whose request failed (so it can be retried).
    fn idempotency_abort(&self, tenant_id: i64, key: &str) -> StoreResult<()>;
    /// Forgets idempotency records created before `before` (Unix ms); returns how many.
    fn purge_idempotency(&self, before: i64) -> StoreResult<usize>;
}
