//! RFC 9457 `application/problem+json` errors with a stable `type` per kind of error.
//!
//! Every error the API returns is an [`ApiError`]; its [`ProblemKind`] fixes the HTTP status,
//! the title and the `type` URI (`/problems/<slug>`, a relative reference that the server
//! itself answers with a description of the problem type).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The kinds of problem the API reports. The slug of each is part of the API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// No or an unknown/revoked API key.
    Unauthorized,
    /// The resource does not exist for this tenant (other tenants' resources included).
    NotFound,
    /// The request is malformed (bad JSON, bad parameter).
    BadRequest,
    /// The body or a header is larger than the server accepts.
    PayloadTooLarge,
    /// The request conflicts with the resource's state.
    Conflict,
    /// A chunk overlaps data already stored with different bytes.
    ChunkConflict,
    /// A chunk's bytes do not match the digest sent with it.
    ChunkDigestMismatch,
    /// A chunk lies (partly) outside the declared upload size.
    ChunkOutOfRange,
    /// The assembled upload does not hash to the declared SHA-256.
    HashMismatch,
    /// Completing an upload whose byte ranges are not all present.
    UploadIncomplete,
    /// The upload session has expired.
    UploadExpired,
    /// The upload matched no supported ECG format or archive.
    UnsupportedFormat,
    /// The upload could not be decoded (corrupt, truncated, refused by limits).
    DecodeFailed,
    /// The same `Idempotency-Key` was sent with a different request.
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still being processed.
    IdempotencyInProgress,
    /// A pre-signed URL's signature is wrong or it has expired.
    InvalidSignature,
    /// A share link is unknown, revoked or expired.
    ShareLinkInvalid,
    /// The task has no result yet (or it failed or was cancelled).
    ResultNotReady,
    /// The task's report is not ready yet.
    ReportNotReady,
    /// This build has no report renderer.
    ReportUnavailable,
    /// A request body field is invalid.
    ValidationFailed,
    /// The server's storage is full (a write failed with "no space left on device" or
    /// "database or disk is full"), or its free space is below the configured minimum.
    InsufficientStorage,
    /// Something failed inside the server.
    Internal,
}

impl ProblemKind {
    /// Every kind, for the documentation endpoint.
    pub const ALL: [ProblemKind; 23] = [
        ProblemKind::Unauthorized,
        ProblemKind::NotFound,
        ProblemKind::BadRequest,
        ProblemKind::PayloadTooLarge,
        ProblemKind::Conflict,
        ProblemKind::ChunkConflict,
        ProblemKind::ChunkDigestMismatch,
        ProblemKind::ChunkOutOfRange,
        ProblemKind::HashMismatch,
        ProblemKind::UploadIncomplete,
        ProblemKind::UploadExpired,
        ProblemKind::UnsupportedFormat,
        ProblemKind::DecodeFailed,
        ProblemKind::IdempotencyKeyReused,
        ProblemKind::IdempotencyInProgress,
        ProblemKind::InvalidSignature,
        ProblemKind::ShareLinkInvalid,
        ProblemKind::ResultNotReady,
        ProblemKind::ReportNotReady,
        ProblemKind::ReportUnavailable,
        ProblemKind::ValidationFailed,
        ProblemKind::InsufficientStorage,
        ProblemKind::Internal,
    ];

    /// The stable slug (last part of the `type` URI).
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::NotFound => "not-found",
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::Conflict => "conflict",
            ProblemKind::ChunkConflict => "chunk-conflict",
            ProblemKind::ChunkDigestMismatch => "chunk-digest-mismatch",
            ProblemKind::ChunkOutOfRange => "chunk-out-of-range",
            ProblemKind::HashMismatch => "hash-mismatch",
            ProblemKind::UploadIncomplete => "upload-incomplete",
            ProblemKind::UploadExpired => "upload-expired",
            ProblemKind::UnsupportedFormat => "unsupported-format",
            ProblemKind::DecodeFailed => "decode-failed",
            ProblemKind::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemKind::IdempotencyInProgress => "idempotency-in-progress",
            ProblemKind::InvalidSignature => "invalid-signature",
            ProblemKind::ShareLinkInvalid => "share-link-invalid",
            ProblemKind::ResultNotReady => "result-not-ready",
            ProblemKind::ReportNotReady => "report-not-ready",
            ProblemKind::ReportUnavailable => "report-unavailable",
            ProblemKind::ValidationFailed => "validation-failed",
            ProblemKind::InsufficientStorage => "insufficient-storage",
            ProblemKind::Internal => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::Conflict
            | ProblemKind::ChunkConflict
            | ProblemKind::IdempotencyInProgress
            | ProblemKind::UploadIncomplete
            | ProblemKind::ResultNotReady
            | ProblemKind::ReportNotReady => StatusCode::CONFLICT,
            ProblemKind::ChunkOutOfRange => StatusCode::RANGE_NOT_SATISFIABLE,
            ProblemKind::ChunkDigestMismatch
            | ProblemKind::HashMismatch
            | ProblemKind::UnsupportedFormat
            | ProblemKind::DecodeFailed
            | ProblemKind::IdempotencyKeyReused
            | ProblemKind::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::UploadExpired => StatusCode::GONE,
            ProblemKind::InvalidSignature => StatusCode::FORBIDDEN,
            ProblemKind::ShareLinkInvalid => StatusCode::NOT_FOUND,
            ProblemKind::ReportUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, fixed, human-readable summary.
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::Unauthorized => "Missing, unknown or revoked API key",
            ProblemKind::NotFound => "No such resource",
            ProblemKind::BadRequest => "Malformed request",
            ProblemKind::PayloadTooLarge => "Request body too large",
            ProblemKind::Conflict => "Conflicts with the resource's current state",
            ProblemKind::ChunkConflict => "Chunk conflicts with bytes already stored",
            ProblemKind::ChunkDigestMismatch => "Chunk does not match its digest",
            ProblemKind::ChunkOutOfRange => "Chunk outside the declared upload size",
            ProblemKind::HashMismatch => "Upload does not match its SHA-256",
            ProblemKind::UploadIncomplete => "Upload has missing byte ranges",
            ProblemKind::UploadExpired => "Upload session expired",
            ProblemKind::UnsupportedFormat => "Not a supported ECG file or archive",
            ProblemKind::DecodeFailed => "The upload could not be decoded",
            ProblemKind::IdempotencyKeyReused => "Idempotency-Key reused with a different request",
            ProblemKind::IdempotencyInProgress => {
                "A request with this Idempotency-Key is in progress"
            }
            ProblemKind::InvalidSignature => "Invalid or expired pre-signed URL",
            ProblemKind::ShareLinkInvalid => "Unknown, revoked or expired share link",
            ProblemKind::ResultNotReady => "The task has no result yet",
            ProblemKind::ReportNotReady => "The report is not ready yet",
            ProblemKind::ReportUnavailable => "Report generation is not available in this build",
            ProblemKind::ValidationFailed => "Invalid request field",
            ProblemKind::InsufficientStorage => "Not enough storage space on the server",
            ProblemKind::Internal => "Internal server error",
        }
    }

    /// The `type` URI: a relative reference the server answers (`GET /problems/<slug>`).
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    /// The kind with this slug.
    pub fn from_slug(slug: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|k| k.slug() == slug)
    }
}

/// The JSON body of a problem response (RFC 9457 members plus extensions).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Problem type URI (stable per kind of error).
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Extension members (e.g. `expected_sha256`, `missing_ranges`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// An error answered as `application/problem+json`.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct ApiError {
    /// The kind (fixes status, title and type).
    pub kind: ProblemKind,
    /// The request-specific explanation.
    pub detail: String,
    /// Extra members of the problem object.
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// A problem of this kind with a detail message.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: detail.into(),
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds an extension member.
    pub fn with(mut self, name: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.extensions.insert(name.to_owned(), value);
        self
    }

    /// 404 for an id this tenant cannot see.
    pub fn not_found(what: &str, id: &str) -> Self {
        ApiError::new(ProblemKind::NotFound, format!("no {what} with id {id:?}"))
    }

    /// 400 with a message.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::BadRequest, detail)
    }

    /// 422 for an invalid request field.
    pub fn invalid(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::ValidationFailed, detail)
    }

    /// 409 with a message.
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::Conflict, detail)
    }

    /// 507 `insufficient-storage` with a message (logged).
    pub fn insufficient_storage(detail: impl std::fmt::Display) -> Self {
        tracing::error!("storage full: {detail}");
        ApiError::new(
            ProblemKind::InsufficientStorage,
            format!(
                "the server is out of storage space ({detail}); nothing was stored, try again later"
            ),
        )
    }

    /// 500 with a message (logged); 507 `insufficient-storage` when `e`, or an error in its
    /// `source()` chain, says the storage is full (see [`is_storage_full`]).
    pub fn from_error(e: &(dyn std::error::Error + 'static)) -> Self {
        if is_storage_full(e) {
            ApiError::insufficient_storage(e)
        } else {
            ApiError::internal(e)
        }
    }

    /// 500 with a message (logged).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        ApiError::new(ProblemKind::Internal, detail.to_string())
    }

    /// The problem body.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: self.kind.type_uri(),
            title: self.kind.title().to_owned(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

/// Whether an I/O error means the storage is full: `ErrorKind::StorageFull` (ENOSPC, raw OS
/// error 28 on Linux) or `ErrorKind::QuotaExceeded` (EDQUOT).
pub fn io_is_storage_full(e: &std::io::Error) -> bool {
    /// ENOSPC on Linux (and most Unix systems).
    const ENOSPC: i32 = 28;
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(ENOSPC)
}

/// Whether an error, or one in its `source()` chain, says the storage is full: an I/O error
/// of [`io_is_storage_full`], SQLite's `SQLITE_FULL` ("database or disk is full") or
/// PostgreSQL's `53100 disk_full`.
pub fn is_storage_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io_is_storage_full(io)
        {
            return true;
        }
        if let Some(sql) = err.downcast_ref::<rusqlite::Error>()
            && sql.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
        {
            return true;
        }
        if let Some(pg) = err.downcast_ref::<tokio_postgres::Error>()
            && pg.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from_error(&e)
    }
}

impl From<crate::blob::BlobError> for ApiError {
    fn from(e: crate::blob::BlobError) -> Self {
        ApiError::from_error(&e)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = HttpResponse::build(self.kind.status());
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if self.kind == ProblemKind::Unauthorized {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        res.body(body)
    }
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for k in ProblemKind::ALL {
            assert!(seen.insert(k.slug()), "duplicate slug {}", k.slug());
            assert_eq!(ProblemKind::from_slug(k.slug()), Some(k));
        }
    }

    #[test]
    fn full_storage_is_507_other_failures_500() {
        use crate::blob::BlobError;
        use crate::store::StoreError;
        let blob = |source: std::io::Error| BlobError::Io {
            path: "/data/blobs/uploads/upl_x.part".into(),
            source,
        };
        for io in [
            std::io::Error::from(std::io::ErrorKind::StorageFull),
            std::io::Error::from_raw_os_error(28), // ENOSPC
            std::io::Error::from(std::io::ErrorKind::QuotaExceeded),
        ] {
            assert!(io_is_storage_full(&io), "{io:?}");
            let e = ApiError::from(blob(io));
            assert_eq!(e.kind, ProblemKind::InsufficientStorage);
            assert_eq!(e.kind.status().as_u16(), 507);
            let v = serde_json::to_value(e.problem()).unwrap();
            assert_eq!(v["type"], "/problems/insufficient-storage");
            assert_eq!(v["status"], 507);
            assert!(v["detail"].as_str().unwrap().contains("upl_x.part"), "{v}");
        }
        // SQLite's "database or disk is full"
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert_eq!(
            ApiError::from(StoreError::Database(full)).kind,
            ProblemKind::InsufficientStorage
        );
        // ... through a real SQLite error: a database whose size is capped
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB); PRAGMA max_page_count = 8;")
            .unwrap();
        let err = conn
            .execute("INSERT INTO t VALUES (zeroblob(1000000))", [])
            .unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull));
        assert_eq!(
            ApiError::from(StoreError::Database(err)).kind,
            ProblemKind::InsufficientStorage
        );
        // other failures stay 500
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert_eq!(
            ApiError::from(StoreError::Database(busy)).kind,
            ProblemKind::Internal
        );
        let denied = blob(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(ApiError::from(denied).kind, ProblemKind::Internal);
        assert_eq!(
            ProblemKind::from_slug("insufficient-storage"),
            Some(ProblemKind::InsufficientStorage)
        );
    }

    #[test]
    fn problem_body_has_rfc9457_members() {
        let e = ApiError::new(ProblemKind::HashMismatch, "sha differs").with("expected", "ab");
        let v = serde_json::to_value(e.problem()).unwrap();
        assert_eq!(v["type"], "/problems/hash-mismatch");
        assert_eq!(v["status"], 422);
        assert_eq!(v["detail"], "sha differs");
        assert_eq!(v["expected"], "ab");
    }
}
