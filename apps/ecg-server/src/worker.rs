//! The durable task queue's workers: a pool of threads (one per core by default) that take
//! queued tasks from the database, decode the upload, run the analysis engine, store the
//! result and move the task on; and render reports. Nothing runs on the HTTP threads.
//!
//! Each claim holds a lease in the database (this node's id, an expiry); a heartbeat thread
//! renews the leases of everything the node is working on, so a task whose node died is
//! taken over by another node once its lease expires, and a worker that lost its claim
//! (taken over after a stall, or cancelled) cannot store a result or move the task on.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecg_core::Record;

use crate::engine::{AnalysisKind, EngineError};
use crate::metadata::TaskMetadata;
use crate::state::AppState;
use crate::store::{Claim, Lease, ReportState, RevisionRow, TaskRow, TaskStatus, Transition};
use crate::timestamps::{now_ms, rfc3339};
use crate::uploads::{decode, record_summary};
use crate::webhooks::task_event;

/// Blob key of a result version.
pub fn result_key(task_id: &str, version: u32) -> String {
    format!("results/{task_id}/v{version}.json")
}

/// Blob key of a task's PDF report.
pub fn report_key(task_id: &str) -> String {
    format!("reports/{task_id}.pdf")
}

/// The claims this node holds, renewed by the heartbeat.
#[derive(Debug, Default)]
pub struct LeaseKeeper {
    /// Task id -> still held (false once the heartbeat found the lease gone).
    held: Mutex<HashMap<String, bool>>,
}

impl LeaseKeeper {
    fn hold(&self, task_id: &str) {
        self.lock().insert(task_id.to_owned(), true);
    }

    fn release(&self, task_id: &str) {
        self.lock().remove(task_id);
    }

    /// Whether the lease on `task_id` is still this node's (as of the last heartbeat).
    pub fn holds(&self, task_id: &str) -> bool {
        self.lock().get(task_id).copied().unwrap_or(false)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, bool>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Renews every held lease once; marks the ones lost.
    pub fn renew(&self, state: &AppState) {
        let ids: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, held)| **held)
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() {
            return;
        }
        match state.store.renew_leases(
            &state.config.node_id,
            &ids,
            state.config.lease_ttl.as_millis() as i64,
        ) {
            Ok(lost) => {
                let mut held = self.lock();
                for id in lost {
                    tracing::warn!("task {id}: this node no longer holds its lease");
                    if let Some(h) = held.get_mut(&id) {
                        *h = false;
                    }
                }
            }
            Err(e) => tracing::error!("lease heartbeat: {e}"),
        }
    }
}

fn lease(state: &AppState) -> Lease {
    Lease {
        owner: state.config.node_id.clone(),
        ttl_ms: state.config.lease_ttl.as_millis() as i64,
    }
}

/// Starts the worker threads (worker 0 also renders reports) and the lease heartbeat.
pub fn spawn(state: &Arc<AppState>) -> Vec<std::thread::JoinHandle<()>> {
    let keeper = Arc::new(LeaseKeeper::default());
    let mut threads: Vec<_> = (0..state.config.analysis_workers.max(1))
        .map(|i| {
            let st = Arc::clone(state);
            let k = Arc::clone(&keeper);
            std::thread::Builder::new()
                .name(format!("analysis-{i}"))
                .spawn(move || worker_loop(&st, &k, i == 0))
                .unwrap_or_else(|e| panic!("cannot start worker thread: {e}"))
        })
        .collect();
    let st = Arc::clone(state);
    threads.push(
        std::thread::Builder::new()
            .name("lease-heartbeat".into())
            .spawn(move || {
                let every = (st.config.lease_ttl / 3).max(Duration::from_millis(100));
                while !st.stopping.load(Ordering::Relaxed) {
                    std::thread::sleep(every);
                    keeper.renew(&st);
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the heartbeat thread: {e}")),
    );
    threads
}

fn worker_loop(state: &AppState, keeper: &LeaseKeeper, renders: bool) {
    while !state.stopping.load(Ordering::Relaxed) {
        match state.store.claim_task(now_ms(), &lease(state), &|t, seq| {
            task_event(t, seq, "task.processing")
        }) {
            Ok(Some(task)) => {
                let claim = Claim {
                    owner: state.config.node_id.clone(),
                    attempt: task.attempts,
                };
                tracing::info!(
                    "task {}: analysing (node {}, attempt {})",
                    task.id,
                    claim.owner,
                    claim.attempt
                );
                keeper.hold(&task.id);
                state.outbox.notify();
                let id = task.id.clone();
                run_task(state, keeper, task, &claim);
                keeper.release(&id);
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!("queue: {e}"),
        }
        if renders {
            match state.store.claim_report(&lease(state)) {
                Ok(Some(task)) => {
                    keeper.hold(&task.id);
                    render_report(state, &task);
                    keeper.release(&task.id);
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!("report queue: {e}"),
            }
        }
        state.work.wait(Duration::from_secs(2));
    }
}

/// Decodes the records a task analyses, with the request metadata applied.
pub fn task_records(state: &AppState, task: &TaskRow) -> Result<Vec<Record>, String> {
    let upload = state
        .store
        .upload_unscoped(&task.upload_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("upload {} no longer exists", task.upload_id))?;
    let decoded = decode(state, &upload).map_err(|e| e.detail)?;
    let mut records = decoded.records;
    if let Some(chosen) = &task.records {
        let n = records.len();
        let mut slots: Vec<Option<Record>> = records.into_iter().map(Some).collect();
        records = Vec::with_capacity(chosen.len());
        for &i in chosen {
            let r = slots
                .get_mut(i)
                .and_then(Option::take)
                .ok_or_else(|| format!("record {i} does not exist (the upload has {n})"))?;
            records.push(r);
        }
    }
    if records.is_empty() {
        return Err("the upload contains no records to analyse".into());
    }
    let meta: TaskMetadata =
        serde_json::from_value(task.metadata.clone()).map_err(|e| e.to_string())?;
    for r in &mut records {
        meta.apply(r)?;
    }
    Ok(records)
}

fn fail(state: &AppState, task: &TaskRow, claim: &Claim, error: String) {
    let mut t = Transition::new(&[TaskStatus::Processing], TaskStatus::Failed);
    t.error = Some(Some(error));
    t.claim = Some(claim.clone());
    t.event = Some("task.failed");
    if let Err(e) = state
        .store
        .transition(&task.id, &t, &|t, s| task_event(t, s, "task.failed"))
    {
        tracing::error!("task {}: {e}", task.id);
    }
    state.outbox.notify();
}

struct ProgressState {
    last_pct: u8,
    last_write: Instant,
    last_event_quarter: u8,
}

fn run_task(state: &AppState, keeper: &LeaseKeeper, task: TaskRow, claim: &Claim) {
    let kind = AnalysisKind::parse(&task.kind).unwrap_or(AnalysisKind::LongTerm);
    let records = match task_records(state, &task) {
        Ok(r) => r,
        Err(e) => return fail(state, &task, claim, e),
    };
    let _ = state.store.set_progress(&task.id, 5);
    let progress = Mutex::new(ProgressState {
        last_pct: 5,
        last_write: Instant::now(),
        last_event_quarter: 0,
    });
    let report = |fraction: f64| {
        let pct = (5.0 + 90.0 * fraction.clamp(0.0, 1.0)).floor() as u8;
        let Ok(mut p) = progress.lock() else { return };
        if !keeper.holds(&task.id) {
            return;
        }
        if pct <= p.last_pct || (p.last_write.elapsed() < Duration::from_millis(200) && pct < 95) {
            return;
        }
        p.last_pct = pct;
        p.last_write = Instant::now();
        let quarter = pct / 25;
        if quarter > p.last_event_quarter {
            p.last_event_quarter = quarter;
            let mut t = Transition::new(&[TaskStatus::Processing], TaskStatus::Processing);
            t.progress = Some(pct);
            t.event = Some("task.progress");
            t.claim = Some(claim.clone());
            let _ = state
                .store
                .transition(&task.id, &t, &|t, s| task_event(t, s, "task.progress"));
            state.outbox.notify();
        } else {
            let _ = state.store.set_progress(&task.id, pct);
        }
    };
    let analysis = match state.engine.analyse(&records, kind, &report) {
        Ok(a) => a,
        Err(e @ EngineError::Unavailable(_)) => return fail(state, &task, claim, e.to_string()),
        Err(EngineError::Failed(msg)) => return fail(state, &task, claim, msg),
    };
    let meta: TaskMetadata = serde_json::from_value(task.metadata.clone()).unwrap_or_default();
    let first = &records[0];
    let result = serde_json::json!({
        "task_id": task.id,
        "kind": kind,
        "version": 1,
        "engine": state.engine.name(),
        "analysed_at": rfc3339(now_ms()),
        "total_beats": analysis.get("total_beats").cloned().unwrap_or(serde_json::Value::Null),
        "records": records.iter().enumerate().map(|(i, r)| record_summary(i, r)).collect::<Vec<_>>(),
        "patient": first.personal,
        "recording": first.readings,
        "report": meta.report,
        "tags": meta.tags,
        "analysis": analysis,
        "review": {"statements": [], "conclusion": null, "annotations": [], "comment": null},
    });
    let bytes = match serde_json::to_vec(&result) {
        Ok(b) => b,
        Err(e) => return fail(state, &task, claim, format!("serialising the result: {e}")),
    };
    if !keeper.holds(&task.id) {
        tracing::warn!(
            "task {}: lease lost during analysis; the result is dropped",
            task.id
        );
        return;
    }
    if let Err(e) = state.blobs.put(&result_key(&task.id, 1), &bytes) {
        return fail(state, &task, claim, format!("storing the result: {e}"));
    }
    let rev = RevisionRow {
        version: 1,
        actor: state.engine.name(),
        at: rfc3339(now_ms()),
        action: "analysis".into(),
        changes: serde_json::json!({}),
    };
    if let Err(e) = state.store.add_revision(&task.id, &rev) {
        // A rerun after a crash finds the revision already there: that is fine.
        tracing::warn!("task {}: revision 1: {e}", task.id);
    }
    let (to, event, report_state) = if task.auto_complete {
        (TaskStatus::Completed, "task.completed", ReportState::Queued)
    } else {
        (TaskStatus::Review, "task.review", ReportState::None)
    };
    let mut t = Transition::new(&[TaskStatus::Processing], to);
    t.claim = Some(claim.clone());
    t.progress = Some(100);
    t.result_version = Some(1);
    t.report_state = Some(report_state);
    t.event = Some(event);
    match state
        .store
        .transition(&task.id, &t, &|t, s| task_event(t, s, event))
    {
        Ok(Some(_)) => tracing::info!("task {}: analysed (node {})", task.id, claim.owner),
        Ok(None) => tracing::info!(
            "task {} changed state or holder during analysis (cancelled, or taken over)",
            task.id
        ),
        Err(e) => tracing::error!("task {}: {e}", task.id),
    }
    state.outbox.notify();
    state.work.notify();
}

/// Loads the current result document of a task (materialised: the review edits of the
/// version are applied to its analysis; see [`crate::review`]).
pub fn load_result(state: &AppState, task: &TaskRow) -> Result<Option<serde_json::Value>, String> {
    if task.result_version == 0 {
        return Ok(None);
    }
    match crate::review::materialize(state, &task.id, task.result_version) {
        Ok(m) => m.full_document().map(Some).map_err(|e| e.detail),
        Err(e) if e.kind == crate::problem::ProblemKind::ResultNotReady => Ok(None),
        Err(e) => Err(e.detail),
    }
}

fn render_report(state: &AppState, task: &TaskRow) {
    let outcome = (|| -> Result<Vec<u8>, EngineError> {
        let result = load_result(state, task)
            .map_err(EngineError::Failed)?
            .ok_or_else(|| EngineError::Failed("no result to report".into()))?;
        let records = task_records(state, task).map_err(EngineError::Failed)?;
        state.renderer.render(&records, &result)
    })();
    let new_state = match outcome {
        Ok(pdf) => match state.blobs.put(&report_key(&task.id), &pdf) {
            Ok(()) => ReportState::Ready,
            Err(e) => {
                tracing::error!("task {}: storing the report: {e}", task.id);
                ReportState::Failed
            }
        },
        Err(EngineError::Unavailable(_)) => ReportState::Unavailable,
        Err(EngineError::Failed(msg)) => {
            tracing::error!("task {}: report: {msg}", task.id);
            ReportState::Failed
        }
    };
    if let Err(e) = state.store.set_report_state(&task.id, new_state) {
        tracing::error!("task {}: {e}", task.id);
    }
}
