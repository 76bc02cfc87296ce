//! Wiring: opening the stores, the routes, the background threads and the HTTP server.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::blob::s3::S3BlobStore;
use crate::blob::{BlobStore, LocalBlobStore};
use crate::engine::{EcgAnalysisEngine, EcgReportRenderer};
use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::state::{AppState, BlobConfig, DatabaseConfig, ServerConfig, Wakeup};
use crate::store::postgres::{PostgresOptions, PostgresStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{MetadataStore, TaskStatus, Transition, WakeKind};
use crate::tokens::{hex, random_bytes};
use crate::{holter, openapi, tasks, uploads, viewer, webhooks, worker};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "ecg.sqlite";

/// Opens the embedded metadata store of a data directory.
pub fn open_store(data_dir: &std::path::Path) -> anyhow::Result<SqliteStore> {
    Ok(SqliteStore::open(&data_dir.join(DB_FILE))?)
}

/// Opens the configured metadata store (SQLite in the data directory, or PostgreSQL).
pub fn open_metadata_store(config: &ServerConfig) -> anyhow::Result<Arc<dyn MetadataStore>> {
    Ok(match &config.database {
        DatabaseConfig::Sqlite => {
            std::fs::create_dir_all(&config.data_dir)?;
            Arc::new(open_store(&config.data_dir)?)
        }
        DatabaseConfig::Postgres {
            url,
            schema,
            max_connections,
        } => Arc::new(
            PostgresStore::connect(&PostgresOptions {
                url: url.clone(),
                schema: schema.clone(),
                max_connections: *max_connections,
                node_id: config.node_id.clone(),
            })
            .map_err(|e| anyhow::anyhow!("opening the PostgreSQL store: {e}"))?,
        ),
    })
}

/// Opens the configured blob store (a directory under the data directory, or S3).
pub fn open_blob_store(
    config: &ServerConfig,
    store: &Arc<dyn MetadataStore>,
) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(match &config.blobs {
        BlobConfig::Local => Arc::new(LocalBlobStore::open(&config.data_dir.join("blobs"))?),
        BlobConfig::S3(opts) => Arc::new(
            S3BlobStore::connect(opts, Arc::clone(store))
                .map_err(|e| anyhow::anyhow!("opening the S3 blob store: {e}"))?,
        ),
    })
}

/// This node's id: the configured one, else the one kept in `DATA/node-id` (made on the
/// first start), so a restarted node recognises the tasks it was running.
pub fn node_id(config: &ServerConfig) -> anyhow::Result<String> {
    if !config.node_id.trim().is_empty() {
        return Ok(config.node_id.trim().to_owned());
    }
    let path = config.data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => {
            let id = format!("node-{}", hex(&random_bytes(6)));
            std::fs::write(&path, format!("{id}\n"))?;
            Ok(id)
        }
    }
}

/// Opens stores and builds the shared state (without starting anything).
pub fn build_state(config: ServerConfig) -> anyhow::Result<Arc<AppState>> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = open_metadata_store(&config)?;
    let blobs = open_blob_store(&config, &store)?;
    let secret = store.setting_or_init("presign_secret", &hex(&random_bytes(32)))?;
    Ok(Arc::new(AppState {
        store,
        blobs,
        engine: Arc::new(EcgAnalysisEngine),
        renderer: Arc::new(EcgReportRenderer),
        review: Default::default(),
        records: Default::default(),
        presign_secret: secret.into_bytes(),
        config,
        work: Wakeup::default(),
        outbox: Wakeup::default(),
        stopping: Default::default(),
    }))
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health))
        .route("/problems/{slug}", web::get().to(problem_doc))
        .route("/api/v1/openapi.json", web::get().to(openapi_json))
        .route("/api/v1/uploads", web::post().to(uploads::create_upload))
        .route(
            "/api/v1/uploads/direct",
            web::post().to(uploads::direct_upload),
        )
        .route(
            "/api/v1/uploads/{upload_id}",
            web::get().to(uploads::get_upload),
        )
        .route(
            "/api/v1/uploads/{upload_id}",
            web::delete().to(uploads::delete_upload),
        )
        .route(
            "/api/v1/uploads/{upload_id}/chunks/{offset}",
            web::put().to(uploads::put_chunk),
        )
        .route(
            "/api/v1/uploads/{upload_id}/chunks/{offset}",
            web::delete().to(uploads::delete_chunk),
        )
        .route(
            "/api/v1/uploads/{upload_id}/complete",
            web::post().to(uploads::complete_upload),
        )
        .route(
            "/api/v1/uploads/{upload_id}/upload-url",
            web::post().to(uploads::create_upload_url),
        )
        .route(
            "/api/v1/uploads/{upload_id}/content",
            web::put().to(uploads::put_content),
        )
        .route("/api/v1/tasks", web::post().to(tasks::create_task))
        .route("/api/v1/tasks", web::get().to(tasks::list_tasks))
        .route("/api/v1/tasks/{task_id}", web::get().to(tasks::get_task))
        .route(
            "/api/v1/tasks/{task_id}/cancel",
            web::post().to(tasks::cancel_task),
        )
        .route(
            "/api/v1/tasks/{task_id}/result",
            web::get().to(tasks::get_result),
        )
        .route(
            "/api/v1/tasks/{task_id}/result",
            web::patch().to(tasks::update_result),
        )
        .route(
            "/api/v1/tasks/{task_id}/result/revisions",
            web::get().to(tasks::result_revisions),
        )
        .route(
            "/api/v1/tasks/{task_id}/approve",
            web::post().to(tasks::approve),
        )
        .route(
            "/api/v1/tasks/{task_id}/report",
            web::get().to(tasks::get_report),
        )
        .route(
            "/api/v1/tasks/{task_id}/share-links",
            web::post().to(tasks::create_share),
        )
        .route(
            "/api/v1/tasks/{task_id}/share-links",
            web::get().to(tasks::list_shares),
        )
        .route(
            "/api/v1/tasks/{task_id}/share-links/{share_id}",
            web::delete().to(tasks::revoke_share),
        )
        .route(
            "/api/v1/tasks/{task_id}/deliveries",
            web::get().to(tasks::deliveries),
        )
        .route(
            "/api/v1/tasks/{task_id}/viewer-token",
            web::post().to(viewer::create_viewer_token),
        )
        .route(
            "/api/v1/tasks/{task_id}/overview",
            web::get().to(viewer::task_overview),
        )
        .route(
            "/api/v1/tasks/{task_id}/signal",
            web::get().to(viewer::task_signal),
        )
        .route(
            "/api/v1/tasks/{task_id}/beats",
            web::get().to(viewer::task_beats),
        )
        .route(
            "/api/v1/tasks/{task_id}/episodes",
            web::get().to(viewer::task_episodes),
        )
        .route(
            "/api/v1/tasks/{task_id}/edits",
            web::post().to(viewer::post_edit),
        )
        .route(
            "/api/v1/tasks/{task_id}/edits/undo",
            web::post().to(viewer::post_undo),
        )
        .route(
            "/api/v1/tasks/{task_id}/edits/redo",
            web::post().to(viewer::post_redo),
        )
        .route(
            "/api/v1/shared/{token}/overview",
            web::get().to(viewer::shared_overview),
        )
        .route(
            "/api/v1/shared/{token}/signal",
            web::get().to(viewer::shared_signal),
        )
        .route(
            "/api/v1/shared/{token}/beats",
            web::get().to(viewer::shared_beats),
        )
        .route(
            "/api/v1/shared/{token}/episodes",
            web::get().to(viewer::shared_episodes),
        )
        .route(
            "/viewer/tasks/{task_id}",
            web::get().to(viewer::reviewer_page),
        )
        .route("/viewer/assets/{name}", web::get().to(viewer::asset))
        .route("/share/{token}", web::get().to(viewer::share_page))
        .route("/api/v1/shared/{token}", web::get().to(tasks::shared_view))
        .route(
            "/api/v1/shared/{token}/report",
            web::get().to(tasks::shared_report),
        )
        .route(
            "/api/v1/webhooks/secret",
            web::get().to(tasks::webhook_secret),
        )
        .route(
            "/api/v1/advanced/ecg/holter/upload-url",
            web::post().to(holter::upload_url),
        )
        .route(
            "/api/v1/advanced/ecg/holter/submit",
            web::post().to(holter::submit),
        )
        .route(
            "/api/v1/advanced/ecg/holter/status/{task_id}",
            web::get().to(holter::status),
        )
        .route(
            "/api/v1/advanced/ecg/holter/result/{task_id}",
            web::get().to(holter::result),
        )
        .route(
            "/api/v1/advanced/ecg/holter/report/{task_id}",
            web::get().to(holter::report),
        )
        .route(
            "/api/v1/advanced/ecg/holter/cancel/{task_id}",
            web::post().to(holter::cancel_task),
        );
}

/// `GET /healthz`: `{"status": "ok" | "low_disk", "disk": {path, free_bytes,
/// min_free_bytes, uploads_accepted}}`, always 200 (the server still serves everything but
/// new uploads when the disk is low).
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let disk = crate::storage_space::disk_status(&state);
    let status = if disk.uploads_accepted {
        "ok"
    } else {
        "low_disk"
    };
    HttpResponse::Ok().json(serde_json::json!({"status": status, "disk": disk}))
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::document_json())
}

async fn problem_doc(path: web::Path<String>) -> ApiResult<HttpResponse> {
    let kind =
        ProblemKind::from_slug(&path).ok_or_else(|| ApiError::not_found("problem type", &path))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "type": kind.type_uri(),
        "title": kind.title(),
        "status": kind.status().as_u16(),
        "documentation": "docs/API.md, section Errors",
    })))
}

/// Turns framework errors (unknown route, bad path or query, body too large) that are not
/// already problem documents into RFC 9457 problems.
fn problem_for_framework_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let kind = match status.as_u16() {
        400 => Some(ProblemKind::BadRequest),
        404 => Some(ProblemKind::NotFound),
        413 => Some(ProblemKind::PayloadTooLarge),
        500 => Some(ProblemKind::Internal),
        _ => None,
    };
    let body = match kind {
        Some(k) => serde_json::json!({
            "type": k.type_uri(), "title": k.title(), "status": status.as_u16(),
            "detail": format!("{} {}", res.request().method(), res.request().path()),
        }),
        None => serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": format!("{} {}", res.request().method(), res.request().path()),
        }),
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    if let Some(allow) = old.headers().get(header::ALLOW) {
        new.insert_header((header::ALLOW, allow.clone()));
    }
    new.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    ));
    let new: HttpResponse<BoxBody> = new.body(body.to_string());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// Tasks of the long-term flow whose file never arrived fail when its session expires.
fn fail_tasks_of_expired_upload(state: &AppState, upload_id: &str) {
    let ids = match state.store.tasks_awaiting_upload(upload_id) {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!("janitor: {e}");
            return;
        }
    };
    for id in ids {
        let mut t = Transition::new(&[TaskStatus::AwaitingUpload], TaskStatus::Failed);
        t.error = Some(Some(format!(
            "the upload session {upload_id} expired before the file was uploaded"
        )));
        t.event = Some("task.failed");
        if let Err(e) = state
            .store
            .transition(&id, &t, &|t, s| webhooks::task_event(t, s, "task.failed"))
        {
            tracing::error!("janitor: task {id}: {e}");
        }
    }
    state.outbox.notify();
}

fn janitor(state: Arc<AppState>) {
    while !state.stopping.load(Ordering::Relaxed) {
        match state.store.expired_uploads(crate::timestamps::now_ms()) {
            Ok(ids) => {
                for id in ids {
                    tracing::info!("upload session {id} expired: deleting it");
                    fail_tasks_of_expired_upload(&state, &id);
                    if let Err(e) = state.blobs.delete_upload(&id) {
                        tracing::warn!("deleting upload {id}: {e}");
                    }
                    if let Err(e) = state.store.delete_upload(&id) {
                        tracing::warn!("deleting upload {id}: {e}");
                    }
                }
            }
            Err(e) => tracing::error!("janitor: {e}"),
        }
        // Idempotency keys are kept for a day.
        if let Err(e) = state
            .store
            .purge_idempotency(crate::timestamps::now_ms() - 24 * 3600 * 1000)
        {
            tracing::error!("janitor: {e}");
        }
        state.work.wait(Duration::from_secs(30));
    }
}

/// Runs the server until it is stopped (Ctrl-C / SIGTERM). Prints
/// `ecg-server listening on http://ADDR` on stdout once the socket is bound (roles `api`
/// and `all`), or `ecg-server worker running (node ID)` (role `worker`, no HTTP).
pub fn serve(mut config: ServerConfig) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let lock_path = config.data_dir.join("server.lock");
    let lock = File::create(&lock_path)?;
    if lock.try_lock().is_err() {
        anyhow::bail!(
            "another ecg-server is using {} (lock {})",
            config.data_dir.display(),
            lock_path.display()
        );
    }
    config.node_id = node_id(&config)?;
    let role = config.role;
    let state = build_state(config)?;
    tracing::info!(
        "node {} ({:?}): {} metadata, {} blobs",
        state.config.node_id,
        role,
        match state.config.database {
            DatabaseConfig::Sqlite => "SQLite",
            DatabaseConfig::Postgres { .. } => "PostgreSQL",
        },
        match state.config.blobs {
            BlobConfig::Local => "local",
            BlobConfig::S3(_) => "S3",
        }
    );
    if role.runs_workers() {
        let requeued = state.store.requeue_interrupted()?;
        if !requeued.is_empty() {
            tracing::info!(
                "resuming {} task(s) interrupted by a restart: {requeued:?}",
                requeued.len()
            );
        }
    }
    // Work queued by other nodes wakes this one's threads.
    let weak = Arc::downgrade(&state);
    state.store.listen(Arc::new(move |kind| {
        if let Some(st) = weak.upgrade() {
            match kind {
                WakeKind::Work => st.work.notify(),
                WakeKind::Outbox => st.outbox.notify(),
            }
        }
    }))?;
    let _workers = if role.runs_workers() {
        worker::spawn(&state)
    } else {
        Vec::new()
    };
    {
        let st = Arc::clone(&state);
        std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || webhooks::run_deliverer(st))?;
        let st = Arc::clone(&state);
        std::thread::Builder::new()
            .name("janitor".into())
            .spawn(move || janitor(st))?;
    }
    let result = if role.serves_http() {
        serve_http(&state)
    } else {
        println!("ecg-server worker running (node {})", state.config.node_id);
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        wait_for_stop_signal()
    };
    state.stopping.store(true, Ordering::Relaxed);
    state.work.notify();
    state.outbox.notify();
    if role.runs_workers() {
        // Hand this node's running tasks back to the queue at once rather than letting
        // their leases run out (their late results are fenced off).
        match state.store.requeue_interrupted() {
            Ok(ids) if !ids.is_empty() => tracing::info!("released {} running task(s)", ids.len()),
            Ok(_) => {}
            Err(e) => tracing::warn!("releasing running tasks: {e}"),
        }
    }
    drop(lock);
    result
}

fn serve_http(state: &Arc<AppState>) -> anyhow::Result<()> {
    let data = web::Data::from(Arc::clone(state));
    let json_limit = state.config.max_json_bytes;
    let http_workers = state.config.http_workers;
    let bind = state.config.bind.clone();
    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(json_limit))
                .wrap(ErrorHandlers::new().default_handler(problem_for_framework_errors))
                .configure(routes)
        })
        .workers(http_workers)
        .backlog(4096)
        .bind(&bind)?;
        for addr in server.addrs() {
            println!("ecg-server listening on http://{addr}");
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        server.run().await
    });
    Ok(result?)
}

/// Blocks until SIGINT or SIGTERM (a worker node has no HTTP server to do it).
fn wait_for_stop_signal() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let ctrl_c = Box::pin(tokio::signal::ctrl_c());
        let terminate = Box::pin(async move { term.recv().await });
        futures_util::future::select(ctrl_c, terminate).await;
        tracing::info!("stopping");
        Ok(())
    })
}
