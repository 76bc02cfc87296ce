//! Scale-out: several `ecg-server` nodes (roles `api` and `worker`) over one PostgreSQL
//! database and one S3 bucket (SeaweedFS), and the queue's lease semantics checked on the
//! stores themselves (PostgreSQL, and SQLite with the same contract on one node).
//!
//! The servers come from the `ECG_TEST_*` variables that `scripts/ci-services.sh` prints
//! (see `common::services`); without them the PostgreSQL/S3 tests are skipped with a
//! notice, and with `ECG_TEST_SHARED_BACKENDS=required` but no servers they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ecg_server::store::postgres::{PostgresOptions, PostgresStore};
use ecg_server::store::sqlite::SqliteStore;
use ecg_server::store::{
    Claim, Lease, MetadataStore, OutboxMessage, ReportState, TaskRow, TaskStatus, Transition,
    UploadRow, UploadState,
};
use ecg_server::timestamps::now_ms;
use serde_json::json;

// ---------------------------------------------------------------- store-level contract

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{:x}{:x}", n, std::process::id())
}

fn pg_store(schema: &str, node: &str) -> Option<PostgresStore> {
    let s = services()?;
    Some(
        PostgresStore::connect(&PostgresOptions {
            url: s.database_url.clone(),
            schema: Some(schema.to_owned()),
            max_connections: 4,
            node_id: node.to_owned(),
        })
        .unwrap(),
    )
}

fn no_events(_: &TaskRow, _: u64) -> Vec<OutboxMessage> {
    Vec::new()
}

/// A tenant, a complete upload and `n` queued tasks (oldest first).
fn seed(store: &dyn MetadataStore, n: usize) -> Vec<String> {
    let tenant = store.ensure_tenant("t", "whsec_x").unwrap();
    let upload = unique("upl_");
    store
        .insert_upload(&UploadRow {
            id: upload.clone(),
            tenant_id: tenant,
            file_name: "f.edf".into(),
            size: 1,
            sha256: "00".into(),
            state: UploadState::Complete,
            created_at: 1,
            expires_at: 2,
            completed_at: Some(2),
            decoded: None,
            error: None,
        })
        .unwrap();
    (0..n)
        .map(|i| {
            let id = format!("tsk_{upload}_{i:03}");
            store
                .insert_task(&TaskRow {
                    id: id.clone(),
                    tenant_id: tenant,
                    upload_id: upload.clone(),
                    kind: "resting".into(),
                    status: TaskStatus::Queued,
                    progress: 0,
                    error: None,
                    auto_complete: true,
                    callback_url: None,
                    records: None,
                    metadata: json!({}),
                    patient_id: None,
                    tags: vec!["x".into()],
                    format_hint: None,
                    created_at: 1000 + i as i64,
                    updated_at: 1000 + i as i64,
                    started_at: None,
                    finished_at: None,
                    attempts: 0,
                    report_state: ReportState::None,
                    result_version: 0,
                    approved_by: None,
                    approved_at: None,
                    event_seq: 0,
                })
                .unwrap();
            id
        })
        .collect()
}

fn lease(owner: &str, ttl_ms: i64) -> Lease {
    Lease {
        owner: owner.into(),
        ttl_ms,
    }
}

/// Eight threads over two "nodes" drain 40 tasks: each is claimed exactly once.
fn claims_are_exclusive(a: Arc<dyn MetadataStore>, b: Arc<dyn MetadataStore>) {
    let ids = seed(&*a, 40);
    let claimed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..8 {
            let store = if t % 2 == 0 { &a } else { &b };
            let claimed = &claimed;
            s.spawn(move || {
                let owner = format!("node-{}", t % 2);
                while let Some(task) = store
                    .claim_task(now_ms(), &lease(&owner, 60_000), &no_events)
                    .unwrap()
                {
                    assert_eq!(task.status, TaskStatus::Processing);
                    assert_eq!(task.attempts, 1);
                    claimed.lock().unwrap().push(task.id);
                }
            });
        }
    });
    let mut claimed = claimed.into_inner().unwrap();
    claimed.sort();
    assert_eq!(claimed, ids, "every task claimed exactly once");
}

/// A claim whose lease expires is taken over (attempt 2); the old holder is fenced out.
fn expired_leases_are_taken_over(a: &dyn MetadataStore, b: &dyn MetadataStore) {
    let ids = seed(a, 1);
    let first = a
        .claim_task(now_ms(), &lease("node-a", 300), &no_events)
        .unwrap()
        .unwrap();
    assert_eq!(first.id, ids[0]);
    // Held: nobody else gets it, and the holder can renew.
    assert!(
        b.claim_task(now_ms(), &lease("node-b", 300), &no_events)
            .unwrap()
            .is_none()
    );
    assert!(a.renew_leases("node-a", &ids, 300).unwrap().is_empty());
    std::thread::sleep(Duration::from_millis(700));
    let second = b
        .claim_task(now_ms(), &lease("node-b", 60_000), &no_events)
        .unwrap()
        .expect("expired lease taken over");
    assert_eq!(second.id, ids[0]);
    assert_eq!(second.attempts, 2);
    // The old holder lost it: renewal says so, its transitions are refused.
    assert_eq!(a.renew_leases("node-a", &ids, 300).unwrap(), ids);
    let mut done = Transition::new(&[TaskStatus::Processing], TaskStatus::Completed);
    done.claim = Some(Claim {
        owner: "node-a".into(),
        attempt: 1,
    });
    assert!(a.transition(&ids[0], &done, &no_events).unwrap().is_none());
    done.claim = Some(Claim {
        owner: "node-b".into(),
        attempt: 2,
    });
    let t = b.transition(&ids[0], &done, &no_events).unwrap().unwrap();
    assert_eq!(t.status, TaskStatus::Completed);
    // Finished: the lease is gone.
    assert_eq!(b.renew_leases("node-b", &ids, 300).unwrap(), ids);
}

/// A report is rendered by one node at a time.
fn report_claims_are_exclusive(a: &dyn MetadataStore, b: &dyn MetadataStore) {
    let ids = seed(a, 1);
    let mut t = Transition::new(&[TaskStatus::Queued], TaskStatus::Completed);
    t.report_state = Some(ReportState::Queued);
    a.transition(&ids[0], &t, &no_events).unwrap().unwrap();
    let got = a.claim_report(&lease("node-a", 60_000)).unwrap().unwrap();
    assert_eq!(got.id, ids[0]);
    assert!(b.claim_report(&lease("node-b", 60_000)).unwrap().is_none());
    a.set_report_state(&ids[0], ReportState::Ready).unwrap();
    assert!(b.claim_report(&lease("node-b", 60_000)).unwrap().is_none());
}

#[test]
fn sqlite_store_keeps_the_lease_contract_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn MetadataStore> =
        Arc::new(SqliteStore::open(&dir.path().join("m.sqlite")).unwrap());
    claims_are_exclusive(s.clone(), s.clone());
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("m.sqlite")).unwrap();
    expired_leases_are_taken_over(&s, &s);
    report_claims_are_exclusive(&s, &s);
}

#[test]
fn postgres_store_claims_each_task_once_across_nodes() {
    let schema = unique("c");
    let (Some(a), Some(b)) = (pg_store(&schema, "node-0"), pg_store(&schema, "node-1")) else {
        return;
    };
    claims_are_exclusive(Arc::new(a), Arc::new(b));
}

#[test]
fn postgres_store_takes_over_expired_leases_and_fences_the_old_holder() {
    let schema = unique("l");
    let (Some(a), Some(b)) = (pg_store(&schema, "node-a"), pg_store(&schema, "node-b")) else {
        return;
    };
    expired_leases_are_taken_over(&a, &b);
    report_claims_are_exclusive(&a, &b);
}

#[test]
fn postgres_migrations_run_once_when_nodes_start_together() {
    let schema = unique("m");
    if services().is_none() {
        return;
    }
    let versions: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let schema = &schema;
                s.spawn(move || {
                    pg_store(schema, &format!("n{i}"))
                        .unwrap()
                        .schema_version()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(versions.iter().all(|v| *v == 2), "{versions:?}");
    // Reopening applies nothing new.
    assert_eq!(
        pg_store(&schema, "n9").unwrap().schema_version().unwrap(),
        2
    );
}

#[test]
fn postgres_restart_requeues_only_this_nodes_tasks_and_deliveries_go_to_one_node() {
    let schema = unique("r");
    let (Some(a), Some(b)) = (pg_store(&schema, "node-a"), pg_store(&schema, "node-b")) else {
        return;
    };
    let ids = seed(&a, 2);
    let event = |t: &TaskRow, seq: u64| {
        vec![OutboxMessage {
            id: format!("msg_{}_{seq}", t.id),
            url: "http://127.0.0.1:9/hook".into(),
            event_type: "task.processing".into(),
            payload: b"{}".to_vec(),
        }]
    };
    let ta = a
        .claim_task(now_ms(), &lease("node-a", 60_000), &event)
        .unwrap()
        .unwrap();
    let tb = b
        .claim_task(now_ms(), &lease("node-b", 60_000), &event)
        .unwrap()
        .unwrap();
    assert_ne!(ta.id, tb.id);
    // node-a restarts: only its own task goes back to the queue.
    let again = pg_store(&schema, "node-a").unwrap();
    assert_eq!(again.requeue_interrupted().unwrap(), vec![ta.id.clone()]);
    assert_eq!(
        a.task_unscoped(&ta.id).unwrap().unwrap().status,
        TaskStatus::Queued
    );
    assert_eq!(
        a.task_unscoped(&tb.id).unwrap().unwrap().status,
        TaskStatus::Processing
    );
    assert!(ids.contains(&ta.id) && ids.contains(&tb.id));
    // Two outbox messages: two nodes asking at once share them, never both the same.
    let now = now_ms();
    let (da, db) = std::thread::scope(|s| {
        let ha = s.spawn(|| a.due_deliveries(now + 1, 16).unwrap());
        let hb = s.spawn(|| b.due_deliveries(now + 1, 16).unwrap());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let mut all: Vec<String> = da.iter().chain(db.iter()).map(|d| d.id.clone()).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a delivery went to both nodes");
    assert_eq!(all.len(), 2);
    // Reserved: not due again right away.
    assert!(a.due_deliveries(now + 1, 16).unwrap().is_empty());
}

// ---------------------------------------------------------------- nodes over HTTP

/// A worker node (no HTTP): its log goes to a file the test reads.
struct WorkerNode {
    child: Child,
    log: PathBuf,
    node_id: String,
}

impl WorkerNode {
    fn start(data: &Path, cluster: &str, node_id: &str, extra: &[&str]) -> WorkerNode {
        let log = data.join("worker.log");
        let mut child = server_command(&shared_env(cluster))
            .args(["serve", "--role", "worker", "--node-id", node_id, "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("ecg-server worker running"),
            "unexpected first line {line:?}; log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        WorkerNode {
            child,
            log,
            node_id: node_id.to_owned(),
        }
    }

    /// Task ids this worker started analysing, with the attempt number.
    fn analysed(&self) -> Vec<(String, u32)> {
        let text = std::fs::read_to_string(&self.log).unwrap();
        text.lines()
            .filter_map(|l| {
                let rest = &l[l.find("task tsk_")? + 5..];
                let (id, rest) = rest.split_once(": analysing (node ")?;
                let (node, rest) = rest.split_once(", attempt ")?;
                assert_eq!(node, self.node_id);
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                Some((id.to_owned(), digits.parse().ok()?))
            })
            .collect()
    }

    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for WorkerNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn api_node(data: &Path, cluster: &str) -> Server {
    Server::start_env(data, &["--role", "api"], &shared_env(cluster))
}

fn create_task(s: &Server, key: &str, upload_id: &str, callback: Option<&str>) -> String {
    let mut body = json!({"upload_id": upload_id, "kind": "long_term", "auto_complete": true});
    if let Some(c) = callback {
        body["callback_url"] = json!(c);
    }
    let r = s.post_json(key, "/api/v1/tasks", &body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["task_id"].as_str().unwrap().to_owned()
}

#[test]
fn two_worker_nodes_never_run_the_same_task_twice() {
    if services().is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let cluster = cluster_name(root.path());
    let dirs: Vec<PathBuf> = ["api", "w1", "w2"]
        .iter()
        .map(|n| {
            let d = root.path().join(n);
            std::fs::create_dir_all(&d).unwrap();
            d
        })
        .collect();
    let key = create_key_env(&dirs[0], "clinic", &shared_env(&cluster));
    let api = api_node(&dirs[0], &cluster);
    let w1 = WorkerNode::start(&dirs[1], &cluster, "w1", &["--workers", "2"]);
    let w2 = WorkerNode::start(&dirs[2], &cluster, "w2", &["--workers", "2"]);
    let receiver = Receiver::start(0);
    let up = api.upload_file(
        &key,
        "holter.edf",
        &std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap(),
    );
    let upload_id = up["upload_id"].as_str().unwrap();
    let tasks: Vec<String> = (0..8)
        .map(|_| create_task(&api, &key, upload_id, Some(&receiver.url)))
        .collect();
    let mut beats = HashSet::new();
    for id in &tasks {
        let t = api.wait_task(&key, id, Duration::from_secs(300), &|s| {
            s == "completed" || s == "failed"
        });
        assert_eq!(t["status"], "completed", "{t}");
        let r = api
            .get(Some(&key), &format!("/api/v1/tasks/{id}/result"))
            .json();
        beats.insert(r["total_beats"].as_u64().unwrap());
        // One analysis revision: a second run would have tried to add another.
        let revs = api
            .get(Some(&key), &format!("/api/v1/tasks/{id}/result/revisions"))
            .json();
        assert_eq!(revs.as_array().unwrap().len(), 1, "{revs}");
    }
    assert_eq!(
        beats.len(),
        1,
        "the same record gives the same beats: {beats:?}"
    );
    let (a1, a2) = (w1.analysed(), w2.analysed());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (id, attempt) in a1.iter().chain(a2.iter()) {
        assert_eq!(*attempt, 1, "task {id} was claimed more than once");
        *seen.entry(id.clone()).or_default() += 1;
    }
    assert_eq!(seen.len(), tasks.len(), "w1 {a1:?} w2 {a2:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert!(
        !a1.is_empty() && !a2.is_empty(),
        "both nodes worked: w1 {a1:?} w2 {a2:?}"
    );
    // Webhooks (sent by whichever node): each message once, one `task.processing` per task.
    let start = Instant::now();
    loop {
        let got = receiver.all();
        let completed = got
            .iter()
            .filter(|r| r.body.windows(14).any(|w| w == b"task.completed"))
            .count();
        if completed >= tasks.len() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} webhooks",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let got = receiver.all();
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(n, ids.len(), "a webhook message was sent twice");
    for id in &tasks {
        let processing = got
            .iter()
            .filter(|r| {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                v["type"] == "task.processing" && v["data"]["task_id"] == id.as_str()
            })
            .count();
        assert_eq!(processing, 1, "task {id}");
    }
}

#[test]
fn a_killed_workers_task_is_completed_by_another_node() {
    if services().is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let cluster = cluster_name(root.path());
    let dir = |n: &str| {
        let d = root.path().join(n);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let key = create_key_env(&dir("api"), "clinic", &shared_env(&cluster));
    let api = api_node(&dir("api"), &cluster);
    let lease = ["--workers", "1", "--lease-ttl-s", "2"];
    let mut w1 = WorkerNode::start(&dir("w1"), &cluster, "w1", &lease);
    let data = zip_of_copies(&shared("edf/holter_3ch_1h.edf"), 10); // 10 hours to analyse
    let up = api.upload_file(&key, "days.zip", &data);
    let id = create_task(&api, &key, up["upload_id"].as_str().unwrap(), None);
    let seen = api.wait_task(&key, &id, Duration::from_secs(60), &|s| s != "queued");
    assert_eq!(
        seen["status"], "processing",
        "finished before the kill: {seen}"
    );
    assert_eq!(w1.analysed(), vec![(id.clone(), 1)]);
    w1.kill9();
    let w2 = WorkerNode::start(&dir("w2"), &cluster, "w2", &lease);
    let t = api.wait_task(&key, &id, Duration::from_secs(300), &|s| {
        s == "completed" || s == "failed"
    });
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(w2.analysed(), vec![(id.clone(), 2)], "taken over by w2");
    let r = api
        .get(Some(&key), &format!("/api/v1/tasks/{id}/result"))
        .json();
    assert_eq!(r["records"].as_array().unwrap().len(), 10);
    assert!(
        r["total_beats"].as_u64().unwrap() > 10 * 3000,
        "{}",
        r["total_beats"]
    );
}

#[test]
fn chunks_sent_to_different_api_nodes_complete_with_the_right_sha256() {
    if services().is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let cluster = cluster_name(root.path());
    let dir = |n: &str| {
        let d = root.path().join(n);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let key = create_key_env(&dir("a"), "clinic", &shared_env(&cluster));
    let nodes = [api_node(&dir("a"), &cluster), api_node(&dir("b"), &cluster)];
    let _worker = WorkerNode::start(&dir("w"), &cluster, "w", &["--workers", "2"]);
    let data = zip_of_copies(&shared("edf/holter_3ch_1h.edf"), 3);
    let sha = sha256_hex(&data);
    let chunk = 1 << 20;
    let created = nodes[0].post_json(
        &key,
        "/api/v1/uploads",
        &json!({"file_name": "days.zip", "size": data.len(), "sha256": sha}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["upload_id"].as_str().unwrap().to_owned();
    // Chunks in reverse order, alternating between the nodes.
    let offsets: Vec<usize> = (0..data.len()).step_by(chunk).rev().collect();
    for (i, off) in offsets.iter().enumerate() {
        let part = &data[*off..(*off + chunk).min(data.len())];
        let r = nodes[i % 2].put_bytes(
            Some(&key),
            &format!("/api/v1/uploads/{id}/chunks/{off}"),
            part,
            &[("X-Content-SHA256", &sha256_hex(part))],
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // A retry of a chunk on the other node is harmless; other bytes there are refused.
    let part = &data[0..chunk];
    // (Chunk 0 went last, to node (n - 1) % 2.)
    let retry = nodes[offsets.len() % 2].put_bytes(
        Some(&key),
        &format!("/api/v1/uploads/{id}/chunks/0"),
        part,
        &[],
    );
    assert_eq!(retry.status, 200, "{}", retry.text());
    nodes[1]
        .put_bytes(
            Some(&key),
            &format!("/api/v1/uploads/{id}/chunks/0"),
            &vec![7u8; chunk],
            &[],
        )
        .assert_problem(409, "chunk-conflict");
    // Both nodes see the same session.
    for n in &nodes {
        let v = n.get(Some(&key), &format!("/api/v1/uploads/{id}")).json();
        assert_eq!(v["received_bytes"], data.len() as u64, "{v}");
        assert_eq!(v["missing"].as_array().unwrap().len(), 0, "{v}");
    }
    let done = nodes[1].post_json(&key, &format!("/api/v1/uploads/{id}/complete"), &json!({}));
    assert_eq!(done.status, 200, "{}", done.text());
    let v = nodes[0]
        .get(Some(&key), &format!("/api/v1/uploads/{id}"))
        .json();
    assert_eq!(v["state"], "complete", "{v}");
    assert_eq!(v["sha256"], sha.as_str());
    assert_eq!(v["records"].as_array().unwrap().len(), 3, "{v}");
    // The worker node (its own cache) analyses the sealed object.
    let task = create_task(&nodes[0], &key, &id, None);
    let t = nodes[1].wait_task(&key, &task, Duration::from_secs(300), &|s| {
        s == "completed" || s == "failed"
    });
    assert_eq!(t["status"], "completed", "{t}");
    let r = nodes[0]
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    assert_eq!(r["records"].as_array().unwrap().len(), 3);
    // A pre-signed URL made by one node is accepted by the other (the secret is shared).
    let small = std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap();
    let s2 = nodes[0]
        .post_json(
            &key,
            "/api/v1/uploads",
            &json!({"file_name": "h.edf", "size": small.len(), "sha256": sha256_hex(&small)}),
        )
        .json();
    let id2 = s2["upload_id"].as_str().unwrap();
    let url = nodes[0]
        .post_json(
            &key,
            &format!("/api/v1/uploads/{id2}/upload-url"),
            &json!({}),
        )
        .json()["upload_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = &url[url.find("/api/").unwrap()..];
    let put = nodes[1].put_bytes(None, path, &small, &[]);
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["state"], "complete");
}
