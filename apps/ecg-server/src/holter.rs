//! The long-term (Holter) guide's endpoints at its exact paths, served by the same engine:
//! `upload-url` (a session plus a task waiting for it, with a pre-signed URL), `submit`,
//! `status`, `result`, `report` and `cancel`. The flow is `auto_complete`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::engine::AnalysisKind;
use crate::idempotency;
use crate::metadata::TaskMetadata;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::store::{TaskStatus, Transition, UploadState};
use crate::tasks::{CreateTask, cancel, find_task, new_task, report_pdf, result_of};
use crate::uploads::{CreateUpload, create_session, json, parse_json, presigned_url};
use crate::webhooks::check_callback_url;

/// Body of `upload-url`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UploadUrlRequest {
    /// File name.
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// Answer of `upload-url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadUrlResponse {
    /// The task that `submit` starts.
    pub task_id: String,
    /// `PUT` the raw file here (no API key needed).
    pub upload_url: String,
    /// Expiry of the URL.
    pub expires_at: String,
    /// The underlying upload session (usable with the chunked upload endpoints).
    pub upload_id: String,
}

/// `POST /api/v1/advanced/ecg/holter/upload-url`.
#[utoipa::path(post, path = "/api/v1/advanced/ecg/holter/upload-url", tag = "long-term (Holter)",
    request_body = UploadUrlRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UploadUrlResponse),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Not enough storage space for the declared size", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_url(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: UploadUrlRequest = parse_json(&body)?;
    idempotency::once(&state, &tenant, &req, &body, || {
        let upload = create_session(
            &state,
            tenant.id,
            &CreateUpload {
                file_name: parsed.file_name.clone(),
                size: parsed.size,
                sha256: parsed.sha256.clone(),
            },
        )?;
        let task = new_task(
            &state,
            tenant.id,
            &CreateTask {
                upload_id: upload.id.clone(),
                records: None,
                kind: AnalysisKind::LongTerm,
                auto_complete: true,
                callback_url: None,
                metadata: TaskMetadata::default(),
            },
            TaskStatus::AwaitingUpload,
        )?;
        state.store.insert_task(&task)?;
        let url = presigned_url(&state, &req, &upload);
        Ok((
            StatusCode::OK,
            json(UploadUrlResponse {
                task_id: task.id,
                upload_url: url.upload_url,
                expires_at: url.expires_at,
                upload_id: upload.id,
            })?,
        ))
    })
}

/// Body of `submit`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The task from `upload-url`.
    pub task_id: String,
    /// `auto`, `mit`, `edf`, `csv` or `aiecg`: a hint only, detection is by content.
    #[serde(default)]
    pub format: Option<String>,
    /// Webhook URL.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Patient, recording, report and tags.
    #[serde(default)]
    pub metadata: Option<TaskMetadata>,
}

/// Status as the long-term guide reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolterStatus {
    /// Task id.
    pub task_id: String,
    /// `queued`, `processing`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// 0-100.
    pub progress: u8,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The finer state of the resource API (`awaiting_upload`, `review`, ...).
    pub stage: TaskStatus,
}

fn holter_status(t: &crate::store::TaskRow) -> HolterStatus {
    status_view(&t.id, t.status, t.progress, t.error.clone())
}

fn status_view(id: &str, stage: TaskStatus, progress: u8, error: Option<String>) -> HolterStatus {
    let status = match stage {
        TaskStatus::AwaitingUpload | TaskStatus::Queued => "queued",
        TaskStatus::Processing | TaskStatus::Review => "processing",
        TaskStatus::Completed => "completed",
        TaskStatus::Failed => "failed",
        TaskStatus::Cancelled => "cancelled",
    };
    HolterStatus {
        task_id: id.to_owned(),
        status: status.to_owned(),
        progress,
        error,
        stage,
    }
}

/// `POST /api/v1/advanced/ecg/holter/submit`.
#[utoipa::path(post, path = "/api/v1/advanced/ecg/holter/submit", tag = "long-term (Holter)",
    request_body = SubmitRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = HolterStatus),
        (status = 409, description = "Upload missing or already submitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: SubmitRequest = parse_json(&body)?;
    idempotency::once(&state, &tenant, &req, &body, || {
        let format = parsed.format.as_deref().unwrap_or("auto");
        if !["auto", "mit", "edf", "csv", "aiecg"].contains(&format) {
            return Err(ApiError::invalid(format!(
                "format {format:?} is not one of auto, mit, edf, csv, aiecg"
            )));
        }
        let mut task = find_task(&state, &tenant, &parsed.task_id)?;
        if task.status != TaskStatus::AwaitingUpload {
            return Err(ApiError::conflict(format!(
                "task {} was already submitted (it is {})",
                task.id,
                task.status.as_str()
            )));
        }
        let upload = state
            .store
            .upload(tenant.id, &task.upload_id)?
            .ok_or_else(|| ApiError::not_found("upload", &task.upload_id))?;
        if upload.state != UploadState::Complete {
            return Err(ApiError::conflict(format!(
                "the file of task {} is not uploaded yet (upload {} is {}{})",
                task.id,
                upload.id,
                upload.state.as_str(),
                upload
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )));
        }
        if let Some(url) = &parsed.callback_url {
            check_callback_url(url).map_err(ApiError::invalid)?;
        }
        let meta = parsed.metadata.clone().unwrap_or_default();
        meta.validate().map_err(ApiError::invalid)?;
        task.callback_url = parsed.callback_url.clone();
        task.patient_id = meta.patient_id();
        task.tags = meta.tags.clone();
        task.metadata = json(&meta)?;
        task.format_hint = Some(format.to_owned());
        state.store.update_task_request(&task)?;
        let t = Transition::new(&[TaskStatus::AwaitingUpload], TaskStatus::Queued);
        let row = state
            .store
            .transition(&task.id, &t, &|_, _| Vec::new())?
            .ok_or_else(|| ApiError::conflict("task changed state during submit"))?;
        state.work.notify();
        Ok((StatusCode::OK, json(holter_status(&row))?))
    })
}

/// `GET /api/v1/advanced/ecg/holter/status/{task_id}`.
#[utoipa::path(get, path = "/api/v1/advanced/ecg/holter/status/{task_id}", tag = "long-term (Holter)",
    params(("task_id" = String, Path)),
    responses((status = 200, body = HolterStatus), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn status(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (stage, progress, error) = state
        .store
        .task_status(tenant.id, &path)?
        .ok_or_else(|| ApiError::not_found("task", &path))?;
    Ok(HttpResponse::Ok().json(status_view(&path, stage, progress, error)))
}

/// `GET /api/v1/advanced/ecg/holter/result/{task_id}`: the analysis result (with
/// `total_beats`).
#[utoipa::path(get, path = "/api/v1/advanced/ecg/holter/result/{task_id}", tag = "long-term (Holter)",
    params(("task_id" = String, Path)),
    responses((status = 200, description = "Result document", body = Object),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn result(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = find_task(&state, &tenant, &path)?;
    Ok(HttpResponse::Ok().json(result_of(&state, &task)?))
}

/// `GET /api/v1/advanced/ecg/holter/report/{task_id}`: the PDF.
#[utoipa::path(get, path = "/api/v1/advanced/ecg/holter/report/{task_id}", tag = "long-term (Holter)",
    params(("task_id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn report(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = find_task(&state, &tenant, &path)?;
    report_pdf(&state, &task)
}

/// `POST /api/v1/advanced/ecg/holter/cancel/{task_id}`.
#[utoipa::path(post, path = "/api/v1/advanced/ecg/holter/cancel/{task_id}", tag = "long-term (Holter)",
    params(("task_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = HolterStatus), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel_task(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    idempotency::once(&state, &tenant, &req, &body, || {
        let task = find_task(&state, &tenant, &path)?;
        Ok((
            StatusCode::OK,
            json(holter_status(&cancel(&state, &task)?))?,
        ))
    })
}
