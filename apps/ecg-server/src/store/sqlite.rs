//! [`SqliteStore`]: the embedded metadata store (one SQLite file, WAL, migrations).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, params};

pub use super::MAX_ATTEMPTS;
use super::{
    ChunkInsert, ChunkRow, DeliveryAttempt, DeliveryRow, IdempotencyRecord, Lease, MetadataStore,
    OutboxMessage, ReportState, RevisionRow, ShareRow, StoreError, StoreResult, TaskFilter,
    TaskRow, TaskStatus, Tenant, Transition, UploadRow, UploadState,
};
use crate::timestamps::{now_ms, rfc3339};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
/// Append, never edit: a released database has run the earlier ones.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tenants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        webhook_secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants(id),
        prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants(id),
        file_name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        completed_at INTEGER,
        decoded TEXT,
        error TEXT
    );
    CREATE INDEX uploads_open_expiry ON uploads(state, expires_at);
    CREATE TABLE upload_chunks (
        upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        offset INTEGER NOT NULL,
        length INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (upload_id, offset)
    ) WITHOUT ROWID;
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants(id),
        upload_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        progress INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        auto_complete INTEGER NOT NULL,
        callback_url TEXT,
        records TEXT,
        metadata TEXT NOT NULL,
        patient_id TEXT,
        format_hint TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        report_state TEXT NOT NULL DEFAULT 'none',
        result_version INTEGER NOT NULL DEFAULT 0,
        approved_by TEXT,
        approved_at INTEGER,
        event_seq INTEGER NOT NULL DEFAULT 0,
        queued_at INTEGER
    );
    CREATE INDEX tasks_tenant_created ON tasks(tenant_id, created_at DESC, id DESC);
    CREATE INDEX tasks_queue ON tasks(status, queued_at);
    CREATE INDEX tasks_report_queue ON tasks(report_state);
    CREATE INDEX tasks_patient ON tasks(tenant_id, patient_id);
    CREATE TABLE task_tags (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (task_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX task_tags_tag ON task_tags(tag);
    CREATE TABLE revisions (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        changes TEXT NOT NULL,
        PRIMARY KEY (task_id, version)
    );
    CREATE TABLE share_links (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        tenant_id INTEGER NOT NULL,
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX share_links_task ON share_links(task_id);
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        task_id TEXT NOT NULL,
        url TEXT NOT NULL,
        event_type TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        payload BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
    CREATE INDEX deliveries_task ON deliveries(task_id);
    CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        status INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    CREATE TABLE idempotency (
        tenant_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER,
        body BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, key)
    );
    "#,
    // 2: leases of claimed tasks and reports (owner node id, expiry in Unix ms); the same
    // as migration 2 of the PostgreSQL store.
    r#"
    ALTER TABLE tasks ADD COLUMN lease_owner TEXT;
    ALTER TABLE tasks ADD COLUMN lease_until INTEGER;
    "#,
];

/// Number of migrations (the PostgreSQL store has the same).
#[cfg(test)]
pub(crate) const MIGRATION_COUNT: usize = MIGRATIONS.len();

/// The SQLite store: one writer connection and a pool of readers (WAL lets readers run
/// alongside the writer).
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> StoreResult<i64> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = match self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 16 {
            pool.push(conn);
        }
        out
    }

    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

fn json_col<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: Option<String>,
) -> StoreResult<Option<T>> {
    text.map(|t| serde_json::from_str(&t).map_err(|source| StoreError::Json { column, source }))
        .transpose()
}

const UPLOAD_COLS: &str = "id, tenant_id, file_name, size, sha256, state, created_at, expires_at, completed_at, decoded, error";

fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<(UploadRow, String, Option<String>)> {
    let state: String = r.get(5)?;
    let decoded: Option<String> = r.get(9)?;
    Ok((
        UploadRow {
            id: r.get(0)?,
            tenant_id: r.get(1)?,
            file_name: r.get(2)?,
            size: r.get::<_, i64>(3)? as u64,
            sha256: r.get(4)?,
            state: UploadState::Open,
            created_at: r.get(6)?,
            expires_at: r.get(7)?,
            completed_at: r.get(8)?,
            decoded: None,
            error: r.get(10)?,
        },
        state,
        decoded,
    ))
}

fn finish_upload_row(raw: (UploadRow, String, Option<String>)) -> StoreResult<UploadRow> {
    let (mut u, state, decoded) = raw;
    u.state = UploadState::parse(&state)?;
    u.decoded = json_col("uploads.decoded", decoded)?;
    Ok(u)
}

const TASK_COLS: &str = "id, tenant_id, upload_id, kind, status, progress, error, auto_complete, \
     callback_url, records, metadata, patient_id, format_hint, created_at, updated_at, started_at, \
     finished_at, attempts, report_state, result_version, approved_by, approved_at, event_seq";

struct RawTask {
    row: TaskRow,
    status: String,
    records: Option<String>,
    metadata: String,
    report_state: String,
}

fn task_from_row(r: &Row<'_>) -> rusqlite::Result<RawTask> {
    Ok(RawTask {
        row: TaskRow {
            id: r.get(0)?,
            tenant_id: r.get(1)?,
            upload_id: r.get(2)?,
            kind: r.get(3)?,
            status: TaskStatus::Queued,
            progress: r.get::<_, i64>(5)?.clamp(0, 100) as u8,
            error: r.get(6)?,
            auto_complete: r.get::<_, i64>(7)? != 0,
            callback_url: r.get(8)?,
            records: None,
            metadata: serde_json::Value::Null,
            patient_id: r.get(11)?,
            tags: Vec::new(),
            format_hint: r.get(12)?,
            created_at: r.get(13)?,
            updated_at: r.get(14)?,
            started_at: r.get(15)?,
            finished_at: r.get(16)?,
            attempts: r.get::<_, i64>(17)? as u32,
            report_state: ReportState::None,
            result_version: r.get::<_, i64>(19)? as u32,
            approved_by: r.get(20)?,
            approved_at: r.get(21)?,
            event_seq: r.get::<_, i64>(22)? as u64,
        },
        status: r.get(4)?,
        records: r.get(9)?,
        metadata: r.get(10)?,
        report_state: r.get(18)?,
    })
}

fn finish_task(conn: &Connection, raw: RawTask) -> StoreResult<TaskRow> {
    let mut t = raw.row;
    t.status = TaskStatus::parse(&raw.status).ok_or_else(|| StoreError::UnknownValue {
        what: "task status",
        value: raw.status.clone(),
    })?;
    t.report_state = ReportState::parse(&raw.report_state)?;
    t.records = json_col("tasks.records", raw.records)?;
    t.metadata = serde_json::from_str(&raw.metadata).map_err(|source| StoreError::Json {
        column: "tasks.metadata",
        source,
    })?;
    let mut stmt =
        conn.prepare_cached("SELECT tag FROM task_tags WHERE task_id = ?1 ORDER BY tag")?;
    t.tags = stmt
        .query_map([&t.id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(t)
}

fn load_task(
    conn: &Connection,
    where_sql: &str,
    p: &[&dyn rusqlite::ToSql],
) -> StoreResult<Option<TaskRow>> {
    let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE {where_sql}");
    let raw = conn
        .prepare_cached(&sql)?
        .query_row(p, task_from_row)
        .optional()?;
    raw.map(|r| finish_task(conn, r)).transpose()
}

fn insert_outbox(
    tx: &rusqlite::Transaction<'_>,
    task: &TaskRow,
    seq: u64,
    messages: Vec<OutboxMessage>,
) -> StoreResult<()> {
    let now = now_ms();
    for m in messages {
        tx.prepare_cached(
            "INSERT INTO deliveries (id, tenant_id, task_id, url, event_type, sequence, payload, \
             state, attempts, next_attempt_at, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,'pending',0,?8,?8)",
        )?
        .execute(params![m.id, task.tenant_id, task.id, m.url, m.event_type, seq as i64, m.payload, now])?;
    }
    Ok(())
}

/// Fails a task whose lease expired once too often (its analysis keeps killing workers).
fn fail_exhausted(tx: &rusqlite::Transaction<'_>, id: &str, now: i64) -> StoreResult<()> {
    tx.execute(
        "UPDATE tasks SET status = 'failed', error = 'analysis was interrupted too many times', \
         finished_at = ?2, updated_at = ?2, lease_owner = NULL, lease_until = NULL WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        task_id: r.get(2)?,
        url: r.get(3)?,
        event_type: r.get(4)?,
        sequence: r.get::<_, i64>(5)? as u64,
        payload: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get::<_, i64>(8)? as u32,
        next_attempt_at: r.get(9)?,
        last_status: r.get::<_, Option<i64>>(10)?.map(|s| s as u16),
        last_error: r.get(11)?,
        created_at: rfc3339(r.get(12)?),
        log: Vec::new(),
    })
}

const DELIVERY_COLS: &str = "id, tenant_id, task_id, url, event_type, sequence, payload, state, \
     attempts, next_attempt_at, last_status, last_error, created_at";

fn share_from_row(r: &Row<'_>) -> rusqlite::Result<ShareRow> {
    let expires: Option<i64> = r.get(4)?;
    let revoked: Option<i64> = r.get(5)?;
    Ok(ShareRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        task_id: r.get(2)?,
        created_at: rfc3339(r.get(3)?),
        expires_at_ms: expires,
        expires_at: expires.map(rfc3339),
        revoked_at: revoked.map(rfc3339),
    })
}

impl MetadataStore for SqliteStore {
    fn ensure_tenant(&self, name: &str, webhook_secret: &str) -> StoreResult<i64> {
        self.write(|c| {
            c.execute(
                "INSERT INTO tenants (name, webhook_secret, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(name) DO NOTHING",
                params![name, webhook_secret, now_ms()],
            )?;
            Ok(
                c.query_row("SELECT id FROM tenants WHERE name = ?1", [name], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn add_api_key(&self, tenant_id: i64, key_hash: &str, prefix: &str) -> StoreResult<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO api_keys (key_hash, tenant_id, prefix, created_at) VALUES (?1,?2,?3,?4)",
                params![key_hash, tenant_id, prefix, now_ms()],
            )?;
            Ok(())
        })
    }

    fn revoke_api_key(&self, key_hash: &str) -> StoreResult<bool> {
        self.write(|c| {
            Ok(c.execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE key_hash = ?1 AND revoked_at IS NULL",
                params![key_hash, now_ms()],
            )? > 0)
        })
    }

    fn tenant_by_key(&self, key_hash: &str) -> StoreResult<Option<Tenant>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT t.id, t.name, k.prefix FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
                 WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
            )?
            .query_row([key_hash], |r| {
                Ok(Tenant {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    key_prefix: r.get(2)?,
                })
            })
            .optional()?)
        })
    }

    fn webhook_secret(&self, tenant_id: i64) -> StoreResult<String> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT webhook_secret FROM tenants WHERE id = ?1")?
                    .query_row([tenant_id], |r| r.get(0))?,
            )
        })
    }

    fn setting_or_init(&self, name: &str, init: &str) -> StoreResult<String> {
        self.write(|c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
                params![name, init],
            )?;
            Ok(
                c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn insert_upload(&self, u: &UploadRow) -> StoreResult<()> {
        let decoded = u.decoded.as_ref().map(|d| d.to_string());
        self.write(|c| {
            c.execute(
                &format!("INSERT INTO uploads ({UPLOAD_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"),
                params![
                    u.id,
                    u.tenant_id,
                    u.file_name,
                    u.size as i64,
                    u.sha256,
                    u.state.as_str(),
                    u.created_at,
                    u.expires_at,
                    u.completed_at,
                    decoded,
                    u.error
                ],
            )?;
            Ok(())
        })
    }

    fn upload(&self, tenant_id: i64, id: &str) -> StoreResult<Option<UploadRow>> {
        self.read(|c| {
            let sql = format!("SELECT {UPLOAD_COLS} FROM uploads WHERE id = ?1 AND tenant_id = ?2");
            c.prepare_cached(&sql)?
                .query_row(params![id, tenant_id], upload_from_row)
                .optional()?
                .map(finish_upload_row)
                .transpose()
        })
    }

    fn upload_unscoped(&self, id: &str) -> StoreResult<Option<UploadRow>> {
        self.read(|c| {
            let sql = format!("SELECT {UPLOAD_COLS} FROM uploads WHERE id = ?1");
            c.prepare_cached(&sql)?
                .query_row([id], upload_from_row)
                .optional()?
                .map(finish_upload_row)
                .transpose()
        })
    }

    fn chunks(&self, upload_id: &str) -> StoreResult<Vec<ChunkRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT offset, length, sha256 FROM upload_chunks WHERE upload_id = ?1 ORDER BY offset",
            )?;
            Ok(stmt
                .query_map([upload_id], |r| {
                    Ok(ChunkRow {
                        offset: r.get::<_, i64>(0)? as u64,
                        length: r.get::<_, i64>(1)? as u64,
                        sha256: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn insert_chunk(&self, upload_id: &str, chunk: &ChunkRow) -> StoreResult<ChunkInsert> {
        self.write(|c| {
            let tx = c.transaction()?;
            let end = (chunk.offset + chunk.length) as i64;
            // The stored chunk overlapping [offset, end), if any (chunks never overlap
            // each other, so at most a few match; the first decides).
            let existing = tx
                .prepare_cached(
                    "SELECT offset, length, sha256 FROM upload_chunks WHERE upload_id = ?1 \
                     AND offset < ?3 AND offset + length > ?2 ORDER BY offset LIMIT 1",
                )?
                .query_row(params![upload_id, chunk.offset as i64, end], |r| {
                    Ok(ChunkRow {
                        offset: r.get::<_, i64>(0)? as u64,
                        length: r.get::<_, i64>(1)? as u64,
                        sha256: r.get(2)?,
                    })
                })
                .optional()?;
            let outcome = match existing {
                Some(e) if e == *chunk => ChunkInsert::Duplicate,
                Some(e) => ChunkInsert::Conflict(e),
                None => {
                    tx.prepare_cached(
                        "INSERT INTO upload_chunks (upload_id, offset, length, sha256) VALUES (?1,?2,?3,?4)",
                    )?
                    .execute(params![upload_id, chunk.offset as i64, chunk.length as i64, chunk.sha256])?;
                    ChunkInsert::Inserted
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
    }

    fn delete_chunk(&self, upload_id: &str, offset: u64) -> StoreResult<bool> {
        self.write(|c| {
            Ok(c.execute(
                "DELETE FROM upload_chunks WHERE upload_id = ?1 AND offset = ?2",
                params![upload_id, offset as i64],
            )? > 0)
        })
    }

    fn clear_chunks(&self, upload_id: &str) -> StoreResult<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM upload_chunks WHERE upload_id = ?1",
                [upload_id],
            )?;
            Ok(())
        })
    }

    fn finish_upload(
        &self,
        upload_id: &str,
        state: UploadState,
        decoded: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let decoded = decoded.map(|d| d.to_string());
        self.write(|c| {
            Ok(c.execute(
                "UPDATE uploads SET state = ?2, decoded = ?3, error = ?4, completed_at = ?5 \
                 WHERE id = ?1 AND state = 'open'",
                params![upload_id, state.as_str(), decoded, error, now_ms()],
            )? > 0)
        })
    }

    fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM uploads WHERE state = 'open' AND expires_at < ?1",
            )?;
            Ok(stmt
                .query_map([now], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }

    fn delete_upload(&self, upload_id: &str) -> StoreResult<()> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM upload_chunks WHERE upload_id = ?1",
                [upload_id],
            )?;
            tx.execute("DELETE FROM uploads WHERE id = ?1", [upload_id])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn insert_task(&self, t: &TaskRow) -> StoreResult<()> {
        let records = t.records.as_ref().map(|r| serde_json::json!(r).to_string());
        self.write(|c| {
            let tx = c.transaction()?;
            let queued_at = (t.status == TaskStatus::Queued).then_some(t.created_at);
            tx.execute(
                "INSERT INTO tasks (id, tenant_id, upload_id, kind, status, progress, error, \
                 auto_complete, callback_url, records, metadata, patient_id, format_hint, created_at, \
                 updated_at, report_state, queued_at) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?14,?15,?16)",
                params![
                    t.id,
                    t.tenant_id,
                    t.upload_id,
                    t.kind,
                    t.status.as_str(),
                    t.progress as i64,
                    t.error,
                    t.auto_complete as i64,
                    t.callback_url,
                    records,
                    t.metadata.to_string(),
                    t.patient_id,
                    t.format_hint,
                    t.created_at,
                    t.report_state.as_str(),
                    queued_at
                ],
            )?;
            for tag in &t.tags {
                tx.execute(
                    "INSERT OR IGNORE INTO task_tags (task_id, tag) VALUES (?1, ?2)",
                    params![t.id, tag],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn task(&self, tenant_id: i64, id: &str) -> StoreResult<Option<TaskRow>> {
        self.read(|c| load_task(c, "id = ?1 AND tenant_id = ?2", &[&id, &tenant_id]))
    }

    fn task_status(
        &self,
        tenant_id: i64,
        id: &str,
    ) -> StoreResult<Option<(TaskStatus, u8, Option<String>)>> {
        self.read(|c| {
            let row = c
                .prepare_cached(
                    "SELECT status, progress, error FROM tasks WHERE id = ?1 AND tenant_id = ?2",
                )?
                .query_row(params![id, tenant_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
                })
                .optional()?;
            row.map(|(s, p, e)| {
                let status = TaskStatus::parse(&s).ok_or(StoreError::UnknownValue {
                    what: "task status",
                    value: s,
                })?;
                Ok((status, p.clamp(0, 100) as u8, e))
            })
            .transpose()
        })
    }

    fn task_unscoped(&self, id: &str) -> StoreResult<Option<TaskRow>> {
        self.read(|c| load_task(c, "id = ?1", &[&id]))
    }

    fn list_tasks(&self, tenant_id: i64, f: &TaskFilter) -> StoreResult<Vec<TaskRow>> {
        let mut sql = format!("SELECT {TASK_COLS} FROM tasks WHERE tenant_id = ?");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(tenant_id)];
        if let Some(s) = f.status {
            sql.push_str(" AND status = ?");
            args.push(Box::new(s.as_str()));
        }
        if let Some(k) = &f.kind {
            sql.push_str(" AND kind = ?");
            args.push(Box::new(k.clone()));
        }
        if let Some(p) = &f.patient_id {
            sql.push_str(" AND patient_id = ?");
            args.push(Box::new(p.clone()));
        }
        for tag in &f.tags {
            sql.push_str(" AND id IN (SELECT task_id FROM task_tags WHERE tag = ?)");
            args.push(Box::new(tag.clone()));
        }
        if let Some(from) = f.created_from {
            sql.push_str(" AND created_at >= ?");
            args.push(Box::new(from));
        }
        if let Some(to) = f.created_to {
            sql.push_str(" AND created_at < ?");
            args.push(Box::new(to));
        }
        if let Some((at, id)) = &f.after {
            sql.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            args.push(Box::new(*at));
            args.push(Box::new(*at));
            args.push(Box::new(id.clone()));
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.push(Box::new(f.limit as i64));
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;
            let raws = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), task_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            raws.into_iter().map(|r| finish_task(c, r)).collect()
        })
    }

    fn update_task_request(&self, t: &TaskRow) -> StoreResult<()> {
        let records = t.records.as_ref().map(|r| serde_json::json!(r).to_string());
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE tasks SET kind = ?2, auto_complete = ?3, callback_url = ?4, records = ?5, \
                 metadata = ?6, patient_id = ?7, format_hint = ?8, updated_at = ?9 WHERE id = ?1",
                params![
                    t.id,
                    t.kind,
                    t.auto_complete as i64,
                    t.callback_url,
                    records,
                    t.metadata.to_string(),
                    t.patient_id,
                    t.format_hint,
                    now_ms()
                ],
            )?;
            tx.execute("DELETE FROM task_tags WHERE task_id = ?1", [&t.id])?;
            for tag in &t.tags {
                tx.execute(
                    "INSERT OR IGNORE INTO task_tags (task_id, tag) VALUES (?1, ?2)",
                    params![t.id, tag],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn claim_task(
        &self,
        now: i64,
        lease: &Lease,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>> {
        self.write(|c| {
            let tx = c.transaction()?;
            loop {
                // A processing task whose holder stopped renewing its lease comes first.
                let expired: Option<(String, i64)> = tx
                    .prepare_cached(
                        "SELECT id, attempts FROM tasks WHERE status = 'processing' \
                         AND lease_until IS NOT NULL AND lease_until < ?1 ORDER BY lease_until LIMIT 1",
                    )?
                    .query_row([now], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((id, attempts)) = &expired
                    && *attempts >= MAX_ATTEMPTS as i64
                {
                    fail_exhausted(&tx, id, now)?;
                    continue;
                }
                let id = match expired {
                    Some((id, _)) => Some(id),
                    None => tx
                        .prepare_cached(
                            "SELECT id FROM tasks WHERE status = 'queued' ORDER BY queued_at, id LIMIT 1",
                        )?
                        .query_row([], |r| r.get(0))
                        .optional()?,
                };
                let Some(id) = id else {
                    tx.commit()?;
                    return Ok(None);
                };
                tx.execute(
                    "UPDATE tasks SET status = 'processing', progress = 0, started_at = ?2, updated_at = ?2, \
                     attempts = attempts + 1, event_seq = event_seq + 1, lease_owner = ?3, \
                     lease_until = ?2 + ?4 WHERE id = ?1",
                    params![id, now, lease.owner, lease.ttl_ms],
                )?;
                let task = load_task(&tx, "id = ?1", &[&id])?;
                if let Some(t) = &task {
                    insert_outbox(&tx, t, t.event_seq, events(t, t.event_seq))?;
                }
                tx.commit()?;
                return Ok(task);
            }
        })
    }

    fn claim_report(&self, lease: &Lease) -> StoreResult<Option<TaskRow>> {
        let now = now_ms();
        self.write(|c| {
            let tx = c.transaction()?;
            let task = load_task(
                &tx,
                "report_state = 'queued' AND status <> 'processing' \
                 AND (lease_until IS NULL OR lease_until < ?1) ORDER BY updated_at LIMIT 1",
                &[&now],
            )?;
            if let Some(t) = &task {
                tx.execute(
                    "UPDATE tasks SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1",
                    params![t.id, lease.owner, now + lease.ttl_ms],
                )?;
            }
            tx.commit()?;
            Ok(task)
        })
    }

    fn renew_leases(
        &self,
        owner: &str,
        task_ids: &[String],
        ttl_ms: i64,
    ) -> StoreResult<Vec<String>> {
        let until = now_ms() + ttl_ms;
        self.write(|c| {
            let tx = c.transaction()?;
            let mut lost = Vec::new();
            for id in task_ids {
                let n = tx
                    .prepare_cached(
                        "UPDATE tasks SET lease_until = ?3 WHERE id = ?1 AND lease_owner = ?2",
                    )?
                    .execute(params![id, owner, until])?;
                if n == 0 {
                    lost.push(id.clone());
                }
            }
            tx.commit()?;
            Ok(lost)
        })
    }

    fn set_progress(&self, id: &str, progress: u8) -> StoreResult<Option<TaskStatus>> {
        self.write(|c| {
            c.prepare_cached(
                "UPDATE tasks SET progress = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'processing'",
            )?
            .execute(params![id, progress as i64, now_ms()])?;
            let status: Option<String> = c
                .prepare_cached("SELECT status FROM tasks WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            Ok(status.and_then(|s| TaskStatus::parse(&s)))
        })
    }

    fn transition(
        &self,
        id: &str,
        t: &Transition,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>> {
        self.write(|c| {
            let tx = c.transaction()?;
            let Some(cur) = load_task(&tx, "id = ?1", &[&id])? else {
                return Ok(None);
            };
            if !t.from.contains(&cur.status) {
                return Ok(None);
            }
            if let Some(claim) = &t.claim {
                let owner: Option<String> = tx
                    .prepare_cached("SELECT lease_owner FROM tasks WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                if owner.as_deref() != Some(claim.owner.as_str()) || cur.attempts != claim.attempt {
                    return Ok(None);
                }
            }
            let now = now_ms();
            let seq = if t.event.is_some() {
                cur.event_seq + 1
            } else {
                cur.event_seq
            };
            let finished = matches!(
                t.to,
                TaskStatus::Review
                    | TaskStatus::Completed
                    | TaskStatus::Failed
                    | TaskStatus::Cancelled
            );
            let queued_at = (t.to == TaskStatus::Queued).then_some(now);
            tx.execute(
                "UPDATE tasks SET status = ?2, progress = COALESCE(?3, progress), \
                 error = CASE WHEN ?4 THEN ?5 ELSE error END, \
                 report_state = COALESCE(?6, report_state), \
                 approved_by = COALESCE(?7, approved_by), approved_at = COALESCE(?8, approved_at), \
                 result_version = COALESCE(?9, result_version), event_seq = ?10, updated_at = ?11, \
                 finished_at = CASE WHEN ?12 THEN ?11 ELSE finished_at END, \
                 queued_at = COALESCE(?13, queued_at), \
                 lease_owner = CASE WHEN ?2 = 'processing' THEN lease_owner ELSE NULL END, \
                 lease_until = CASE WHEN ?2 = 'processing' THEN lease_until ELSE NULL END \
                 WHERE id = ?1",
                params![
                    id,
                    t.to.as_str(),
                    t.progress.map(|p| p as i64),
                    t.error.is_some(),
                    t.error.clone().flatten(),
                    t.report_state.map(|r| r.as_str()),
                    t.approved.as_ref().map(|a| a.0.clone()),
                    t.approved.as_ref().map(|a| a.1),
                    t.result_version.map(|v| v as i64),
                    seq as i64,
                    now,
                    finished,
                    queued_at
                ],
            )?;
            let Some(new) = load_task(&tx, "id = ?1", &[&id])? else {
                return Ok(None);
            };
            if t.event.is_some() {
                insert_outbox(&tx, &new, seq, events(&new, seq))?;
            }
            tx.commit()?;
            Ok(Some(new))
        })
    }

    fn tasks_awaiting_upload(&self, upload_id: &str) -> StoreResult<Vec<String>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id FROM tasks WHERE upload_id = ?1 AND status = 'awaiting_upload'",
            )?
            .query_map([upload_id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }

    fn requeue_interrupted(&self) -> StoreResult<Vec<String>> {
        self.write(|c| {
            let tx = c.transaction()?;
            let ids: Vec<String> = tx
                .prepare("SELECT id FROM tasks WHERE status = 'processing'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let now = now_ms();
            tx.execute(
                "UPDATE tasks SET status = 'failed', error = 'analysis was interrupted too many times', \
                 finished_at = ?2, updated_at = ?2 WHERE status = 'processing' AND attempts >= ?1",
                params![MAX_ATTEMPTS as i64, now],
            )?;
            tx.execute(
                "UPDATE tasks SET status = 'queued', progress = 0, updated_at = ?1 WHERE status = 'processing'",
                [now],
            )?;
            // One process serves this database: no lease held before the restart is alive.
            // A report that was being rendered is simply rendered again.
            tx.execute(
                "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
                [],
            )?;
            tx.commit()?;
            Ok(ids)
        })
    }

    fn set_report_state(&self, id: &str, state: ReportState) -> StoreResult<()> {
        self.write(|c| {
            c.execute(
                "UPDATE tasks SET report_state = ?2, updated_at = ?3, \
                 lease_owner = CASE WHEN status = 'processing' THEN lease_owner ELSE NULL END, \
                 lease_until = CASE WHEN status = 'processing' THEN lease_until ELSE NULL END \
                 WHERE id = ?1",
                params![id, state.as_str(), now_ms()],
            )?;
            Ok(())
        })
    }

    fn add_revision(&self, task_id: &str, rev: &RevisionRow) -> StoreResult<()> {
        let at = crate::timestamps::parse_rfc3339(&rev.at).unwrap_or_else(now_ms);
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO revisions (task_id, version, actor, at, action, changes) VALUES (?1,?2,?3,?4,?5,?6)",
                params![task_id, rev.version as i64, rev.actor, at, rev.action, rev.changes.to_string()],
            )?;
            tx.execute(
                "UPDATE tasks SET result_version = ?2, updated_at = ?3 WHERE id = ?1",
                params![task_id, rev.version as i64, now_ms()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn revisions(&self, task_id: &str) -> StoreResult<Vec<RevisionRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT version, actor, at, action, changes FROM revisions WHERE task_id = ?1 ORDER BY version",
            )?;
            let rows = stmt
                .query_map([task_id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
                })?
                .collect::<rusqlite::Result<Vec<(i64, String, i64, String, String)>>>()?;
            rows.into_iter()
                .map(|(version, actor, at, action, changes)| {
                    Ok(RevisionRow {
                        version: version as u32,
                        actor,
                        at: rfc3339(at),
                        action,
                        changes: serde_json::from_str(&changes).map_err(|source| StoreError::Json {
                            column: "revisions.changes",
                            source,
                        })?,
                    })
                })
                .collect()
        })
    }

    fn insert_share(&self, s: &ShareRow, token_hash: &str) -> StoreResult<()> {
        let created = crate::timestamps::parse_rfc3339(&s.created_at).unwrap_or_else(now_ms);
        self.write(|c| {
            c.execute(
                "INSERT INTO share_links (id, token_hash, tenant_id, task_id, created_at, expires_at) \
                 VALUES (?1,?2,?3,?4,?5,?6)",
                params![s.id, token_hash, s.tenant_id, s.task_id, created, s.expires_at_ms],
            )?;
            Ok(())
        })
    }

    fn shares(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<ShareRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, tenant_id, task_id, created_at, expires_at, revoked_at FROM share_links \
                 WHERE tenant_id = ?1 AND task_id = ?2 ORDER BY created_at, id",
            )?;
            Ok(stmt
                .query_map(params![tenant_id, task_id], share_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn revoke_share(&self, tenant_id: i64, task_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        self.write(|c| {
            Ok(c.execute(
                "UPDATE share_links SET revoked_at = COALESCE(revoked_at, ?4) \
                 WHERE tenant_id = ?1 AND task_id = ?2 AND id = ?3",
                params![tenant_id, task_id, id, now],
            )? > 0)
        })
    }

    fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareRow>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, tenant_id, task_id, created_at, expires_at, revoked_at FROM share_links \
                 WHERE token_hash = ?1",
            )?
            .query_row([token_hash], share_from_row)
            .optional()?)
        })
    }

    fn due_deliveries(&self, now: i64, limit: usize) -> StoreResult<Vec<DeliveryRow>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {DELIVERY_COLS} FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?1 \
                 ORDER BY next_attempt_at, created_at LIMIT ?2"
            );
            Ok(c.prepare_cached(&sql)?
                .query_map(params![now, limit as i64], delivery_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn record_attempt(
        &self,
        delivery_id: &str,
        a: &DeliveryAttempt,
        state: &str,
        next_attempt_at: Option<i64>,
    ) -> StoreResult<()> {
        let at = crate::timestamps::parse_rfc3339(&a.at).unwrap_or_else(now_ms);
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) \
                 VALUES (?1,?2,?3,?4,?5,?6)",
                params![delivery_id, a.attempt as i64, at, a.status.map(|s| s as i64), a.error, a.duration_ms as i64],
            )?;
            tx.execute(
                "UPDATE deliveries SET attempts = ?2, state = ?3, next_attempt_at = COALESCE(?4, next_attempt_at), \
                 last_status = ?5, last_error = ?6 WHERE id = ?1",
                params![delivery_id, a.attempt as i64, state, next_attempt_at, a.status.map(|s| s as i64), a.error],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn next_delivery_time(&self) -> StoreResult<Option<i64>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'",
            )?
            .query_row([], |r| r.get(0))?)
        })
    }

    fn deliveries(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<DeliveryRow>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {DELIVERY_COLS} FROM deliveries WHERE tenant_id = ?1 AND task_id = ?2 \
                 ORDER BY sequence, created_at, id"
            );
            let mut rows = c
                .prepare_cached(&sql)?
                .query_map(params![tenant_id, task_id], delivery_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare_cached(
                "SELECT attempt, at, status, error, duration_ms FROM delivery_attempts \
                 WHERE delivery_id = ?1 ORDER BY attempt",
            )?;
            for d in &mut rows {
                d.log = stmt
                    .query_map([&d.id], |r| {
                        Ok(DeliveryAttempt {
                            attempt: r.get::<_, i64>(0)? as u32,
                            at: rfc3339(r.get(1)?),
                            status: r.get::<_, Option<i64>>(2)?.map(|s| s as u16),
                            error: r.get(3)?,
                            duration_ms: r.get::<_, i64>(4)? as u64,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
            }
            Ok(rows)
        })
    }

    fn idempotency_begin(
        &self,
        tenant_id: i64,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        self.write(|c| {
            let tx = c.transaction()?;
            let existing = tx
                .prepare_cached(
                    "SELECT fingerprint, status, body FROM idempotency WHERE tenant_id = ?1 AND key = ?2",
                )?
                .query_row(params![tenant_id, key], |r| {
                    let status: Option<i64> = r.get(1)?;
                    let body: Option<Vec<u8>> = r.get(2)?;
                    Ok(IdempotencyRecord {
                        fingerprint: r.get(0)?,
                        response: status.map(|s| (s as u16, body.unwrap_or_default())),
                    })
                })
                .optional()?;
            if existing.is_none() {
                tx.execute(
                    "INSERT INTO idempotency (tenant_id, key, fingerprint, created_at) VALUES (?1,?2,?3,?4)",
                    params![tenant_id, key, fingerprint, now],
                )?;
            }
            tx.commit()?;
            Ok(existing)
        })
    }

    fn idempotency_finish(
        &self,
        tenant_id: i64,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()> {
        self.write(|c| {
            c.execute(
                "UPDATE idempotency SET status = ?3, body = ?4 WHERE tenant_id = ?1 AND key = ?2",
                params![tenant_id, key, status as i64, body],
            )?;
            Ok(())
        })
    }

    fn purge_idempotency(&self, before: i64) -> StoreResult<usize> {
        self.write(|c| {
            Ok(c.execute(
                "DELETE FROM idempotency WHERE created_at < ?1 AND status IS NOT NULL",
                [before],
            )?)
        })
    }

    fn idempotency_abort(&self, tenant_id: i64, key: &str) -> StoreResult<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM idempotency WHERE tenant_id = ?1 AND key = ?2 AND status IS NULL",
                params![tenant_id, key],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("meta.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn migrations_apply_once_and_reopen() {
        let (dir, s) = store();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        drop(s);
        let s = SqliteStore::open(&dir.path().join("meta.sqlite")).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = s
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn keys_resolve_to_tenants_until_revoked() {
        let (_d, s) = store();
        let a = s.ensure_tenant("a", "whsec_x").unwrap();
        assert_eq!(s.ensure_tenant("a", "whsec_y").unwrap(), a);
        s.add_api_key(a, "h1", "ecgk_12").unwrap();
        assert_eq!(s.tenant_by_key("h1").unwrap().unwrap().name, "a");
        assert_eq!(s.webhook_secret(a).unwrap(), "whsec_x");
        assert!(s.revoke_api_key("h1").unwrap());
        assert!(!s.revoke_api_key("h1").unwrap());
        assert!(s.tenant_by_key("h1").unwrap().is_none());
    }

    #[test]
    fn chunks_are_idempotent_and_conflicts_refused() {
        let (_d, s) = store();
        let t = s.ensure_tenant("a", "w").unwrap();
        let u = UploadRow {
            id: "upl_1".into(),
            tenant_id: t,
            file_name: "f".into(),
            size: 100,
            sha256: "00".into(),
            state: UploadState::Open,
            created_at: 1,
            expires_at: 2,
            completed_at: None,
            decoded: None,
            error: None,
        };
        s.insert_upload(&u).unwrap();
        let c = |o, l, h: &str| ChunkRow {
            offset: o,
            length: l,
            sha256: h.into(),
        };
        assert_eq!(
            s.insert_chunk("upl_1", &c(0, 10, "a")).unwrap(),
            ChunkInsert::Inserted
        );
        assert_eq!(
            s.insert_chunk("upl_1", &c(0, 10, "a")).unwrap(),
            ChunkInsert::Duplicate
        );
        assert!(matches!(
            s.insert_chunk("upl_1", &c(0, 10, "b")).unwrap(),
            ChunkInsert::Conflict(_)
        ));
        assert!(matches!(
            s.insert_chunk("upl_1", &c(5, 10, "a")).unwrap(),
            ChunkInsert::Conflict(_)
        ));
        assert_eq!(
            s.insert_chunk("upl_1", &c(10, 10, "c")).unwrap(),
            ChunkInsert::Inserted
        );
        assert_eq!(s.chunks("upl_1").unwrap().len(), 2);
        assert!(s.upload(t + 1, "upl_1").unwrap().is_none());
        assert_eq!(s.expired_uploads(3).unwrap(), vec!["upl_1".to_string()]);
        s.delete_upload("upl_1").unwrap();
        assert!(s.upload_unscoped("upl_1").unwrap().is_none());
    }
}
