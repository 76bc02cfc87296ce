//! The review viewer: its pages and embedded assets (`/viewer/tasks/{id}` for reviewers,
//! `/share/{token}` read-only), and the API endpoints it reads and edits through
//! (overview, signal and beat windows, edits with undo/redo, viewer tokens).
//!
//! The assets are plain ES2020 JavaScript and CSS in `apps/ecg-server/viewer/`, compiled
//! into the binary with `include_str!` (no build step, no Node at run time).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{DEFAULT_VIEWER_TTL_S, claims_for, mint_viewer_token, task_access};
use crate::overview::{MAX_OVERVIEW_EPISODES, Overview, overview};
use crate::problem::{ApiError, ApiResult, Problem, ProblemKind};
use crate::review::{self, EditAction, EditOp};
use crate::signal_windows::{
    BeatQuery, BeatWindow, EpisodePage, EpisodeQuery, SignalQuery, SignalWindow, beat_window,
    episode_page, signal_window, task_records,
};
use crate::state::AppState;
use crate::store::{TaskRow, TaskStatus};
use crate::tasks::shared_task;
use crate::timestamps::rfc3339;
use crate::uploads::{base_url, json, parse_json};

const INDEX_HTML: &str = include_str!("../viewer/index.html");
const VIEWER_JS: &str = include_str!("../viewer/viewer.js");
const VIEWER_CSS: &str = include_str!("../viewer/viewer.css");

/// Content-Security-Policy of the viewer pages: only the server's own scripts, styles and
/// API; no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        // share tokens are in the path: never send them to another site
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .body(INDEX_HTML)
}

/// `GET /viewer/tasks/{task_id}`: the reviewer page (data needs a viewer token or API key).
pub async fn reviewer_page() -> HttpResponse {
    page()
}

/// `GET /share/{token}`: the read-only page of a share link.
pub async fn share_page() -> HttpResponse {
    page()
}

/// `GET /viewer/assets/{name}`: the embedded script and style sheet.
pub async fn asset(path: web::Path<String>) -> ApiResult<HttpResponse> {
    let (body, ctype) = match path.as_str() {
        "viewer.js" => (VIEWER_JS, "text/javascript; charset=utf-8"),
        "viewer.css" => (VIEWER_CSS, "text/css; charset=utf-8"),
        other => return Err(ApiError::not_found("asset", other)),
    };
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-cache"))
        .body(body))
}

/// Body of a viewer token request.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateViewerToken {
    /// Reviewer named in the audit trail for edits made with the token.
    #[serde(default)]
    pub reviewer: Option<String>,
    /// Lifetime in seconds (default 8 h, at most 24 h).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// A viewer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerToken {
    /// The token (`vt_...`): `Authorization: Bearer` on this task's endpoints.
    pub token: String,
    /// The reviewer page with the token in its fragment (never sent to the server).
    pub url: String,
    /// Expiry.
    pub expires_at: String,
}

/// `POST /api/v1/tasks/{task_id}/viewer-token`: a short-lived token that lets a browser
/// review this one task (read, edit, approve, download the report) without the API key.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/viewer-token", tag = "viewer",
    params(("task_id" = String, Path)),
    request_body = Option<CreateViewerToken>,
    responses((status = 201, body = ViewerToken),
        (status = 401, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_viewer_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let parsed: CreateViewerToken = if body.iter().all(u8::is_ascii_whitespace) {
        CreateViewerToken::default()
    } else {
        parse_json(&body)?
    };
    let access = task_access(&req, &state, &path)?;
    let claims = claims_for(
        &req,
        &access,
        parsed.reviewer,
        parsed.expires_in_seconds.unwrap_or(DEFAULT_VIEWER_TTL_S),
    )?;
    let token = mint_viewer_token(&state.presign_secret, &claims);
    let out = ViewerToken {
        url: format!(
            "{}/viewer/tasks/{}#token={token}",
            base_url(&state, &req),
            access.task.id
        ),
        token,
        expires_at: rfc3339(claims.expires_ms),
    };
    Ok(HttpResponse::build(StatusCode::CREATED).json(json(out)?))
}

/// Query of an overview.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordQuery {
    /// Record index within the task (default 0).
    pub record: Option<usize>,
    /// Most episodes listed, 1 to 5000 (default 5000); the episodes endpoint pages
    /// through the rest.
    pub max_episodes: Option<usize>,
}

impl RecordQuery {
    fn max_episodes(&self) -> ApiResult<usize> {
        match self.max_episodes {
            None => Ok(MAX_OVERVIEW_EPISODES),
            Some(n) if (1..=MAX_OVERVIEW_EPISODES).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid(format!(
                "max_episodes must be 1 to {MAX_OVERVIEW_EPISODES}"
            ))),
        }
    }
}

fn overview_of(
    state: &AppState,
    task: &TaskRow,
    query: &RecordQuery,
    share: bool,
) -> ApiResult<Overview> {
    let max_episodes = query.max_episodes()?;
    crate::tasks::result_of_status(task)?;
    let m = review::current(state, task)?;
    if !m.typed {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            "this result was not made by ecg-analysis: the viewer cannot show it",
        ));
    }
    overview(
        task,
        &m,
        query.record.unwrap_or(0),
        !share && task.status == TaskStatus::Review,
        max_episodes,
    )
}

/// `GET /api/v1/tasks/{task_id}/overview`: what the viewer opens with (record layout,
/// summary, HRV, templates, episodes, heart-rate trend, review text, undo/redo state).
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/overview", tag = "viewer",
    params(("task_id" = String, Path), RecordQuery),
    responses((status = 200, body = Overview),
        (status = 409, description = "Not analysed yet", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn task_overview(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<RecordQuery>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    let st = state.clone();
    let o = web::block(move || overview_of(&st, &access.task, &query, false)).await??;
    Ok(HttpResponse::Ok().json(o))
}

fn signal_of(state: &AppState, task: &TaskRow, q: &SignalQuery) -> ApiResult<SignalWindow> {
    let records = task_records(state, task)?;
    signal_window(&records, q)
}

/// `GET /api/v1/tasks/{task_id}/signal?start=&end=&leads=&max_points=`: a window of the
/// signals, read from the stored upload; (min, max) pairs when wider than `max_points`.
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/signal", tag = "viewer",
    params(("task_id" = String, Path), SignalQuery),
    responses((status = 200, body = SignalWindow),
        (status = 422, description = "Unknown record or lead, window too wide", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn task_signal(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SignalQuery>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    let st = state.clone();
    let w = web::block(move || signal_of(&st, &access.task, &query)).await??;
    Ok(HttpResponse::Ok().json(w))
}

fn beats_of(state: &AppState, task: &TaskRow, q: &BeatQuery) -> ApiResult<BeatWindow> {
    crate::tasks::result_of_status(task)?;
    let m = review::current(state, task)?;
    beat_window(&m, q)
}

/// `GET /api/v1/tasks/{task_id}/beats?start=&end=`: the beats of a window (column-wise).
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/beats", tag = "viewer",
    params(("task_id" = String, Path), BeatQuery),
    responses((status = 200, body = BeatWindow)),
    security(("bearer" = [])))]
pub async fn task_beats(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<BeatQuery>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    let st = state.clone();
    let w = web::block(move || beats_of(&st, &access.task, &query)).await??;
    Ok(HttpResponse::Ok().json(w))
}

fn episodes_of(state: &AppState, task: &TaskRow, q: &EpisodeQuery) -> ApiResult<EpisodePage> {
    crate::tasks::result_of_status(task)?;
    let m = review::current(state, task)?;
    episode_page(&m, q)
}

/// `GET /api/v1/tasks/{task_id}/episodes?kind=&start=&end=&offset=&limit=`: a page of the
/// record's episodes and events (all of them reachable, by start).
#[utoipa::path(get, path = "/api/v1/tasks/{task_id}/episodes", tag = "viewer",
    params(("task_id" = String, Path), EpisodeQuery),
    responses((status = 200, body = EpisodePage),
        (status = 422, description = "Unknown record or kind, bad limit", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn task_episodes(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<EpisodeQuery>,
) -> ApiResult<HttpResponse> {
    let access = task_access(&req, &state, &path)?;
    let st = state.clone();
    let w = web::block(move || episodes_of(&st, &access.task, &query)).await??;
    Ok(HttpResponse::Ok().json(w))
}

/// Body of an edit.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The edit.
    pub edit: EditOp,
    /// The version the edit was made on; 409 when the result has moved on since.
    #[serde(default)]
    pub expected_version: Option<u32>,
    /// Reviewer recorded in the audit trail (default: the viewer token's, or the key).
    #[serde(default)]
    pub reviewer: Option<String>,
    /// Record whose overview the answer gives (default: the edit's record, else 0).
    #[serde(default)]
    pub view_record: Option<usize>,
    /// The answer's overview lists at most this many episodes (as the overview's
    /// `max_episodes`; default 5000).
    #[serde(default)]
    pub view_max_episodes: Option<usize>,
}

/// Body of undo and redo.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoRequest {
    /// The version the request was made on; 409 when the result has moved on since.
    #[serde(default)]
    pub expected_version: Option<u32>,
    /// Reviewer recorded in the audit trail.
    #[serde(default)]
    pub reviewer: Option<String>,
    /// Record whose overview the answer gives (default 0).
    #[serde(default)]
    pub view_record: Option<usize>,
    /// The answer's overview lists at most this many episodes (default 5000).
    #[serde(default)]
    pub view_max_episodes: Option<usize>,
}

fn op_record(op: &EditOp) -> Option<usize> {
    match op {
        EditOp::Relabel { record, .. }
        | EditOp::RelabelTemplate { record, .. }
        | EditOp::DeleteBeats { record, .. }
        | EditOp::AddBeats { record, .. }
        | EditOp::ReplaceEpisode { record, .. } => Some(*record),
        _ => None,
    }
}

async fn run_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    task_id: String,
    action: EditAction,
    expected: Option<u32>,
    reviewer: Option<String>,
    view: RecordQuery,
) -> ApiResult<HttpResponse> {
    let max_episodes = view.max_episodes()?;
    let access = task_access(&req, &state, &task_id)?;
    let actor = access.actor(reviewer.as_deref());
    let st = state.clone();
    let o = web::block(move || {
        let m = review::edit(&st, &access.task, action, actor, expected)?;
        let task = st
            .store
            .task_unscoped(&access.task.id)?
            .ok_or_else(|| ApiError::not_found("task", &access.task.id))?;
        overview(
            &task,
            &m,
            view.record.unwrap_or(0),
            task.status == TaskStatus::Review,
            max_episodes,
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(o))
}

/// `POST /api/v1/tasks/{task_id}/edits`: one review edit (relabel beats or a template,
/// add or delete beats, add/change/delete an AF, flutter or noise episode, set the
/// statements or the conclusion). Makes a new result version with an audit-trail entry;
/// derived numbers are recomputed. Answers the new overview.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/edits", tag = "viewer",
    params(("task_id" = String, Path)),
    request_body = EditRequest,
    responses((status = 200, description = "The overview after the edit", body = Overview),
        (status = 409, description = "Not in review, or the result moved on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The edit names beats, templates or episodes that do not exist", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn post_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let r: EditRequest = parse_json(&body)?;
    let view = RecordQuery {
        record: r.view_record.or_else(|| op_record(&r.edit)),
        max_episodes: r.view_max_episodes,
    };
    run_edit(
        state,
        req,
        path.into_inner(),
        EditAction::Edit(r.edit),
        r.expected_version,
        r.reviewer,
        view,
    )
    .await
}

fn undo_body(body: &[u8]) -> ApiResult<UndoRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(UndoRequest::default())
    } else {
        parse_json(body)
    }
}

/// `POST /api/v1/tasks/{task_id}/edits/undo`: reverts the last edit (as a new version).
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/edits/undo", tag = "viewer",
    params(("task_id" = String, Path)),
    request_body = Option<UndoRequest>,
    responses((status = 200, body = Overview),
        (status = 409, description = "Nothing to undo, or not in review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn post_undo(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let r = undo_body(&body)?;
    run_edit(
        state,
        req,
        path.into_inner(),
        EditAction::Undo,
        r.expected_version,
        r.reviewer,
        RecordQuery {
            record: r.view_record,
            max_episodes: r.view_max_episodes,
        },
    )
    .await
}

/// `POST /api/v1/tasks/{task_id}/edits/redo`: re-applies the last undone edit.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/edits/redo", tag = "viewer",
    params(("task_id" = String, Path)),
    request_body = Option<UndoRequest>,
    responses((status = 200, body = Overview),
        (status = 409, description = "Nothing to redo, or not in review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn post_redo(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let r = undo_body(&body)?;
    run_edit(
        state,
        req,
        path.into_inner(),
        EditAction::Redo,
        r.expected_version,
        r.reviewer,
        RecordQuery {
            record: r.view_record,
            max_episodes: r.view_max_episodes,
        },
    )
    .await
}

/// `GET /api/v1/shared/{token}/overview`: the overview of a shared task (read-only).
#[utoipa::path(get, path = "/api/v1/shared/{token}/overview", tag = "share links",
    params(("token" = String, Path), RecordQuery),
    responses((status = 200, body = Overview),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn shared_overview(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<RecordQuery>,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let o = web::block(move || {
        let task = shared_task(&st, &path)?;
        overview_of(&st, &task, &query, true)
    })
    .await??;
    Ok(HttpResponse::Ok().json(o))
}

/// `GET /api/v1/shared/{token}/signal`: a signal window of a shared task.
#[utoipa::path(get, path = "/api/v1/shared/{token}/signal", tag = "share links",
    params(("token" = String, Path), SignalQuery),
    responses((status = 200, body = SignalWindow),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn shared_signal(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<SignalQuery>,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let w = web::block(move || {
        let task = shared_task(&st, &path)?;
        signal_of(&st, &task, &query)
    })
    .await??;
    Ok(HttpResponse::Ok().json(w))
}

/// `GET /api/v1/shared/{token}/episodes`: a page of the episodes of a shared task.
#[utoipa::path(get, path = "/api/v1/shared/{token}/episodes", tag = "share links",
    params(("token" = String, Path), EpisodeQuery),
    responses((status = 200, body = EpisodePage),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn shared_episodes(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<EpisodeQuery>,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let w = web::block(move || {
        let task = shared_task(&st, &path)?;
        episodes_of(&st, &task, &query)
    })
    .await??;
    Ok(HttpResponse::Ok().json(w))
}

/// `GET /api/v1/shared/{token}/beats`: the beats of a window of a shared task.
#[utoipa::path(get, path = "/api/v1/shared/{token}/beats", tag = "share links",
    params(("token" = String, Path), BeatQuery),
    responses((status = 200, body = BeatWindow),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn shared_beats(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<BeatQuery>,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let w = web::block(move || {
        let task = shared_task(&st, &path)?;
        beats_of(&st, &task, &query)
    })
    .await??;
    Ok(HttpResponse::Ok().json(w))
}
