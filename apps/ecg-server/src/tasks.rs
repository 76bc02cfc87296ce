//! Tasks: create from an upload, status, search, cancel, result and review (with an audit
//! trail), approval, the PDF report, share links and the webhook delivery log.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::task_access;
use crate::auth::Auth;
use crate::engine::AnalysisKind;
use crate::metadata::TaskMetadata;
use crate::problem::{ApiError, ApiResult, Problem, ProblemKind};
use crate::state::AppState;
use crate::store::{
    DeliveryRow, ReportState, RevisionRow, ShareRow, TaskFilter, TaskRow, TaskStatus, Tenant,
    Transition, UploadState,
};
use crate::timestamps::{now_ms, parse_rfc3339, rfc3339};
use crate::tokens::{hex, new_id, random_bytes, sha256_hex};
use crate::uploads::{base_url, json, parse_json};
use crate::webhooks::{check_callback_url, task_event};
use crate::worker::{load_result, report_key};
use crate::{idempotency, review};

/// A record chosen by index in the upload or by name.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RecordRef {
    /// Index in the upload's record list.
    Index(usize),
    /// Record name.
    Name(String),
}

/// Body of `POST /api/v1/tasks`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// A complete upload.
    pub upload_id: String,
    /// Records to analyse (indices or names); all when absent.
    #[serde(default)]
    pub records: Option<Vec<RecordRef>>,
    /// `resting` or `long_term`.
    pub kind: AnalysisKind,
    /// Complete without review (the PDF is made right after analysis).
    #[serde(default)]
    pub auto_complete: bool,
    /// Webhook URL for this task's events.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Patient, recording, report and tags; override decoded values.
    #[serde(default)]
    pub metadata: TaskMetadata,
}

/// Report availability of a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// `none`, `queued`, `ready`, `unavailable` (no renderer in this build) or `failed`.
    pub state: ReportState,
}

/// A task as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    /// Task id (`tsk_...`).
    pub task_id: String,
    /// The upload analysed.
    pub upload_id: String,
    /// `resting` or `long_term`.
    pub kind: String,
    /// Lifecycle state.
    pub status: TaskStatus,
    /// 0-100.
    pub progress: u8,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Completes without review.
    pub auto_complete: bool,
    /// Webhook URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Chosen record indices (all when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<usize>>,
    /// Request metadata.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Analysis start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Analysis end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Current result version (0 = none yet).
    pub result_version: u32,
    /// Report.
    pub report: ReportView,
    /// Approver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Approval time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
}

/// The API view of a task row.
pub fn task_view(t: &TaskRow) -> TaskView {
    TaskView {
        task_id: t.id.clone(),
        upload_id: t.upload_id.clone(),
        kind: t.kind.clone(),
        status: t.status,
        progress: t.progress,
        error: t.error.clone(),
        auto_complete: t.auto_complete,
        callback_url: t.callback_url.clone(),
        records: t.records.clone(),
        metadata: t.metadata.clone(),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        started_at: t.started_at.map(rfc3339),
        finished_at: t.finished_at.map(rfc3339),
        result_version: t.result_version,
        report: ReportView {
            state: t.report_state,
        },
        approved_by: t.approved_by.clone(),
        approved_at: t.approved_at.map(rfc3339),
    }
}

/// Resolves record references against a complete upload's records.
pub fn resolve_records(
    decoded: Option<&serde_json::Value>,
    refs: &[RecordRef],
) -> ApiResult<Vec<usize>> {
    let empty = Vec::new();
    let records = decoded
        .and_then(|d| d["records"].as_array())
        .unwrap_or(&empty);
    refs.iter()
        .map(|r| match r {
            RecordRef::Index(i) if *i < records.len() => Ok(*i),
            RecordRef::Index(i) => Err(ApiError::invalid(format!(
                "record index {i} does not exist (the upload has {} records)",
                records.len()
            ))),
            RecordRef::Name(n) => records
                .iter()
                .position(|r| r["name"].as_str() == Some(n))
                .ok_or_else(|| ApiError::invalid(format!("no record named {n:?} in the upload"))),
        })
        .collect()
}

/// Builds a new queued task row after validating the request.
pub fn new_task(
    state: &AppState,
    tenant_id: i64,
    req: &CreateTask,
    status: TaskStatus,
) -> ApiResult<TaskRow> {
    let upload = state
        .store
        .upload(tenant_id, &req.upload_id)?
        .ok_or_else(|| ApiError::not_found("upload", &req.upload_id))?;
    if status == TaskStatus::Queued && upload.state != UploadState::Complete {
        return Err(ApiError::conflict(format!(
            "upload {} is {}, not complete",
            upload.id,
            upload.state.as_str()
        )));
    }
    if status == TaskStatus::Queued
        && upload
            .decoded
            .as_ref()
            .and_then(|d| d["records"].as_array())
            .is_none_or(|r| r.is_empty())
    {
        return Err(ApiError::new(
            ProblemKind::UnsupportedFormat,
            format!(
                "upload {} contains no decodable ECG record (see its skipped entries)",
                upload.id
            ),
        ));
    }
    let records = req
        .records
        .as_ref()
        .map(|refs| resolve_records(upload.decoded.as_ref(), refs))
        .transpose()?;
    if let Some(url) = &req.callback_url {
        check_callback_url(url).map_err(ApiError::invalid)?;
    }
    req.metadata.validate().map_err(ApiError::invalid)?;
    let now = now_ms();
    Ok(TaskRow {
        id: new_id("tsk"),
        tenant_id,
        upload_id: upload.id,
        kind: req.kind.as_str().to_owned(),
        status,
        progress: 0,
        error: None,
        auto_complete: req.auto_complete,
        callback_url: req.callback_url.clone(),
        records,
        metadata: json(&req.metadata)?,
        patient_id: req.metadata.patient_id(),
        tags: req.metadata.tags.clone(),
        format_hint: None,
        created_at: now,
        updated_at: now,
        started_at: None,
        finished_at: None,
        attempts: 0,
        report_state: ReportState::None,
        result_version: 0,
        approved_by: None,
        approved_at: None,
        event_seq: 0,
    })
}

/// `POST /api/v1/tasks`: creates an analysis task from a complete upload.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks",
    request_body = CreateTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation")),
    responses(
        (status = 201, description = "Queued", body = TaskView),
        (status = 404, description = "Unknown upload", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Upload not complete", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_task(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: CreateTask = parse_json(&body)?;
    idempotency::once(&state, &tenant, &req, &body, || {
        let task = new_task(&state, tenant.id, &parsed, TaskStatus::Queued)?;
        state.store.insert_task(&task)?;
        state.work.notify();
        Ok((StatusCode::CREATED, json(task_view(&task))?))
    })
}

/// Loads a task of the tenant or answers 404.
pub fn find_task(state: &AppState, tenant: &Tenant, id: &str) -> ApiResult<TaskRow> {
    state
        .store
        .task(tenant.id, id)?
        .ok_or_else(|| ApiError::not_found("task", id))
}

/// `GET /api/v1/tasks/{task_id}`: status, progress and error.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}", tag = "tasks",
    params(("task_id" = String, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_task(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    Ok(HttpResponse::Ok().json(task_view(&access.task)))
}

/// Query of a task search.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this patient id.
    pub patient_id: Option<String>,
    /// Only tasks with this tag (comma-separated: all of them).
    pub tag: Option<String>,
    /// Created at or after (RFC 3339 or YYYY-MM-DD).
    pub created_from: Option<String>,
    /// Created before (RFC 3339 or YYYY-MM-DD).
    pub created_to: Option<String>,
    /// Page size (1-200, default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    /// Tasks, newest first.
    pub items: Vec<TaskView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn parse_cursor(c: &str) -> ApiResult<(i64, String)> {
    let raw = crate::tokens::unhex(c)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::bad_request("invalid cursor"))?;
    let (at, id) = raw
        .split_once(':')
        .ok_or_else(|| ApiError::bad_request("invalid cursor"))?;
    Ok((
        at.parse()
            .map_err(|_| ApiError::bad_request("invalid cursor"))?,
        id.to_owned(),
    ))
}

/// `GET /api/v1/tasks`: search by status, kind, patient id, tags and dates, paginated.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    params(ListQuery),
    responses((status = 200, body = TaskPage), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_tasks(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let date = |s: &Option<String>, name: &str| -> ApiResult<Option<i64>> {
        s.as_deref()
            .map(|v| {
                parse_rfc3339(v)
                    .ok_or_else(|| ApiError::bad_request(format!("{name}: not a date: {v:?}")))
            })
            .transpose()
    };
    let filter = TaskFilter {
        status: q
            .status
            .as_deref()
            .map(|s| {
                TaskStatus::parse(s)
                    .ok_or_else(|| ApiError::bad_request(format!("unknown status {s:?}")))
            })
            .transpose()?,
        kind: q.kind.clone(),
        patient_id: q.patient_id.clone(),
        tags: q
            .tag
            .as_deref()
            .map(|t| {
                t.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        created_from: date(&q.created_from, "created_from")?,
        created_to: date(&q.created_to, "created_to")?,
        after: q.cursor.as_deref().map(parse_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut rows = state.store.list_tasks(tenant.id, &filter)?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|t| hex(format!("{}:{}", t.created_at, t.id).as_bytes()))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(TaskPage {
        items: rows.iter().map(task_view).collect(),
        next_cursor,
    }))
}

/// Cancels a task that has not finished; cancelling a cancelled task is a no-op.
pub fn cancel(state: &AppState, task: &TaskRow) -> ApiResult<TaskRow> {
    if task.status == TaskStatus::Cancelled {
        return Ok(task.clone());
    }
    let mut t = Transition::new(
        &[
            TaskStatus::AwaitingUpload,
            TaskStatus::Queued,
            TaskStatus::Processing,
            TaskStatus::Review,
        ],
        TaskStatus::Cancelled,
    );
    t.event = Some("task.cancelled");
    match state
        .store
        .transition(&task.id, &t, &|t, s| task_event(t, s, "task.cancelled"))?
    {
        Some(row) => {
            state.outbox.notify();
            Ok(row)
        }
        None => Err(ApiError::conflict(format!(
            "task {} is {} and can no longer be cancelled",
            task.id,
            task.status.as_str()
        ))),
    }
}

/// `POST /api/v1/tasks/{task_id}/cancel`.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/cancel", tag = "tasks",
    params(("task_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = TaskView), (status = 409, description = "Already finished", body = Problem, content_type = "application/problem+json")),
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
        Ok((StatusCode::OK, json(task_view(&cancel(&state, &task)?))?))
    })
}

/// 409 `result-not-ready` unless the task has a result (review or completed).
pub fn result_of_status(task: &TaskRow) -> ApiResult<()> {
    match task.status {
        TaskStatus::Review | TaskStatus::Completed => Ok(()),
        TaskStatus::Failed => Err(ApiError::new(
            ProblemKind::ResultNotReady,
            format!(
                "task {} failed: {}",
                task.id,
                task.error.as_deref().unwrap_or("unknown error")
            ),
        )),
        s => Err(ApiError::new(
            ProblemKind::ResultNotReady,
            format!("task {} is {}", task.id, s.as_str()),
        )),
    }
}

/// The current result of a task (404/409 problems when there is none).
pub fn result_of(state: &AppState, task: &TaskRow) -> ApiResult<serde_json::Value> {
    result_of_status(task)?;
    load_result(state, task)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::new(ProblemKind::ResultNotReady, "no result stored"))
}

/// `GET /api/v1/tasks/{task_id}/result`: the structured result (current version).
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/result", tag = "tasks",
    params(("task_id" = String, Path)),
    responses((status = 200, description = "Result document (includes total_beats)", body = Object),
        (status = 409, description = "Not analysed yet", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_result(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = find_task(&state, &tenant, &path)?;
    Ok(HttpResponse::Ok().json(result_of(&state, &task)?))
}

/// Body of a review update: each field given replaces the review's field.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewUpdate {
    /// Who reviews (recorded in the audit trail; defaults to the API key).
    #[serde(default)]
    pub reviewer: Option<String>,
    /// Beat/event annotations after review.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub annotations: Option<serde_json::Value>,
    /// Diagnostic statements.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub statements: Option<serde_json::Value>,
    /// Conclusion text.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Free comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `PATCH /api/v1/tasks/{task_id}/result`: updates the review part of the result (while
/// the task is in review); every change is a new version with who and when.
#[utoipa::path(patch, path = "/api/v1/tasks/{task_id}/result", tag = "tasks",
    params(("task_id" = String, Path)),
    request_body = ReviewUpdate,
    responses((status = 200, description = "New result version", body = Object),
        (status = 409, description = "Not in review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_result(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let update: ReviewUpdate = parse_json(&body)?;
    let access = task_access(&req, &state, &path)?;
    let who = access.actor(update.reviewer.as_deref());
    let stored = review::with_edit_lock(&state, || {
        let task = find_task(&state, &access.tenant, &path)?;
        if task.status != TaskStatus::Review {
            return Err(ApiError::conflict(format!(
                "task {} is {}: only a task in review can be edited",
                task.id,
                task.status.as_str()
            )));
        }
        let parent = review::current(&state, &task)?;
        let mut doc = parent.doc.clone();
        let version = task.result_version + 1;
        let at = rfc3339(now_ms());
        let r = &mut doc["review"];
        if let Some(a) = &update.annotations {
            r["annotations"] = a.clone();
        }
        if let Some(s) = &update.statements {
            r["statements"] = s.clone();
        }
        if let Some(c) = &update.conclusion {
            r["conclusion"] = serde_json::Value::String(c.clone());
        }
        if let Some(c) = &update.comment {
            r["comment"] = serde_json::Value::String(c.clone());
        }
        r["updated_by"] = who.clone().into();
        r["updated_at"] = at.clone().into();
        let rev = RevisionRow {
            version,
            actor: who.clone(),
            at,
            action: "review".into(),
            changes: json(&update)?,
        };
        review::store_version(
            &state,
            &task.id,
            &parent,
            doc,
            std::sync::Arc::clone(&parent.analyses),
            rev,
        )
    })?;
    Ok(HttpResponse::Ok().json(stored.full_document()?))
}

/// `GET /api/v1/tasks/{task_id}/result/revisions`: the audit trail.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/result/revisions", tag = "tasks",
    params(("task_id" = String, Path)),
    responses((status = 200, body = Vec<RevisionRow>)),
    security(("bearer" = [])))]
pub async fn result_revisions(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    Ok(HttpResponse::Ok().json(state.store.revisions(&access.task.id)?))
}

/// Body of an approval.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// Who approves (recorded; defaults to the API key).
    #[serde(default)]
    pub reviewer: Option<String>,
}

/// `POST /api/v1/tasks/{task_id}/approve`: review -> completed; the final PDF is queued.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/approve", tag = "tasks",
    params(("task_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = Option<Approve>,
    responses((status = 200, body = TaskView), (status = 409, description = "Not in review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body_in: Approve = if body.iter().all(u8::is_ascii_whitespace) {
        Approve::default()
    } else {
        parse_json(&body)?
    };
    let access = task_access(&req, &state, &path)?;
    idempotency::once(&state, &access.tenant, &req, &body, || {
        review::with_edit_lock(&state, || {
            let task = find_task(&state, &access.tenant, &path)?;
            let not_in_review = |t: &TaskRow| {
                ApiError::conflict(format!(
                    "task {} is {}: only a task in review can be approved",
                    t.id,
                    t.status.as_str()
                ))
            };
            if task.status != TaskStatus::Review {
                return Err(not_in_review(&task));
            }
            let who = access.actor(body_in.reviewer.as_deref());
            let now = now_ms();
            // The approved result is the last reviewed version, stored under a new number.
            let version = task.result_version + 1;
            let parent = review::current(&state, &task)?;
            let mut doc = parent.doc.clone();
            doc["approved_by"] = who.clone().into();
            doc["approved_at"] = rfc3339(now).into();
            let rev = RevisionRow {
                version,
                actor: who.clone(),
                at: rfc3339(now),
                action: "approve".into(),
                changes: serde_json::json!({}),
            };
            // The version is stored (and becomes current) before the state changes: a
            // crash in between leaves the task in review with the approval text stored,
            // and approving again makes the next version.
            review::store_version(
                &state,
                &task.id,
                &parent,
                doc,
                std::sync::Arc::clone(&parent.analyses),
                rev,
            )?;
            let mut t = Transition::new(&[TaskStatus::Review], TaskStatus::Completed);
            t.approved = Some((who.clone(), now));
            t.report_state = Some(ReportState::Queued);
            t.result_version = Some(version);
            t.event = Some("task.completed");
            let row = state
                .store
                .transition(&task.id, &t, &|t, s| task_event(t, s, "task.completed"))?
                .ok_or_else(|| not_in_review(&task))?;
            state.work.notify();
            state.outbox.notify();
            let row = state.store.task_unscoped(&row.id)?.unwrap_or(row);
            Ok((StatusCode::OK, json(task_view(&row))?))
        })
    })
}

/// The PDF of a task, or the problem explaining why there is none.
pub fn report_pdf(state: &AppState, task: &TaskRow) -> ApiResult<HttpResponse> {
    match task.report_state {
        ReportState::Ready => {
            let pdf = state
                .blobs
                .get(&report_key(&task.id))?
                .ok_or_else(|| ApiError::internal("report file missing"))?;
            Ok(HttpResponse::Ok()
                .content_type("application/pdf")
                .insert_header((
                    "Content-Disposition",
                    format!("inline; filename=\"{}.pdf\"", task.id),
                ))
                .body(pdf))
        }
        ReportState::Unavailable => Err(ApiError::new(
            ProblemKind::ReportUnavailable,
            "this build has no PDF renderer (ecg-report has not landed); the structured result \
             is available at the result endpoint",
        )),
        ReportState::Failed => Err(ApiError::internal(format!(
            "rendering the report of task {} failed",
            task.id
        ))),
        ReportState::Queued => Err(ApiError::new(
            ProblemKind::ReportNotReady,
            "the report is being rendered; retry shortly",
        )),
        ReportState::None => Err(ApiError::new(
            ProblemKind::ReportNotReady,
            format!(
                "task {} is {}: the report exists once the task is completed",
                task.id,
                task.status.as_str()
            ),
        )),
    }
}

/// `GET /api/v1/tasks/{task_id}/report`: the PDF report.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/report", tag = "tasks",
    params(("task_id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 409, description = "Not ready", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No renderer in this build", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    report_pdf(&state, &access.task)
}

/// Body of a share link creation.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    /// Lifetime in seconds; no expiry when absent.
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// A new share link (the only time the token is shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewShare {
    /// Share link id (to revoke it).
    pub id: String,
    /// The secret token (128 random bits, hex).
    pub token: String,
    /// Read-only URL of the shared task (JSON); `/report` after it gives the PDF.
    pub url: String,
    /// Expiry, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `POST /api/v1/tasks/{task_id}/share-links`: a read-only link that needs no API key.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/share-links", tag = "share links",
    params(("task_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = Option<CreateShare>,
    responses((status = 201, body = NewShare)),
    security(("bearer" = [])))]
pub async fn create_share(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: CreateShare = if body.iter().all(u8::is_ascii_whitespace) {
        CreateShare::default()
    } else {
        parse_json(&body)?
    };
    idempotency::once(&state, &tenant, &req, &body, || {
        let task = find_task(&state, &tenant, &path)?;
        let token = hex(&random_bytes(16));
        let now = now_ms();
        let expires = parsed
            .expires_in_seconds
            .map(|s| now.saturating_add((s.min(i64::MAX as u64 / 1000) * 1000) as i64));
        let share = ShareRow {
            id: new_id("shr"),
            task_id: task.id.clone(),
            tenant_id: tenant.id,
            created_at: rfc3339(now),
            expires_at_ms: expires,
            expires_at: expires.map(rfc3339),
            revoked_at: None,
        };
        state
            .store
            .insert_share(&share, &sha256_hex(token.as_bytes()))?;
        Ok((
            StatusCode::CREATED,
            json(NewShare {
                id: share.id,
                url: format!("{}/api/v1/shared/{token}", base_url(&state, &req)),
                token,
                expires_at: share.expires_at,
            })?,
        ))
    })
}

/// `GET /api/v1/tasks/{task_id}/share-links`.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/share-links", tag = "share links",
    params(("task_id" = String, Path)),
    responses((status = 200, body = Vec<ShareRow>)),
    security(("bearer" = [])))]
pub async fn list_shares(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = find_task(&state, &tenant, &path)?;
    Ok(HttpResponse::Ok().json(state.store.shares(tenant.id, &task.id)?))
}

/// `DELETE /api/v1/tasks/{task_id}/share-links/{share_id}`: revokes a link.
#[utoipa::path(delete, path = "/api/v1/tasks/{task_id}/share-links/{share_id}", tag = "share links",
    params(("task_id" = String, Path), ("share_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revoke_share(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (task_id, share_id) = path.into_inner();
    if state
        .store
        .revoke_share(tenant.id, &task_id, &share_id, now_ms())?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("share link", &share_id))
    }
}

/// The task of a valid share token (404 `share-link-invalid` otherwise).
pub fn shared_task(state: &AppState, token: &str) -> ApiResult<TaskRow> {
    let invalid = || {
        ApiError::new(
            ProblemKind::ShareLinkInvalid,
            "unknown, revoked or expired share link",
        )
    };
    let share = state
        .store
        .share_by_token(&sha256_hex(token.as_bytes()))?
        .ok_or_else(invalid)?;
    if share.revoked_at.is_some() || share.expires_at_ms.is_some_and(|e| e <= now_ms()) {
        return Err(invalid());
    }
    state
        .store
        .task_unscoped(&share.task_id)?
        .ok_or_else(invalid)
}

/// `GET /api/v1/shared/{token}`: the shared task and its result, read-only, no API key.
#[utoipa::path(get, path = "/api/v1/shared/{token}", tag = "share links",
    params(("token" = String, Path)),
    responses((status = 200, description = "Task status and result", body = Object),
        (status = 404, description = "Unknown, revoked or expired", body = Problem, content_type = "application/problem+json")))]
pub async fn shared_view(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = shared_task(&state, &path)?;
    let result = result_of(&state, &task).ok();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "task_id": task.id,
        "status": task.status,
        "kind": task.kind,
        "report": {"state": task.report_state},
        "result": result,
    })))
}

/// `GET /api/v1/shared/{token}/report`: the shared PDF, no API key.
#[utoipa::path(get, path = "/api/v1/shared/{token}/report", tag = "share links",
    params(("token" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn shared_report(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = shared_task(&state, &path)?;
    report_pdf(&state, &task)
}

/// `GET /api/v1/tasks/{task_id}/deliveries`: webhook deliveries of the task with their log.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/deliveries", tag = "webhooks",
    params(("task_id" = String, Path)),
    responses((status = 200, body = Vec<DeliveryRow>)),
    security(("bearer" = [])))]
pub async fn deliveries(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = find_task(&state, &tenant, &path)?;
    Ok(HttpResponse::Ok().json(state.store.deliveries(tenant.id, &task.id)?))
}

/// The tenant's webhook signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecret {
    /// `whsec_` + base64 key, as Standard Webhooks libraries expect it.
    pub secret: String,
}

/// `GET /api/v1/webhooks/secret`: the secret that signs this tenant's webhooks.
#[utoipa::path(get, path = "/api/v1/webhooks/secret", tag = "webhooks",
    responses((status = 200, body = WebhookSecret)),
    security(("bearer" = [])))]
pub async fn webhook_secret(
    state: web::Data<AppState>,
    Auth(tenant): Auth,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(WebhookSecret {
        secret: state.store.webhook_secret(tenant.id)?,
    }))
}
