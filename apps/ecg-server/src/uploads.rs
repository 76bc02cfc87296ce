//! Uploads: one-request uploads, chunked sessions (any order, idempotent retries,
//! conflicting rewrites refused, resumable), completion (SHA-256 verified, then decoded by
//! `ecg-archive`) and pre-signed upload URLs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use ecg_core::{Record, SharedBytes};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, tenant_of};
use crate::idempotency;
use crate::problem::{ApiError, ApiResult, Problem, ProblemKind};
use crate::state::AppState;
use crate::store::{ChunkInsert, ChunkRow, UploadRow, UploadState};
use crate::timestamps::{now_ms, rfc3339};
use crate::tokens::{hex, new_id, presign, sha256_hex, verify_presigned};

/// Body of `POST /api/v1/uploads`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateUpload {
    /// File name (names single-file records; detection is by content).
    pub file_name: String,
    /// Total size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

/// A byte range.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
}

/// An upload and what is known about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    /// Upload id (`upl_...`), used to create tasks.
    pub upload_id: String,
    /// File name.
    pub file_name: String,
    /// Declared size.
    pub size: u64,
    /// Declared SHA-256.
    pub sha256: String,
    /// `open`, `complete` or `invalid`.
    pub state: UploadState,
    /// Creation time.
    pub created_at: String,
    /// Expiry of the open session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Completion time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Bytes received (open sessions).
    pub received_bytes: u64,
    /// Chunks present, with their SHA-256 (open sessions).
    pub chunks: Vec<ChunkRow>,
    /// Ranges still missing (open sessions).
    pub missing: Vec<ByteRange>,
    /// Decoded records, in order (complete uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<serde_json::Value>,
    /// Archive entries skipped, with the reason (complete uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub skipped: Option<serde_json::Value>,
    /// Why the upload is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The ranges of `[0, size)` not covered by `chunks` (sorted by offset).
pub fn missing_ranges(size: u64, chunks: &[ChunkRow]) -> Vec<ByteRange> {
    let mut out = Vec::new();
    let mut pos = 0;
    for c in chunks {
        if c.offset > pos {
            out.push(ByteRange {
                offset: pos,
                length: c.offset - pos,
            });
        }
        pos = pos.max(c.offset + c.length);
    }
    if pos < size {
        out.push(ByteRange {
            offset: pos,
            length: size - pos,
        });
    }
    out
}

/// The view of an upload row.
pub fn view(state: &AppState, u: &UploadRow) -> ApiResult<UploadView> {
    let chunks = if u.state == UploadState::Open {
        state.store.chunks(&u.id)?
    } else {
        Vec::new()
    };
    let missing = if u.state == UploadState::Open {
        missing_ranges(u.size, &chunks)
    } else {
        Vec::new()
    };
    let received_bytes = if u.state == UploadState::Open {
        chunks.iter().map(|c| c.length).sum()
    } else {
        u.size
    };
    Ok(UploadView {
        upload_id: u.id.clone(),
        file_name: u.file_name.clone(),
        size: u.size,
        sha256: u.sha256.clone(),
        state: u.state,
        created_at: rfc3339(u.created_at),
        expires_at: (u.state == UploadState::Open).then(|| rfc3339(u.expires_at)),
        completed_at: u.completed_at.map(rfc3339),
        received_bytes,
        chunks,
        missing,
        records: u.decoded.as_ref().map(|d| d["records"].clone()),
        skipped: u.decoded.as_ref().map(|d| d["skipped"].clone()),
        error: u.error.clone(),
    })
}

fn check_sha256(s: &str) -> ApiResult<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(ApiError::invalid("sha256 must be 64 hex digits"))
    }
}

/// Creates an open upload session (and its staging area).
pub fn create_session(
    state: &AppState,
    tenant_id: i64,
    req: &CreateUpload,
) -> ApiResult<UploadRow> {
    let file_name = req.file_name.trim();
    if file_name.is_empty() || file_name.len() > 255 {
        return Err(ApiError::invalid("file_name must be 1-255 characters"));
    }
    if req.size == 0 {
        return Err(ApiError::invalid("size must be positive"));
    }
    if req.size > state.config.max_upload_bytes {
        return Err(ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!(
                "size {} exceeds this server's upload limit of {} bytes",
                req.size, state.config.max_upload_bytes
            ),
        ));
    }
    let now = now_ms();
    let row = UploadRow {
        id: new_id("upl"),
        tenant_id,
        file_name: file_name.to_owned(),
        size: req.size,
        sha256: check_sha256(&req.sha256)?,
        state: UploadState::Open,
        created_at: now,
        expires_at: now + state.config.session_ttl.as_millis() as i64,
        completed_at: None,
        decoded: None,
        error: None,
    };
    // the whole upload will need its size: refuse it now rather than half-way (507)
    crate::storage_space::ensure_room(state, row.size)?;
    state.blobs.create_staged(&row.id, row.size)?;
    state.store.insert_upload(&row)?;
    Ok(row)
}

fn open_upload(state: &AppState, tenant_id: i64, id: &str) -> ApiResult<UploadRow> {
    let u = state
        .store
        .upload(tenant_id, id)?
        .ok_or_else(|| ApiError::not_found("upload", id))?;
    ensure_open(&u)?;
    Ok(u)
}

fn ensure_open(u: &UploadRow) -> ApiResult<()> {
    if u.state != UploadState::Open {
        return Err(ApiError::conflict(format!(
            "upload {} is {} and accepts no more bytes",
            u.id,
            u.state.as_str()
        )));
    }
    if u.expires_at < now_ms() {
        return Err(ApiError::new(
            ProblemKind::UploadExpired,
            format!(
                "upload session {} expired at {}",
                u.id,
                rfc3339(u.expires_at)
            ),
        ));
    }
    Ok(())
}

/// `POST /api/v1/uploads`: creates a chunked upload session.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads",
    request_body = CreateUpload,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation")),
    responses(
        (status = 201, description = "Session created", body = UploadView),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Not enough storage space (free space below --min-free-bytes, or the disk is full); nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_upload(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: CreateUpload = parse_json(&body)?;
    idempotency::once(&state, &tenant, &req, &body, || {
        let row = create_session(&state, tenant.id, &parsed)?;
        Ok((StatusCode::CREATED, json(view(&state, &row)?)?))
    })
}

/// Parses a JSON body with a problem on failure.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// Serialises a response value.
pub fn json<T: Serialize>(v: T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// `GET /api/v1/uploads/{upload_id}`: state, present chunks and missing ranges (to resume).
#[utoipa::path(get, path = "/api/v1/uploads/{upload_id}", tag = "uploads",
    params(("upload_id" = String, Path, description = "Upload id")),
    responses((status = 200, body = UploadView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_upload(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let u = state
        .store
        .upload(tenant.id, &path)?
        .ok_or_else(|| ApiError::not_found("upload", &path))?;
    Ok(HttpResponse::Ok().json(view(&state, &u)?))
}

fn chunk_digest(req: &HttpRequest) -> ApiResult<Option<String>> {
    if let Some(v) = req.headers().get("x-content-sha256") {
        let s = v
            .to_str()
            .map_err(|_| ApiError::bad_request("X-Content-SHA256 is not ASCII"))?;
        return check_sha256(s).map(Some);
    }
    if let Some(v) = req.headers().get("content-digest") {
        let s = v
            .to_str()
            .map_err(|_| ApiError::bad_request("Content-Digest is not ASCII"))?;
        for item in s.split(',') {
            let item = item.trim();
            if let Some(b64) = item
                .strip_prefix("sha-256=:")
                .and_then(|r| r.strip_suffix(':'))
            {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| ApiError::bad_request("Content-Digest sha-256 is not base64"))?;
                return Ok(Some(hex(&raw)));
            }
        }
    }
    Ok(None)
}

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut buf = Vec::with_capacity(declared.min(limit));
    while let Some(piece) = payload.next().await {
        let piece = piece.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if buf.len() + piece.len() > limit {
            return Err(ApiError::new(
                ProblemKind::PayloadTooLarge,
                format!("body larger than the limit of {limit} bytes"),
            ));
        }
        buf.extend_from_slice(&piece);
    }
    Ok(buf)
}

/// The stored chunk after a PUT.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChunkReceipt {
    /// Offset.
    pub offset: u64,
    /// Length.
    pub length: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// False when this was a retry of a chunk already stored.
    pub created: bool,
}

/// `PUT /api/v1/uploads/{upload_id}/chunks/{offset}`: stores one chunk.
///
/// Send the chunk's SHA-256 in `X-Content-SHA256` (hex) or `Content-Digest: sha-256=:..:`
/// to have it checked on arrival. Retrying the same bytes is harmless (200); other bytes
/// over a stored range are refused (409 `chunk-conflict`).
#[utoipa::path(put, path = "/api/v1/uploads/{upload_id}/chunks/{offset}", tag = "uploads",
    params(("upload_id" = String, Path), ("offset" = u64, Path, description = "Byte offset of the chunk"),
        ("X-Content-SHA256" = Option<String>, Header, description = "SHA-256 of this chunk (hex)")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = ChunkReceipt),
        (status = 200, description = "Identical retry", body = ChunkReceipt),
        (status = 409, description = "Conflicting bytes, or session closed", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "Outside the declared size", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Digest mismatch", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Not enough storage space (free space below --min-free-bytes, or the disk is full); nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn put_chunk(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (id, offset) = path.into_inner();
    let u = open_upload(&state, tenant.id, &id)?;
    if offset >= u.size {
        return Err(ApiError::new(
            ProblemKind::ChunkOutOfRange,
            format!("offset {offset} is at or past the declared size {}", u.size),
        ));
    }
    let expected = chunk_digest(&req)?;
    let limit = state
        .config
        .max_chunk_bytes
        .min((u.size - offset).min(usize::MAX as u64) as usize);
    let data = read_body(&req, payload, limit).await.map_err(|e| {
        if e.kind == ProblemKind::PayloadTooLarge && limit < state.config.max_chunk_bytes {
            ApiError::new(
                ProblemKind::ChunkOutOfRange,
                format!("chunk at {offset} runs past the declared size {}", u.size),
            )
        } else {
            e
        }
    })?;
    if data.is_empty() {
        return Err(ApiError::invalid("empty chunk"));
    }
    let st = state.clone();
    let receipt = web::block(move || -> ApiResult<ChunkReceipt> {
        let sha = sha256_hex(&data);
        if let Some(exp) = expected
            && exp != sha
        {
            return Err(ApiError::new(
                ProblemKind::ChunkDigestMismatch,
                format!("chunk at {offset}: received bytes hash to {sha}, the request said {exp}"),
            )
            .with("received_sha256", &sha)
            .with("expected_sha256", &exp));
        }
        let row = ChunkRow {
            offset,
            length: data.len() as u64,
            sha256: sha.clone(),
        };
        crate::storage_space::ensure_room(&st, row.length)?;
        match st.store.insert_chunk(&id, &row)? {
            ChunkInsert::Duplicate => Ok(ChunkReceipt {
                offset,
                length: row.length,
                sha256: sha,
                created: false,
            }),
            ChunkInsert::Conflict(existing) => Err(ApiError::new(
                ProblemKind::ChunkConflict,
                format!(
                    "bytes {}..{} overlap the stored chunk {}..{} with different content; \
                     DELETE that chunk first to replace it",
                    offset,
                    offset + row.length,
                    existing.offset,
                    existing.offset + existing.length
                ),
            )
            .with("existing", &existing)),
            ChunkInsert::Inserted => {
                if let Err(e) = st.blobs.write_staged(&id, offset, &data) {
                    // the range is missing again (the bytes may be half-written); should
                    // even this fail, `complete` finds the chunk's bytes do not match its
                    // SHA-256 and drops it
                    if let Err(d) = st.store.delete_chunk(&id, offset) {
                        tracing::error!(
                            "upload {id}: forgetting the failed chunk at {offset}: {d}"
                        );
                    }
                    return Err(e.into());
                }
                Ok(ChunkReceipt {
                    offset,
                    length: row.length,
                    sha256: sha,
                    created: true,
                })
            }
        }
    })
    .await??;
    let status = if receipt.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(receipt))
}

/// `DELETE /api/v1/uploads/{upload_id}/chunks/{offset}`: forgets a chunk so it can be
/// sent again (e.g. after a hash mismatch showed it was corrupt).
#[utoipa::path(delete, path = "/api/v1/uploads/{upload_id}/chunks/{offset}", tag = "uploads",
    params(("upload_id" = String, Path), ("offset" = u64, Path)),
    responses((status = 204, description = "Forgotten"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_chunk(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<(String, u64)>,
) -> ApiResult<HttpResponse> {
    let (id, offset) = path.into_inner();
    open_upload(&state, tenant.id, &id)?;
    if state.store.delete_chunk(&id, offset)? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("chunk at offset", &offset.to_string()))
    }
}

/// `DELETE /api/v1/uploads/{upload_id}`: abandons an open session.
#[utoipa::path(delete, path = "/api/v1/uploads/{upload_id}", tag = "uploads",
    params(("upload_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_upload(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let u = state
        .store
        .upload(tenant.id, &path)?
        .ok_or_else(|| ApiError::not_found("upload", &path))?;
    if u.state != UploadState::Open {
        return Err(ApiError::conflict("only open sessions can be deleted"));
    }
    state.blobs.delete_upload(&u.id)?;
    state.store.delete_upload(&u.id)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Summary of a decoded record (no samples).
pub fn record_summary(index: usize, r: &Record) -> serde_json::Value {
    serde_json::json!({
        "index": index,
        "name": r.name,
        "source": r.source,
        "format": r.format,
        "start_date": r.start_date,
        "start_time": r.start_time,
        "duration_s": r.duration_s(),
        "signals": r.signals.iter().map(|s| serde_json::json!({
            "label": s.label,
            "fs": s.fs,
            "unit": s.unit,
            "samples": s.len(),
        })).collect::<Vec<_>>(),
        "patient": r.personal,
        "recording": r.readings,
        "annotation_sets": r.classification.annotations.len(),
        "statements": r.classification.statements.len(),
        "warnings": r.warnings,
    })
}

/// Decodes a sealed upload with `ecg-archive`.
pub fn decode(state: &AppState, u: &UploadRow) -> ApiResult<ecg_archive::Decoded> {
    let path = state.blobs.local_upload_path(&u.id)?;
    let data = SharedBytes::map_file(&path).map_err(ApiError::internal)?;
    let source = ecg_archive::Source::Bytes {
        name: u.file_name.clone(),
        data,
    };
    ecg_archive::decode_upload(source, &ecg_core::DecodeOptions::default()).map_err(|e| match e {
        ecg_archive::ArchiveError::UnknownFormat { .. } => {
            ApiError::new(ProblemKind::UnsupportedFormat, e.to_string())
        }
        other => ApiError::new(ProblemKind::DecodeFailed, other.to_string()),
    })
}

/// Seals verified bytes, decodes them and records the outcome. Returns the new row, or the
/// decode problem (the upload is then `invalid`).
fn seal_and_decode(state: &AppState, u: &UploadRow) -> ApiResult<UploadRow> {
    state.blobs.seal_staged(&u.id)?;
    decode_and_record(state, u)
}

/// Whether an open upload's bytes are already sealed: they were verified and sealed, but
/// recording the completion failed (e.g. the database was full, 507).
fn sealed_but_open(state: &AppState, u: &UploadRow) -> bool {
    u.state == UploadState::Open && state.blobs.local_upload_path(&u.id).is_ok()
}

/// Decodes sealed bytes and records the outcome (see [`seal_and_decode`]).
fn decode_and_record(state: &AppState, u: &UploadRow) -> ApiResult<UploadRow> {
    match decode(state, u) {
        Ok(decoded) => {
            let summary = serde_json::json!({
                "records": decoded.records.iter().enumerate()
                    .map(|(i, r)| record_summary(i, r)).collect::<Vec<_>>(),
                "skipped": decoded.skipped,
            });
            state
                .store
                .finish_upload(&u.id, UploadState::Complete, Some(&summary), None)?;
        }
        Err(e) => {
            state
                .store
                .finish_upload(&u.id, UploadState::Invalid, None, Some(&e.detail))?;
            return Err(e);
        }
    }
    state
        .store
        .upload_unscoped(&u.id)?
        .ok_or_else(|| ApiError::internal("upload vanished"))
}

/// Completes a chunked session: every byte present, SHA-256 verified, then decoded.
pub fn complete_session(state: &AppState, u: &UploadRow) -> ApiResult<UploadRow> {
    ensure_open(u)?;
    if sealed_but_open(state, u) {
        // verified and sealed before, the completion not recorded: record it now
        return decode_and_record(state, u);
    }
    let chunks = state.store.chunks(&u.id)?;
    let missing = missing_ranges(u.size, &chunks);
    if !missing.is_empty() {
        return Err(ApiError::new(
            ProblemKind::UploadIncomplete,
            format!("{} byte range(s) are missing", missing.len()),
        )
        .with("missing", &missing));
    }
    let actual = state.blobs.staged_sha256(&u.id, u.size)?;
    if actual != u.sha256 {
        // Find chunks whose stored bytes no longer match what was received (a write lost
        // in a crash): forget them so the client re-sends exactly those.
        let mut dropped = Vec::new();
        for c in &chunks {
            let stored = state.blobs.staged_range_sha256(&u.id, c.offset, c.length)?;
            if stored != c.sha256 {
                state.store.delete_chunk(&u.id, c.offset)?;
                dropped.push(ByteRange {
                    offset: c.offset,
                    length: c.length,
                });
            }
        }
        return Err(ApiError::new(
            ProblemKind::HashMismatch,
            format!(
                "the received bytes hash to {actual}, not the declared {}; compare the chunks' \
                 sha256 with yours, DELETE the wrong ones and send them again",
                u.sha256
            ),
        )
        .with("expected_sha256", &u.sha256)
        .with("actual_sha256", &actual)
        .with("chunks", &chunks)
        .with("dropped", &dropped));
    }
    seal_and_decode(state, u)
}

/// `POST /api/v1/uploads/{upload_id}/complete`: verifies and decodes a chunked upload.
#[utoipa::path(post, path = "/api/v1/uploads/{upload_id}/complete", tag = "uploads",
    params(("upload_id" = String, Path)),
    responses(
        (status = 200, description = "Verified and decoded", body = UploadView),
        (status = 409, description = "Missing ranges", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Hash mismatch (session stays open) or unsupported format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn complete_upload(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let u = state
        .store
        .upload(tenant.id, &path)?
        .ok_or_else(|| ApiError::not_found("upload", &path))?;
    if u.state == UploadState::Complete {
        return Ok(HttpResponse::Ok().json(view(&state, &u)?));
    }
    let st = state.clone();
    let done = web::block(move || complete_session(&st, &u)).await??;
    Ok(HttpResponse::Ok().json(view(&state, &done)?))
}

/// Streams a whole body into an open session's staging area (replacing any chunks),
/// hashing as it goes; then verifies and decodes. The body is staged in pieces of 8 MiB,
/// each recorded as a chunk (the chunk table is what a shared blob store assembles); when
/// the body is refused the session is left with no chunks, ready for another try.
pub async fn receive_whole(
    state: &web::Data<AppState>,
    u: &UploadRow,
    payload: web::Payload,
) -> ApiResult<UploadRow> {
    ensure_open(u)?;
    if sealed_but_open(state, u) {
        let (st, row) = (state.clone(), u.clone());
        return web::block(move || decode_and_record(&st, &row)).await?;
    }
    crate::storage_space::ensure_room(state, u.size)?;
    state.store.clear_chunks(&u.id)?;
    if let Err(e) = stage_whole_body(state, u, payload).await {
        if let Err(clear) = state.store.clear_chunks(&u.id) {
            tracing::warn!("upload {}: clearing refused pieces: {clear}", u.id);
        }
        return Err(e);
    }
    let st = state.clone();
    let row = u.clone();
    web::block(move || seal_and_decode(&st, &row)).await?
}

/// Stages and records the body's pieces; checks its size and SHA-256.
async fn stage_whole_body(
    state: &web::Data<AppState>,
    u: &UploadRow,
    mut payload: web::Payload,
) -> ApiResult<()> {
    const FLUSH: usize = 8 << 20;
    let mut hasher = Sha256::new();
    let mut offset = 0u64;
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH);
    loop {
        let piece = payload.next().await;
        let last = piece.is_none();
        if let Some(piece) = piece {
            let piece =
                piece.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
            if offset + (buf.len() + piece.len()) as u64 > u.size {
                return Err(ApiError::new(
                    ProblemKind::PayloadTooLarge,
                    format!("body is longer than the declared size {}", u.size),
                ));
            }
            buf.extend_from_slice(&piece);
        }
        if buf.len() >= FLUSH || (last && !buf.is_empty()) {
            let data = std::mem::replace(&mut buf, Vec::with_capacity(FLUSH));
            let st = state.clone();
            let id = u.id.clone();
            let at = offset;
            offset += data.len() as u64;
            hasher = web::block(move || -> ApiResult<Sha256> {
                hasher.update(&data);
                st.blobs.write_staged(&id, at, &data)?;
                st.store.insert_chunk(
                    &id,
                    &ChunkRow {
                        offset: at,
                        length: data.len() as u64,
                        sha256: sha256_hex(&data),
                    },
                )?;
                Ok(hasher)
            })
            .await??;
        }
        if last {
            break;
        }
    }
    if offset != u.size {
        return Err(ApiError::new(
            ProblemKind::UploadIncomplete,
            format!("body has {offset} bytes, the declared size is {}", u.size),
        ));
    }
    let actual = hex(&hasher.finalize());
    if actual != u.sha256 {
        return Err(ApiError::new(
            ProblemKind::HashMismatch,
            format!(
                "the body hashes to {actual}, not the declared {}; send it again",
                u.sha256
            ),
        )
        .with("expected_sha256", &u.sha256)
        .with("actual_sha256", &actual));
    }
    Ok(())
}

/// Query of a one-request upload.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DirectQuery {
    /// File name.
    pub file_name: String,
    /// SHA-256 of the body (checked when given).
    pub sha256: Option<String>,
}

/// `POST /api/v1/uploads/direct?file_name=NAME`: a small file in one request (raw body).
#[utoipa::path(post, path = "/api/v1/uploads/direct", tag = "uploads",
    params(DirectQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored and decoded", body = UploadView),
        (status = 422, description = "Unsupported format or hash mismatch", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Not enough storage space (free space below --min-free-bytes, or the disk is full); nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn direct_upload(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    query: web::Query<DirectQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let limit = state.config.max_chunk_bytes;
    let data = read_body(&req, payload, limit).await?;
    if data.is_empty() {
        return Err(ApiError::invalid("empty body"));
    }
    let st = state.clone();
    let q = query.into_inner();
    let row = web::block(move || -> ApiResult<UploadRow> {
        let sha = sha256_hex(&data);
        if let Some(exp) = &q.sha256
            && check_sha256(exp)? != sha
        {
            return Err(ApiError::new(
                ProblemKind::HashMismatch,
                format!("the body hashes to {sha}, not {exp}"),
            ));
        }
        let u = create_session(
            &st,
            tenant.id,
            &CreateUpload {
                file_name: q.file_name.clone(),
                size: data.len() as u64,
                sha256: sha.clone(),
            },
        )?;
        let stored = st
            .blobs
            .write_staged(&u.id, 0, &data)
            .map_err(ApiError::from)
            .and_then(|()| {
                st.store
                    .insert_chunk(
                        &u.id,
                        &ChunkRow {
                            offset: 0,
                            length: u.size,
                            sha256: sha,
                        },
                    )
                    .map_err(ApiError::from)
            });
        if let Err(e) = stored {
            // nothing half-written is left behind (e.g. the disk filled up: 507)
            if let Err(d) = st
                .blobs
                .delete_upload(&u.id)
                .map_err(ApiError::from)
                .and_then(|()| st.store.delete_upload(&u.id).map_err(ApiError::from))
            {
                tracing::error!("upload {}: removing the failed upload: {}", u.id, d.detail);
            }
            return Err(e);
        }
        seal_and_decode(&st, &u)
    })
    .await??;
    Ok(HttpResponse::Created().json(view(&state, &row)?))
}

/// A pre-signed upload URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresignedUrl {
    /// `PUT` the whole file here, without an API key.
    pub upload_url: String,
    /// When the URL stops working.
    pub expires_at: String,
}

/// The base URL of the server as the client sees it.
pub fn base_url(state: &AppState, req: &HttpRequest) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Makes a pre-signed `PUT` URL for an open upload.
pub fn presigned_url(state: &AppState, req: &HttpRequest, u: &UploadRow) -> PresignedUrl {
    let expires_ms = (now_ms() + state.config.presign_ttl.as_millis() as i64).min(u.expires_at);
    let expires = expires_ms.div_euclid(1000);
    let path = format!("/api/v1/uploads/{}/content", u.id);
    let sig = presign(&state.presign_secret, "PUT", &path, expires);
    PresignedUrl {
        upload_url: format!(
            "{}{path}?expires={expires}&signature={sig}",
            base_url(state, req)
        ),
        expires_at: rfc3339(expires * 1000),
    }
}

/// `POST /api/v1/uploads/{upload_id}/upload-url`: a pre-signed URL for this session.
#[utoipa::path(post, path = "/api/v1/uploads/{upload_id}/upload-url", tag = "uploads",
    params(("upload_id" = String, Path)),
    responses((status = 200, body = PresignedUrl), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_upload_url(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let u = open_upload(&state, tenant.id, &path)?;
    Ok(HttpResponse::Ok().json(presigned_url(&state, &req, &u)))
}

/// Query of a pre-signed PUT.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PresignQuery {
    /// Expiry (Unix seconds), part of the signed URL.
    pub expires: Option<i64>,
    /// HMAC-SHA256 signature, part of the signed URL.
    pub signature: Option<String>,
}

/// `PUT /api/v1/uploads/{upload_id}/content`: the whole file in one body, authorised by a
/// pre-signed URL's signature (or an API key). Verified and decoded like `complete`.
#[utoipa::path(put, path = "/api/v1/uploads/{upload_id}/content", tag = "uploads",
    params(("upload_id" = String, Path), PresignQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Stored, verified and decoded", body = UploadView),
        (status = 403, description = "Bad or expired signature", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already uploaded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Hash mismatch or unsupported format", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Not enough storage space (free space below --min-free-bytes, or the disk is full); nothing stored", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_content(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PresignQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let u = match tenant_of(&req, &state)? {
        Some(t) => state
            .store
            .upload(t.id, &id)?
            .ok_or_else(|| ApiError::not_found("upload", &id))?,
        None => {
            let (Some(expires), Some(sig)) = (query.expires, query.signature.as_deref()) else {
                return Err(ApiError::new(
                    ProblemKind::InvalidSignature,
                    "this URL needs the expires and signature parameters of a pre-signed URL",
                ));
            };
            let p = format!("/api/v1/uploads/{id}/content");
            if !verify_presigned(&state.presign_secret, "PUT", &p, expires, sig) {
                return Err(ApiError::new(
                    ProblemKind::InvalidSignature,
                    "signature does not match",
                ));
            }
            if expires * 1000 < now_ms() {
                return Err(ApiError::new(
                    ProblemKind::InvalidSignature,
                    format!("the pre-signed URL expired at {}", rfc3339(expires * 1000)),
                ));
            }
            state
                .store
                .upload_unscoped(&id)?
                .ok_or_else(|| ApiError::not_found("upload", &id))?
        }
    };
    let row = receive_whole(&state, &u, payload).await?;
    Ok(HttpResponse::Ok().json(view(&state, &row)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ranges_cover_gaps() {
        let c = |o, l| ChunkRow {
            offset: o,
            length: l,
            sha256: String::new(),
        };
        assert_eq!(
            missing_ranges(10, &[]),
            vec![ByteRange {
                offset: 0,
                length: 10
            }]
        );
        assert_eq!(
            missing_ranges(10, &[c(2, 3), c(7, 3)]),
            vec![
                ByteRange {
                    offset: 0,
                    length: 2
                },
                ByteRange {
                    offset: 5,
                    length: 2
                }
            ]
        );
        assert!(missing_ranges(10, &[c(0, 5), c(5, 5)]).is_empty());
    }
}
