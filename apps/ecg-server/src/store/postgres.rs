//! [`PostgresStore`]: the metadata store shared by many API and worker nodes.
//!
//! Same tables and the same migration semantics as [`super::sqlite::SqliteStore`]: an
//! ordered list of migrations, append-only, applied once each (here recorded in
//! `schema_migrations`, under an advisory lock so nodes starting together migrate once).
//! Migration N of both stores makes the same change.
//!
//! The task queue claims with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers never get
//! the same task); a claim holds a lease (owner node id, expiry on the database's clock)
//! that the worker's heartbeat renews, and a task whose lease expired is taken over by the
//! next claim. Queued work and outbox messages are announced with `NOTIFY` so idle workers
//! of other nodes wake at once ([`MetadataStore::listen`]).
//!
//! The client is `tokio-postgres` (plain TCP, no TLS), its connections driven by an
//! [`IoRuntime`]; a small pool (each connection with its own prepared-statement cache)
//! serves the synchronous trait.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, Client, NoTls, Row, Statement};

use super::{
    ChunkInsert, ChunkRow, DeliveryAttempt, DeliveryRow, IdempotencyRecord, Lease, MAX_ATTEMPTS,
    MetadataStore, OutboxMessage, ReportState, RevisionRow, ShareRow, StoreError, StoreResult,
    TaskFilter, TaskRow, TaskStatus, Tenant, Transition, UploadRow, UploadState, WakeKind,
};
use crate::io_runtime::IoRuntime;
use crate::timestamps::{now_ms, rfc3339};

/// Schema migrations, applied in order; `schema_migrations` records those applied.
/// Append, never edit; migration N makes the same change as the SQLite store's N.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tenants (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        webhook_secret TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        tenant_id BIGINT NOT NULL REFERENCES tenants(id),
        prefix TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        tenant_id BIGINT NOT NULL REFERENCES tenants(id),
        file_name TEXT NOT NULL,
        size BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        completed_at BIGINT,
        decoded TEXT,
        error TEXT
    );
    CREATE INDEX uploads_open_expiry ON uploads(state, expires_at);
    CREATE TABLE upload_chunks (
        upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        byte_offset BIGINT NOT NULL,
        length BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (upload_id, byte_offset)
    );
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        tenant_id BIGINT NOT NULL REFERENCES tenants(id),
        upload_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        progress BIGINT NOT NULL DEFAULT 0,
        error TEXT,
        auto_complete BOOLEAN NOT NULL,
        callback_url TEXT,
        records TEXT,
        metadata TEXT NOT NULL,
        patient_id TEXT,
        format_hint TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT,
        attempts BIGINT NOT NULL DEFAULT 0,
        report_state TEXT NOT NULL DEFAULT 'none',
        result_version BIGINT NOT NULL DEFAULT 0,
        approved_by TEXT,
        approved_at BIGINT,
        event_seq BIGINT NOT NULL DEFAULT 0,
        queued_at BIGINT
    );
    CREATE INDEX tasks_tenant_created ON tasks(tenant_id, created_at DESC, id DESC);
    CREATE INDEX tasks_queue ON tasks(status, queued_at);
    CREATE INDEX tasks_report_queue ON tasks(report_state);
    CREATE INDEX tasks_patient ON tasks(tenant_id, patient_id);
    CREATE TABLE task_tags (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (task_id, tag)
    );
    CREATE INDEX task_tags_tag ON task_tags(tag);
    CREATE TABLE revisions (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        version BIGINT NOT NULL,
        actor TEXT NOT NULL,
        at BIGINT NOT NULL,
        action TEXT NOT NULL,
        changes TEXT NOT NULL,
        PRIMARY KEY (task_id, version)
    );
    CREATE TABLE share_links (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        tenant_id BIGINT NOT NULL,
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT
    );
    CREATE INDEX share_links_task ON share_links(task_id);
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        tenant_id BIGINT NOT NULL,
        task_id TEXT NOT NULL,
        url TEXT NOT NULL,
        event_type TEXT NOT NULL,
        sequence BIGINT NOT NULL,
        payload BYTEA NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        last_status BIGINT,
        last_error TEXT,
        created_at BIGINT NOT NULL
    );
    CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
    CREATE INDEX deliveries_task ON deliveries(task_id);
    CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt BIGINT NOT NULL,
        at BIGINT NOT NULL,
        status BIGINT,
        error TEXT,
        duration_ms BIGINT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    CREATE TABLE idempotency (
        tenant_id BIGINT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status BIGINT,
        body BYTEA,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, key)
    );
    "#,
    // 2: leases of claimed tasks and reports (owner node id, expiry in Unix ms on the
    // database's clock).
    r#"
    ALTER TABLE tasks ADD COLUMN lease_owner TEXT;
    ALTER TABLE tasks ADD COLUMN lease_until BIGINT;
    CREATE INDEX tasks_queued ON tasks(queued_at, id) WHERE status = 'queued';
    CREATE INDEX tasks_processing_lease ON tasks(lease_until) WHERE status = 'processing';
    "#,
];

/// The database's clock in Unix milliseconds: leases are compared on one clock whatever
/// the nodes' clocks say.
const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// How long a node reserves the due webhook deliveries it took (milliseconds); recording
/// the attempt ends the reservation, a node that died lets it lapse.
pub const DELIVERY_RESERVATION_MS: i64 = 120_000;

/// Prepared statements kept per connection before the cache is reset.
const STATEMENT_CACHE: usize = 256;

/// Settings of a [`PostgresStore`].
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// `postgres://user:password@host:port/dbname` or a `key=value` connection string.
    pub url: String,
    /// Schema holding the tables (created when missing); `None` = the user's default
    /// search path (usually `public`). Lower-case letters, digits and `_`, at most 40.
    pub schema: Option<String>,
    /// Most connections this node opens.
    pub max_connections: usize,
    /// This node's id: owner of the leases it takes.
    pub node_id: String,
}

/// Checks a schema name (it is spliced into SQL and channel names).
pub fn valid_schema_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// One pooled connection with its prepared statements.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgConn {
    fn statement(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = futures_executor::block_on(self.client.prepare(sql))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn query(&mut self, sql: &str, p: Params<'_>) -> StoreResult<Vec<Row>> {
        let st = self.statement(sql)?;
        Ok(futures_executor::block_on(self.client.query(&st, p))?)
    }

    fn query_opt(&mut self, sql: &str, p: Params<'_>) -> StoreResult<Option<Row>> {
        let st = self.statement(sql)?;
        Ok(futures_executor::block_on(self.client.query_opt(&st, p))?)
    }

    fn query_one(&mut self, sql: &str, p: Params<'_>) -> StoreResult<Row> {
        let st = self.statement(sql)?;
        Ok(futures_executor::block_on(self.client.query_one(&st, p))?)
    }

    fn execute(&mut self, sql: &str, p: Params<'_>) -> StoreResult<u64> {
        let st = self.statement(sql)?;
        Ok(futures_executor::block_on(self.client.execute(&st, p))?)
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        Ok(futures_executor::block_on(self.client.batch_execute(sql))?)
    }
}

struct PoolState {
    idle: Vec<PgConn>,
    open: usize,
}

/// A small blocking connection pool.
struct Pool {
    config: tokio_postgres::Config,
    /// `SET search_path ...` run on each new connection.
    search_path: Option<String>,
    io: Arc<IoRuntime>,
    state: Mutex<PoolState>,
    freed: Condvar,
    max: usize,
}

/// A connection taken from the pool, returned on drop (unless it broke).
struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<PgConn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        match &self.conn {
            Some(c) => c,
            None => unreachable!("connection taken only on drop"),
        }
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("connection taken only on drop"),
        }
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.state.lock().unwrap_or_else(|e| e.into_inner());
        match self.conn.take() {
            Some(c) if !c.client.is_closed() => st.idle.push(c),
            _ => st.open = st.open.saturating_sub(1),
        }
        drop(st);
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn get(&self) -> StoreResult<Pooled<'_>> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            while let Some(c) = st.idle.pop() {
                if c.client.is_closed() {
                    st.open = st.open.saturating_sub(1);
                    continue;
                }
                return Ok(Pooled {
                    pool: self,
                    conn: Some(c),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return match self.connect() {
                    Ok(c) => Ok(Pooled {
                        pool: self,
                        conn: Some(c),
                    }),
                    Err(e) => {
                        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                        st.open = st.open.saturating_sub(1);
                        drop(st);
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let (guard, timeout) = self
                .freed
                .wait_timeout(st, Duration::from_secs(30))
                .unwrap_or_else(|e| e.into_inner());
            st = guard;
            if timeout.timed_out() && st.idle.is_empty() && st.open >= self.max {
                return Err(StoreError::Connection(format!(
                    "all {} connections busy for 30 s",
                    self.max
                )));
            }
        }
    }

    fn connect(&self) -> StoreResult<PgConn> {
        let config = self.config.clone();
        let client = self
            .io
            .run("PostgreSQL connect", async move {
                let (client, connection) = config.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!("PostgreSQL connection closed: {e}");
                    }
                });
                Ok::<_, tokio_postgres::Error>(client)
            })
            .map_err(|e| StoreError::Connection(e.to_string()))??;
        let mut conn = PgConn {
            client,
            statements: HashMap::new(),
        };
        if let Some(sp) = &self.search_path {
            conn.batch(sp)?;
        }
        Ok(conn)
    }
}

/// The PostgreSQL metadata store.
pub struct PostgresStore {
    pool: Pool,
    node_id: String,
    work_channel: String,
    outbox_channel: String,
}

fn json_col<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: Option<String>,
) -> StoreResult<Option<T>> {
    text.map(|t| serde_json::from_str(&t).map_err(|source| StoreError::Json { column, source }))
        .transpose()
}

const UPLOAD_COLS: &str = "id, tenant_id, file_name, size, sha256, state, created_at, expires_at, completed_at, decoded, error";

fn upload_from_row(r: &Row) -> StoreResult<UploadRow> {
    let state: String = r.try_get(5)?;
    Ok(UploadRow {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        file_name: r.try_get(2)?,
        size: r.try_get::<_, i64>(3)? as u64,
        sha256: r.try_get(4)?,
        state: UploadState::parse(&state)?,
        created_at: r.try_get(6)?,
        expires_at: r.try_get(7)?,
        completed_at: r.try_get(8)?,
        decoded: json_col("uploads.decoded", r.try_get(9)?)?,
        error: r.try_get(10)?,
    })
}

const TASK_COLS: &str = "id, tenant_id, upload_id, kind, status, progress, error, auto_complete, \
     callback_url, records, metadata, patient_id, format_hint, created_at, updated_at, started_at, \
     finished_at, attempts, report_state, result_version, approved_by, approved_at, event_seq, \
     ARRAY(SELECT tag FROM task_tags WHERE task_tags.task_id = tasks.id ORDER BY tag), lease_owner";

fn task_from_row(r: &Row) -> StoreResult<TaskRow> {
    let status: String = r.try_get(4)?;
    let report_state: String = r.try_get(18)?;
    let metadata: String = r.try_get(10)?;
    Ok(TaskRow {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        upload_id: r.try_get(2)?,
        kind: r.try_get(3)?,
        status: TaskStatus::parse(&status).ok_or_else(|| StoreError::UnknownValue {
            what: "task status",
            value: status.clone(),
        })?,
        progress: r.try_get::<_, i64>(5)?.clamp(0, 100) as u8,
        error: r.try_get(6)?,
        auto_complete: r.try_get(7)?,
        callback_url: r.try_get(8)?,
        records: json_col("tasks.records", r.try_get(9)?)?,
        metadata: serde_json::from_str(&metadata).map_err(|source| StoreError::Json {
            column: "tasks.metadata",
            source,
        })?,
        patient_id: r.try_get(11)?,
        tags: r.try_get(23)?,
        format_hint: r.try_get(12)?,
        created_at: r.try_get(13)?,
        updated_at: r.try_get(14)?,
        started_at: r.try_get(15)?,
        finished_at: r.try_get(16)?,
        attempts: r.try_get::<_, i64>(17)? as u32,
        report_state: ReportState::parse(&report_state)?,
        result_version: r.try_get::<_, i64>(19)? as u32,
        approved_by: r.try_get(20)?,
        approved_at: r.try_get(21)?,
        event_seq: r.try_get::<_, i64>(22)? as u64,
    })
}

fn load_task(
    c: &mut PgConn,
    id: &str,
    lock: bool,
) -> StoreResult<Option<(TaskRow, Option<String>)>> {
    let sql = if lock {
        format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1 FOR UPDATE")
    } else {
        format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1")
    };
    c.query_opt(&sql, &[&id])?
        .map(|r| Ok((task_from_row(&r)?, r.try_get::<_, Option<String>>(24)?)))
        .transpose()
}

const DELIVERY_COLS: &str = "id, tenant_id, task_id, url, event_type, sequence, payload, state, \
     attempts, next_attempt_at, last_status, last_error, created_at";

fn delivery_from_row(r: &Row) -> StoreResult<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        task_id: r.try_get(2)?,
        url: r.try_get(3)?,
        event_type: r.try_get(4)?,
        sequence: r.try_get::<_, i64>(5)? as u64,
        payload: r.try_get(6)?,
        state: r.try_get(7)?,
        attempts: r.try_get::<_, i64>(8)? as u32,
        next_attempt_at: r.try_get(9)?,
        last_status: r.try_get::<_, Option<i64>>(10)?.map(|s| s as u16),
        last_error: r.try_get(11)?,
        created_at: rfc3339(r.try_get(12)?),
        log: Vec::new(),
    })
}

fn share_from_row(r: &Row) -> StoreResult<ShareRow> {
    let expires: Option<i64> = r.try_get(4)?;
    let revoked: Option<i64> = r.try_get(5)?;
    Ok(ShareRow {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        task_id: r.try_get(2)?,
        created_at: rfc3339(r.try_get(3)?),
        expires_at_ms: expires,
        expires_at: expires.map(rfc3339),
        revoked_at: revoked.map(rfc3339),
    })
}

fn chunk_from_row(r: &Row) -> StoreResult<ChunkRow> {
    Ok(ChunkRow {
        offset: r.try_get::<_, i64>(0)? as u64,
        length: r.try_get::<_, i64>(1)? as u64,
        sha256: r.try_get(2)?,
    })
}

impl PostgresStore {
    /// Connects (one connection is opened at once, to fail early), creates the schema when
    /// configured and missing, and applies pending migrations.
    pub fn connect(opts: &PostgresOptions) -> StoreResult<Self> {
        let mut config: tokio_postgres::Config = opts
            .url
            .parse()
            .map_err(|e| StoreError::Connection(format!("database URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name(format!("ecg-server {}", opts.node_id));
        }
        let schema = match &opts.schema {
            Some(s) if !valid_schema_name(s) => {
                return Err(StoreError::Connection(format!(
                    "schema name {s:?}: use 1-40 lower-case letters, digits and _"
                )));
            }
            s => s.clone(),
        };
        let io = Arc::new(
            IoRuntime::new("postgres-io", 2)
                .map_err(|e| StoreError::Connection(format!("starting the I/O runtime: {e}")))?,
        );
        let suffix = schema
            .as_deref()
            .map(|s| format!("_{s}"))
            .unwrap_or_default();
        let store = PostgresStore {
            pool: Pool {
                config,
                search_path: schema
                    .as_deref()
                    .map(|s| format!("SET search_path TO \"{s}\"")),
                io,
                state: Mutex::new(PoolState {
                    idle: Vec::new(),
                    open: 0,
                }),
                freed: Condvar::new(),
                max: opts.max_connections.max(2),
            },
            node_id: opts.node_id.clone(),
            work_channel: format!("ecg_work{suffix}"),
            outbox_channel: format!("ecg_outbox{suffix}"),
        };
        store.migrate(schema.as_deref())?;
        Ok(store)
    }

    /// This node's id (owner of its leases).
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> StoreResult<i64> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations",
                &[],
            )?
            .try_get(0)?)
        })
    }

    fn migrate(&self, schema: Option<&str>) -> StoreResult<()> {
        let mut c = self.pool.get()?;
        let lock_key = format!("ecg-server migrations {}", schema.unwrap_or(""));
        c.query("SELECT pg_advisory_lock(hashtext($1))", &[&lock_key])?;
        let outcome = (|| -> StoreResult<()> {
            if let Some(s) = schema {
                c.batch(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))?;
            }
            c.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations \
                 (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )?;
            let done: i64 = c
                .query_one(
                    "SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations",
                    &[],
                )?
                .try_get(0)?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
                c.batch("BEGIN")?;
                let step = (|| -> StoreResult<()> {
                    c.batch(sql)?;
                    c.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                        &[&((i + 1) as i64), &now_ms()],
                    )?;
                    c.batch("COMMIT")
                })();
                if let Err(e) = step {
                    let _ = c.batch("ROLLBACK");
                    return Err(e);
                }
                tracing::info!("PostgreSQL schema migrated to version {}", i + 1);
            }
            // Prepared statements made before a migration may describe old tables.
            c.statements.clear();
            Ok(())
        })();
        let unlock = c.query("SELECT pg_advisory_unlock(hashtext($1))", &[&lock_key]);
        outcome?;
        unlock?;
        Ok(())
    }

    /// Runs `f` on a pooled connection (each statement commits on its own).
    fn with<T>(&self, f: impl FnOnce(&mut PgConn) -> StoreResult<T>) -> StoreResult<T> {
        let mut c = self.pool.get()?;
        f(&mut c)
    }

    /// Runs `f` in a transaction, committed when `f` returns `Ok`.
    fn tx<T>(&self, f: impl FnOnce(&mut PgConn) -> StoreResult<T>) -> StoreResult<T> {
        let mut c = self.pool.get()?;
        c.batch("BEGIN")?;
        match f(&mut c) {
            Ok(v) => {
                c.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = c.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn notify(&self, c: &mut PgConn, kind: WakeKind) -> StoreResult<()> {
        let channel = match kind {
            WakeKind::Work => &self.work_channel,
            WakeKind::Outbox => &self.outbox_channel,
        };
        c.query("SELECT pg_notify($1, '')", &[channel])?;
        Ok(())
    }

    fn insert_outbox(
        &self,
        c: &mut PgConn,
        task: &TaskRow,
        seq: u64,
        messages: Vec<OutboxMessage>,
    ) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        for m in messages {
            c.execute(
                "INSERT INTO deliveries (id, tenant_id, task_id, url, event_type, sequence, payload, \
                 state, attempts, next_attempt_at, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,'pending',0,$8,$8)",
                &[
                    &m.id,
                    &task.tenant_id,
                    &task.id,
                    &m.url,
                    &m.event_type,
                    &(seq as i64),
                    &m.payload,
                    &now,
                ],
            )?;
        }
        self.notify(c, WakeKind::Outbox)
    }
}

fn fail_exhausted(c: &mut PgConn, id: &str, now: i64) -> StoreResult<()> {
    c.execute(
        "UPDATE tasks SET status = 'failed', error = 'analysis was interrupted too many times', \
         finished_at = $2, updated_at = $2, lease_owner = NULL, lease_until = NULL WHERE id = $1",
        &[&id, &now],
    )?;
    Ok(())
}

impl MetadataStore for PostgresStore {
    fn ensure_tenant(&self, name: &str, webhook_secret: &str) -> StoreResult<i64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO tenants (name, webhook_secret, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &webhook_secret, &now_ms()],
            )?;
            Ok(
                c.query_one("SELECT id FROM tenants WHERE name = $1", &[&name])?
                    .try_get(0)?,
            )
        })
    }

    fn add_api_key(&self, tenant_id: i64, key_hash: &str, prefix: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO api_keys (key_hash, tenant_id, prefix, created_at) VALUES ($1,$2,$3,$4)",
                &[&key_hash, &tenant_id, &prefix, &now_ms()],
            )?;
            Ok(())
        })
    }

    fn revoke_api_key(&self, key_hash: &str) -> StoreResult<bool> {
        self.with(|c| {
            Ok(c.execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL",
                &[&key_hash, &now_ms()],
            )? > 0)
        })
    }

    fn tenant_by_key(&self, key_hash: &str) -> StoreResult<Option<Tenant>> {
        self.with(|c| {
            c.query_opt(
                "SELECT t.id, t.name, k.prefix FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
                &[&key_hash],
            )?
            .map(|r| {
                Ok(Tenant {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    key_prefix: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    fn webhook_secret(&self, tenant_id: i64) -> StoreResult<String> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT webhook_secret FROM tenants WHERE id = $1",
                &[&tenant_id],
            )?
            .try_get(0)?)
        })
    }

    fn setting_or_init(&self, name: &str, init: &str) -> StoreResult<String> {
        self.with(|c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &init],
            )?;
            Ok(
                c.query_one("SELECT value FROM settings WHERE name = $1", &[&name])?
                    .try_get(0)?,
            )
        })
    }

    fn insert_upload(&self, u: &UploadRow) -> StoreResult<()> {
        let decoded = u.decoded.as_ref().map(|d| d.to_string());
        self.with(|c| {
            c.execute(
                &format!(
                    "INSERT INTO uploads ({UPLOAD_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
                ),
                &[
                    &u.id,
                    &u.tenant_id,
                    &u.file_name,
                    &(u.size as i64),
                    &u.sha256,
                    &u.state.as_str(),
                    &u.created_at,
                    &u.expires_at,
                    &u.completed_at,
                    &decoded,
                    &u.error,
                ],
            )?;
            Ok(())
        })
    }

    fn upload(&self, tenant_id: i64, id: &str) -> StoreResult<Option<UploadRow>> {
        self.with(|c| {
            c.query_opt(
                &format!("SELECT {UPLOAD_COLS} FROM uploads WHERE id = $1 AND tenant_id = $2"),
                &[&id, &tenant_id],
            )?
            .map(|r| upload_from_row(&r))
            .transpose()
        })
    }

    fn upload_unscoped(&self, id: &str) -> StoreResult<Option<UploadRow>> {
        self.with(|c| {
            c.query_opt(
                &format!("SELECT {UPLOAD_COLS} FROM uploads WHERE id = $1"),
                &[&id],
            )?
            .map(|r| upload_from_row(&r))
            .transpose()
        })
    }

    fn chunks(&self, upload_id: &str) -> StoreResult<Vec<ChunkRow>> {
        self.with(|c| {
            c.query(
                "SELECT byte_offset, length, sha256 FROM upload_chunks WHERE upload_id = $1 \
                 ORDER BY byte_offset",
                &[&upload_id],
            )?
            .iter()
            .map(chunk_from_row)
            .collect()
        })
    }

    fn insert_chunk(&self, upload_id: &str, chunk: &ChunkRow) -> StoreResult<ChunkInsert> {
        self.tx(|c| {
            // Chunks of one upload are recorded one at a time, whichever node gets them.
            c.query(
                "SELECT 1 FROM uploads WHERE id = $1 FOR UPDATE",
                &[&upload_id],
            )?;
            let start = chunk.offset as i64;
            let end = (chunk.offset + chunk.length) as i64;
            let existing = c
                .query_opt(
                    "SELECT byte_offset, length, sha256 FROM upload_chunks WHERE upload_id = $1 \
                     AND byte_offset < $3 AND byte_offset + length > $2 ORDER BY byte_offset LIMIT 1",
                    &[&upload_id, &start, &end],
                )?
                .map(|r| chunk_from_row(&r))
                .transpose()?;
            Ok(match existing {
                Some(e) if e == *chunk => ChunkInsert::Duplicate,
                Some(e) => ChunkInsert::Conflict(e),
                None => {
                    c.execute(
                        "INSERT INTO upload_chunks (upload_id, byte_offset, length, sha256) \
                         VALUES ($1,$2,$3,$4)",
                        &[&upload_id, &start, &(chunk.length as i64), &chunk.sha256],
                    )?;
                    ChunkInsert::Inserted
                }
            })
        })
    }

    fn delete_chunk(&self, upload_id: &str, offset: u64) -> StoreResult<bool> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM upload_chunks WHERE upload_id = $1 AND byte_offset = $2",
                &[&upload_id, &(offset as i64)],
            )? > 0)
        })
    }

    fn clear_chunks(&self, upload_id: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM upload_chunks WHERE upload_id = $1",
                &[&upload_id],
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
        self.with(|c| {
            Ok(c.execute(
                "UPDATE uploads SET state = $2, decoded = $3, error = $4, completed_at = $5 \
                 WHERE id = $1 AND state = 'open'",
                &[&upload_id, &state.as_str(), &decoded, &error, &now_ms()],
            )? > 0)
        })
    }

    fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        self.with(|c| {
            c.query(
                "SELECT id FROM uploads WHERE state = 'open' AND expires_at < $1",
                &[&now],
            )?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
        })
    }

    fn delete_upload(&self, upload_id: &str) -> StoreResult<()> {
        self.tx(|c| {
            c.execute(
                "DELETE FROM upload_chunks WHERE upload_id = $1",
                &[&upload_id],
            )?;
            c.execute("DELETE FROM uploads WHERE id = $1", &[&upload_id])?;
            Ok(())
        })
    }

    fn insert_task(&self, t: &TaskRow) -> StoreResult<()> {
        let records = t.records.as_ref().map(|r| serde_json::json!(r).to_string());
        let queued_at = (t.status == TaskStatus::Queued).then_some(t.created_at);
        self.tx(|c| {
            c.execute(
                "INSERT INTO tasks (id, tenant_id, upload_id, kind, status, progress, error, \
                 auto_complete, callback_url, records, metadata, patient_id, format_hint, created_at, \
                 updated_at, report_state, queued_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14,$15,$16)",
                &[
                    &t.id,
                    &t.tenant_id,
                    &t.upload_id,
                    &t.kind,
                    &t.status.as_str(),
                    &(t.progress as i64),
                    &t.error,
                    &t.auto_complete,
                    &t.callback_url,
                    &records,
                    &t.metadata.to_string(),
                    &t.patient_id,
                    &t.format_hint,
                    &t.created_at,
                    &t.report_state.as_str(),
                    &queued_at,
                ],
            )?;
            for tag in &t.tags {
                c.execute(
                    "INSERT INTO task_tags (task_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&t.id, tag],
                )?;
            }
            if t.status == TaskStatus::Queued {
                self.notify(c, WakeKind::Work)?;
            }
            Ok(())
        })
    }

    fn task(&self, tenant_id: i64, id: &str) -> StoreResult<Option<TaskRow>> {
        self.with(|c| {
            c.query_opt(
                &format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1 AND tenant_id = $2"),
                &[&id, &tenant_id],
            )?
            .map(|r| task_from_row(&r))
            .transpose()
        })
    }

    fn task_status(
        &self,
        tenant_id: i64,
        id: &str,
    ) -> StoreResult<Option<(TaskStatus, u8, Option<String>)>> {
        self.with(|c| {
            c.query_opt(
                "SELECT status, progress, error FROM tasks WHERE id = $1 AND tenant_id = $2",
                &[&id, &tenant_id],
            )?
            .map(|r| {
                let s: String = r.try_get(0)?;
                let status = TaskStatus::parse(&s).ok_or(StoreError::UnknownValue {
                    what: "task status",
                    value: s,
                })?;
                Ok((
                    status,
                    r.try_get::<_, i64>(1)?.clamp(0, 100) as u8,
                    r.try_get(2)?,
                ))
            })
            .transpose()
        })
    }

    fn task_unscoped(&self, id: &str) -> StoreResult<Option<TaskRow>> {
        self.with(|c| Ok(load_task(c, id, false)?.map(|(t, _)| t)))
    }

    fn list_tasks(&self, tenant_id: i64, f: &TaskFilter) -> StoreResult<Vec<TaskRow>> {
        let mut sql = format!("SELECT {TASK_COLS} FROM tasks WHERE tenant_id = $1");
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(tenant_id)];
        let arg = |args: &mut Vec<Box<dyn ToSql + Sync>>, v: Box<dyn ToSql + Sync>| {
            args.push(v);
            format!("${}", args.len())
        };
        if let Some(s) = f.status {
            let p = arg(&mut args, Box::new(s.as_str()));
            sql.push_str(&format!(" AND status = {p}"));
        }
        if let Some(k) = &f.kind {
            let p = arg(&mut args, Box::new(k.clone()));
            sql.push_str(&format!(" AND kind = {p}"));
        }
        if let Some(pid) = &f.patient_id {
            let p = arg(&mut args, Box::new(pid.clone()));
            sql.push_str(&format!(" AND patient_id = {p}"));
        }
        for tag in &f.tags {
            let p = arg(&mut args, Box::new(tag.clone()));
            sql.push_str(&format!(
                " AND id IN (SELECT task_id FROM task_tags WHERE tag = {p})"
            ));
        }
        if let Some(from) = f.created_from {
            let p = arg(&mut args, Box::new(from));
            sql.push_str(&format!(" AND created_at >= {p}"));
        }
        if let Some(to) = f.created_to {
            let p = arg(&mut args, Box::new(to));
            sql.push_str(&format!(" AND created_at < {p}"));
        }
        if let Some((at, id)) = &f.after {
            let p_at = arg(&mut args, Box::new(*at));
            let p_id = arg(&mut args, Box::new(id.clone()));
            sql.push_str(&format!(
                " AND (created_at < {p_at} OR (created_at = {p_at} AND id < {p_id}))"
            ));
        }
        let p = arg(&mut args, Box::new(f.limit as i64));
        sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {p}"));
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
        self.with(|c| c.query(&sql, &refs)?.iter().map(task_from_row).collect())
    }

    fn update_task_request(&self, t: &TaskRow) -> StoreResult<()> {
        let records = t.records.as_ref().map(|r| serde_json::json!(r).to_string());
        self.tx(|c| {
            c.execute(
                "UPDATE tasks SET kind = $2, auto_complete = $3, callback_url = $4, records = $5, \
                 metadata = $6, patient_id = $7, format_hint = $8, updated_at = $9 WHERE id = $1",
                &[
                    &t.id,
                    &t.kind,
                    &t.auto_complete,
                    &t.callback_url,
                    &records,
                    &t.metadata.to_string(),
                    &t.patient_id,
                    &t.format_hint,
                    &now_ms(),
                ],
            )?;
            c.execute("DELETE FROM task_tags WHERE task_id = $1", &[&t.id])?;
            for tag in &t.tags {
                c.execute(
                    "INSERT INTO task_tags (task_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&t.id, tag],
                )?;
            }
            Ok(())
        })
    }

    fn claim_task(
        &self,
        now: i64,
        lease: &Lease,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>> {
        let expired_sql = format!(
            "SELECT id, attempts FROM tasks WHERE status = 'processing' AND lease_until < {DB_NOW_MS} \
             ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED"
        );
        let claim_sql = format!(
            "UPDATE tasks SET status = 'processing', progress = 0, started_at = $2, updated_at = $2, \
             attempts = attempts + 1, event_seq = event_seq + 1, lease_owner = $3, \
             lease_until = {DB_NOW_MS} + $4 WHERE id = $1"
        );
        self.tx(|c| {
            loop {
                let expired = c.query_opt(&expired_sql, &[])?;
                let id: Option<String> = match expired {
                    Some(r) => {
                        let id: String = r.try_get(0)?;
                        if r.try_get::<_, i64>(1)? >= MAX_ATTEMPTS as i64 {
                            fail_exhausted(c, &id, now)?;
                            continue;
                        }
                        tracing::warn!("task {id}: its worker's lease expired; taking it over");
                        Some(id)
                    }
                    None => c
                        .query_opt(
                            "SELECT id FROM tasks WHERE status = 'queued' ORDER BY queued_at, id \
                             LIMIT 1 FOR UPDATE SKIP LOCKED",
                            &[],
                        )?
                        .map(|r| r.try_get(0))
                        .transpose()?,
                };
                let Some(id) = id else {
                    return Ok(None);
                };
                c.execute(&claim_sql, &[&id, &now, &lease.owner, &lease.ttl_ms])?;
                let Some((task, _)) = load_task(c, &id, false)? else {
                    return Ok(None);
                };
                let messages = events(&task, task.event_seq);
                self.insert_outbox(c, &task, task.event_seq, messages)?;
                return Ok(Some(task));
            }
        })
    }

    fn claim_report(&self, lease: &Lease) -> StoreResult<Option<TaskRow>> {
        let pick = format!(
            "SELECT id FROM tasks WHERE report_state = 'queued' AND status <> 'processing' \
             AND (lease_until IS NULL OR lease_until < {DB_NOW_MS}) ORDER BY updated_at \
             LIMIT 1 FOR UPDATE SKIP LOCKED"
        );
        let hold = format!(
            "UPDATE tasks SET lease_owner = $2, lease_until = {DB_NOW_MS} + $3 WHERE id = $1"
        );
        self.tx(|c| {
            let Some(id) = c.query_opt(&pick, &[])? else {
                return Ok(None);
            };
            let id: String = id.try_get(0)?;
            c.execute(&hold, &[&id, &lease.owner, &lease.ttl_ms])?;
            Ok(load_task(c, &id, false)?.map(|(t, _)| t))
        })
    }

    fn renew_leases(
        &self,
        owner: &str,
        task_ids: &[String],
        ttl_ms: i64,
    ) -> StoreResult<Vec<String>> {
        if task_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE tasks SET lease_until = {DB_NOW_MS} + $3 WHERE id = ANY($1) AND lease_owner = $2 \
             RETURNING id"
        );
        let ids: Vec<String> = task_ids.to_vec();
        let held: Vec<String> = self.with(|c| {
            c.query(&sql, &[&ids, &owner, &ttl_ms])?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect::<StoreResult<_>>()
        })?;
        Ok(ids.into_iter().filter(|id| !held.contains(id)).collect())
    }

    fn listen(&self, wake: Arc<dyn Fn(WakeKind) + Send + Sync>) -> StoreResult<()> {
        let config = self.pool.config.clone();
        let channels = (self.work_channel.clone(), self.outbox_channel.clone());
        self.pool.io.handle().spawn(async move {
            loop {
                match config.connect(NoTls).await {
                    Ok((client, mut connection)) => {
                        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
                        let driver = tokio::spawn(async move {
                            let mut messages = futures_util::stream::poll_fn(move |cx| {
                                connection.poll_message(cx)
                            });
                            while let Some(m) = messages.next().await {
                                match m {
                                    Ok(AsyncMessage::Notification(n)) => {
                                        if tx.send(n.channel().to_owned()).is_err() {
                                            break;
                                        }
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::warn!("PostgreSQL LISTEN connection: {e}");
                                        break;
                                    }
                                }
                            }
                        });
                        let listen = format!("LISTEN {}; LISTEN {}", channels.0, channels.1);
                        match client.batch_execute(&listen).await {
                            Ok(()) => {
                                // Work may have been queued while we were not listening.
                                wake(WakeKind::Work);
                                wake(WakeKind::Outbox);
                                while let Some(channel) = rx.recv().await {
                                    if channel == channels.0 {
                                        wake(WakeKind::Work);
                                    } else {
                                        wake(WakeKind::Outbox);
                                    }
                                }
                            }
                            Err(e) => tracing::warn!("PostgreSQL LISTEN: {e}"),
                        }
                        driver.abort();
                    }
                    Err(e) => tracing::warn!("PostgreSQL LISTEN connection: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Ok(())
    }

    fn set_progress(&self, id: &str, progress: u8) -> StoreResult<Option<TaskStatus>> {
        self.with(|c| {
            c.execute(
                "UPDATE tasks SET progress = $2, updated_at = $3 WHERE id = $1 AND status = 'processing'",
                &[&id, &(progress as i64), &now_ms()],
            )?;
            let status: Option<String> = c
                .query_opt("SELECT status FROM tasks WHERE id = $1", &[&id])?
                .map(|r| r.try_get(0))
                .transpose()?;
            Ok(status.and_then(|s| TaskStatus::parse(&s)))
        })
    }

    fn transition(
        &self,
        id: &str,
        t: &Transition,
        events: &dyn Fn(&TaskRow, u64) -> Vec<OutboxMessage>,
    ) -> StoreResult<Option<TaskRow>> {
        self.tx(|c| {
            let Some((cur, owner)) = load_task(c, id, true)? else {
                return Ok(None);
            };
            if !t.from.contains(&cur.status) {
                return Ok(None);
            }
            if let Some(claim) = &t.claim
                && (owner.as_deref() != Some(claim.owner.as_str()) || cur.attempts != claim.attempt)
            {
                return Ok(None);
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
            c.execute(
                "UPDATE tasks SET status = $2, progress = COALESCE($3, progress), \
                 error = CASE WHEN $4 THEN $5 ELSE error END, \
                 report_state = COALESCE($6, report_state), \
                 approved_by = COALESCE($7, approved_by), approved_at = COALESCE($8, approved_at), \
                 result_version = COALESCE($9, result_version), event_seq = $10, updated_at = $11, \
                 finished_at = CASE WHEN $12 THEN $11 ELSE finished_at END, \
                 queued_at = COALESCE($13, queued_at), \
                 lease_owner = CASE WHEN $2 = 'processing' THEN lease_owner ELSE NULL END, \
                 lease_until = CASE WHEN $2 = 'processing' THEN lease_until ELSE NULL END \
                 WHERE id = $1",
                &[
                    &id,
                    &t.to.as_str(),
                    &t.progress.map(|p| p as i64),
                    &t.error.is_some(),
                    &t.error.clone().flatten(),
                    &t.report_state.map(|r| r.as_str()),
                    &t.approved.as_ref().map(|a| a.0.clone()),
                    &t.approved.as_ref().map(|a| a.1),
                    &t.result_version.map(|v| v as i64),
                    &(seq as i64),
                    &now,
                    &finished,
                    &queued_at,
                ],
            )?;
            let Some((new, _)) = load_task(c, id, false)? else {
                return Ok(None);
            };
            if t.event.is_some() {
                let messages = events(&new, seq);
                self.insert_outbox(c, &new, seq, messages)?;
            }
            if t.to == TaskStatus::Queued || t.report_state == Some(ReportState::Queued) {
                self.notify(c, WakeKind::Work)?;
            }
            Ok(Some(new))
        })
    }

    fn tasks_awaiting_upload(&self, upload_id: &str) -> StoreResult<Vec<String>> {
        self.with(|c| {
            c.query(
                "SELECT id FROM tasks WHERE upload_id = $1 AND status = 'awaiting_upload'",
                &[&upload_id],
            )?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
        })
    }

    fn requeue_interrupted(&self) -> StoreResult<Vec<String>> {
        let node = self.node_id.clone();
        self.tx(|c| {
            let now = now_ms();
            let mut ids: Vec<String> = c
                .query(
                    "UPDATE tasks SET status = 'failed', error = 'analysis was interrupted too many times', \
                     finished_at = $2, updated_at = $2, lease_owner = NULL, lease_until = NULL \
                     WHERE status = 'processing' AND lease_owner = $1 AND attempts >= $3 RETURNING id",
                    &[&node, &now, &(MAX_ATTEMPTS as i64)],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            let requeued: Vec<String> = c
                .query(
                    "UPDATE tasks SET status = 'queued', progress = 0, updated_at = $2, \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE status = 'processing' AND lease_owner = $1 RETURNING id",
                    &[&node, &now],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            c.execute(
                "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
                &[&node],
            )?;
            if !requeued.is_empty() {
                self.notify(c, WakeKind::Work)?;
            }
            ids.extend(requeued);
            Ok(ids)
        })
    }

    fn set_report_state(&self, id: &str, state: ReportState) -> StoreResult<()> {
        self.tx(|c| {
            c.execute(
                "UPDATE tasks SET report_state = $2, updated_at = $3, \
                 lease_owner = CASE WHEN status = 'processing' THEN lease_owner ELSE NULL END, \
                 lease_until = CASE WHEN status = 'processing' THEN lease_until ELSE NULL END \
                 WHERE id = $1",
                &[&id, &state.as_str(), &now_ms()],
            )?;
            if state == ReportState::Queued {
                self.notify(c, WakeKind::Work)?;
            }
            Ok(())
        })
    }

    fn add_revision(&self, task_id: &str, rev: &RevisionRow) -> StoreResult<()> {
        let at = crate::timestamps::parse_rfc3339(&rev.at).unwrap_or_else(now_ms);
        self.tx(|c| {
            c.execute(
                "INSERT INTO revisions (task_id, version, actor, at, action, changes) \
                 VALUES ($1,$2,$3,$4,$5,$6)",
                &[
                    &task_id,
                    &(rev.version as i64),
                    &rev.actor,
                    &at,
                    &rev.action,
                    &rev.changes.to_string(),
                ],
            )?;
            c.execute(
                "UPDATE tasks SET result_version = $2, updated_at = $3 WHERE id = $1",
                &[&task_id, &(rev.version as i64), &now_ms()],
            )?;
            Ok(())
        })
    }

    fn revisions(&self, task_id: &str) -> StoreResult<Vec<RevisionRow>> {
        self.with(|c| {
            c.query(
                "SELECT version, actor, at, action, changes FROM revisions WHERE task_id = $1 \
                 ORDER BY version",
                &[&task_id],
            )?
            .iter()
            .map(|r| {
                let changes: String = r.try_get(4)?;
                Ok(RevisionRow {
                    version: r.try_get::<_, i64>(0)? as u32,
                    actor: r.try_get(1)?,
                    at: rfc3339(r.try_get(2)?),
                    action: r.try_get(3)?,
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
        self.with(|c| {
            c.execute(
                "INSERT INTO share_links (id, token_hash, tenant_id, task_id, created_at, expires_at) \
                 VALUES ($1,$2,$3,$4,$5,$6)",
                &[
                    &s.id,
                    &token_hash,
                    &s.tenant_id,
                    &s.task_id,
                    &created,
                    &s.expires_at_ms,
                ],
            )?;
            Ok(())
        })
    }

    fn shares(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<ShareRow>> {
        self.with(|c| {
            c.query(
                "SELECT id, tenant_id, task_id, created_at, expires_at, revoked_at FROM share_links \
                 WHERE tenant_id = $1 AND task_id = $2 ORDER BY created_at, id",
                &[&tenant_id, &task_id],
            )?
            .iter()
            .map(share_from_row)
            .collect()
        })
    }

    fn revoke_share(&self, tenant_id: i64, task_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        self.with(|c| {
            Ok(c.execute(
                "UPDATE share_links SET revoked_at = COALESCE(revoked_at, $4) \
                 WHERE tenant_id = $1 AND task_id = $2 AND id = $3",
                &[&tenant_id, &task_id, &id, &now],
            )? > 0)
        })
    }

    fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareRow>> {
        self.with(|c| {
            c.query_opt(
                "SELECT id, tenant_id, task_id, created_at, expires_at, revoked_at FROM share_links \
                 WHERE token_hash = $1",
                &[&token_hash],
            )?
            .map(|r| share_from_row(&r))
            .transpose()
        })
    }

    fn due_deliveries(&self, now: i64, limit: usize) -> StoreResult<Vec<DeliveryRow>> {
        let sql = format!(
            "UPDATE deliveries SET next_attempt_at = $2 WHERE id IN ( \
             SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {DELIVERY_COLS}"
        );
        let mut rows: Vec<DeliveryRow> = self.with(|c| {
            c.query(
                &sql,
                &[&now, &(now + DELIVERY_RESERVATION_MS), &(limit as i64)],
            )?
            .iter()
            .map(delivery_from_row)
            .collect::<StoreResult<_>>()
        })?;
        rows.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(rows)
    }

    fn record_attempt(
        &self,
        delivery_id: &str,
        a: &DeliveryAttempt,
        state: &str,
        next_attempt_at: Option<i64>,
    ) -> StoreResult<()> {
        let at = crate::timestamps::parse_rfc3339(&a.at).unwrap_or_else(now_ms);
        let status = a.status.map(|s| s as i64);
        self.tx(|c| {
            c.execute(
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) \
                 VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (delivery_id, attempt) DO UPDATE SET \
                 at = EXCLUDED.at, status = EXCLUDED.status, error = EXCLUDED.error, \
                 duration_ms = EXCLUDED.duration_ms",
                &[
                    &delivery_id,
                    &(a.attempt as i64),
                    &at,
                    &status,
                    &a.error,
                    &(a.duration_ms as i64),
                ],
            )?;
            c.execute(
                "UPDATE deliveries SET attempts = $2, state = $3, \
                 next_attempt_at = COALESCE($4, next_attempt_at), last_status = $5, last_error = $6 \
                 WHERE id = $1",
                &[
                    &delivery_id,
                    &(a.attempt as i64),
                    &state,
                    &next_attempt_at,
                    &status,
                    &a.error,
                ],
            )?;
            Ok(())
        })
    }

    fn next_delivery_time(&self) -> StoreResult<Option<i64>> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'",
                &[],
            )?
            .try_get(0)?)
        })
    }

    fn deliveries(&self, tenant_id: i64, task_id: &str) -> StoreResult<Vec<DeliveryRow>> {
        self.with(|c| {
            let mut rows = c
                .query(
                    &format!(
                        "SELECT {DELIVERY_COLS} FROM deliveries WHERE tenant_id = $1 AND task_id = $2 \
                         ORDER BY sequence, created_at, id"
                    ),
                    &[&tenant_id, &task_id],
                )?
                .iter()
                .map(delivery_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            for d in &mut rows {
                d.log = c
                    .query(
                        "SELECT attempt, at, status, error, duration_ms FROM delivery_attempts \
                         WHERE delivery_id = $1 ORDER BY attempt",
                        &[&d.id],
                    )?
                    .iter()
                    .map(|r| {
                        Ok(DeliveryAttempt {
                            attempt: r.try_get::<_, i64>(0)? as u32,
                            at: rfc3339(r.try_get(1)?),
                            status: r.try_get::<_, Option<i64>>(2)?.map(|s| s as u16),
                            error: r.try_get(3)?,
                            duration_ms: r.try_get::<_, i64>(4)? as u64,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
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
        self.with(|c| {
            // The row may vanish between the two statements (its request failed and was
            // released): then try again.
            for _ in 0..5 {
                let inserted = c.execute(
                    "INSERT INTO idempotency (tenant_id, key, fingerprint, created_at) \
                     VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING",
                    &[&tenant_id, &key, &fingerprint, &now],
                )?;
                if inserted == 1 {
                    return Ok(None);
                }
                let existing = c.query_opt(
                    "SELECT fingerprint, status, body FROM idempotency WHERE tenant_id = $1 AND key = $2",
                    &[&tenant_id, &key],
                )?;
                if let Some(r) = existing {
                    let status: Option<i64> = r.try_get(1)?;
                    let body: Option<Vec<u8>> = r.try_get(2)?;
                    return Ok(Some(IdempotencyRecord {
                        fingerprint: r.try_get(0)?,
                        response: status.map(|s| (s as u16, body.unwrap_or_default())),
                    }));
                }
            }
            Err(StoreError::Connection(format!(
                "idempotency key {key:?} keeps changing under concurrent requests"
            )))
        })
    }

    fn idempotency_finish(
        &self,
        tenant_id: i64,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "UPDATE idempotency SET status = $3, body = $4 WHERE tenant_id = $1 AND key = $2",
                &[&tenant_id, &key, &(status as i64), &body],
            )?;
            Ok(())
        })
    }

    fn idempotency_abort(&self, tenant_id: i64, key: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM idempotency WHERE tenant_id = $1 AND key = $2 AND status IS NULL",
                &[&tenant_id, &key],
            )?;
            Ok(())
        })
    }

    fn purge_idempotency(&self, before: i64) -> StoreResult<usize> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM idempotency WHERE created_at < $1 AND status IS NOT NULL",
                &[&before],
            )? as usize)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        assert!(valid_schema_name("ecg"));
        assert!(valid_schema_name("t_0a9"));
        assert!(!valid_schema_name(""));
        assert!(!valid_schema_name("Ecg"));
        assert!(!valid_schema_name("9x"));
        assert!(!valid_schema_name("a\"; DROP"));
        assert!(!valid_schema_name(&"a".repeat(41)));
    }

    #[test]
    fn both_stores_have_the_same_number_of_migrations() {
        assert_eq!(MIGRATIONS.len(), super::super::sqlite::MIGRATION_COUNT);
    }
}
