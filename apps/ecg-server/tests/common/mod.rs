//! Starts the real `ecg-server` binary on a free loopback port with a temporary data
//! directory, and talks to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ecg-server");

/// Configuration variables of `ecg-server` that must not leak from the developer's
/// environment into a test's server.
const SERVER_ENV: &[&str] = &[
    "ECG_CONFIG",
    "ECG_DATA",
    "ECG_ROLE",
    "ECG_NODE_ID",
    "ECG_BIND",
    "ECG_PUBLIC_URL",
    "ECG_WORKERS",
    "ECG_HTTP_WORKERS",
    "ECG_LEASE_TTL_S",
    "ECG_MAX_CHUNK_BYTES",
    "ECG_MAX_UPLOAD_BYTES",
    "ECG_SESSION_TTL_S",
    "ECG_PRESIGN_TTL_S",
    "ECG_WEBHOOK_RETRY_BASE_MS",
    "ECG_WEBHOOK_MAX_ATTEMPTS",
    "ECG_DATABASE_URL",
    "ECG_DATABASE_SCHEMA",
    "ECG_DATABASE_MAX_CONNECTIONS",
    "ECG_BLOB_BACKEND",
    "ECG_S3_BUCKET",
    "ECG_S3_ENDPOINT",
    "ECG_S3_REGION",
    "ECG_S3_ACCESS_KEY_ID",
    "ECG_S3_SECRET_ACCESS_KEY",
    "ECG_S3_ALLOW_HTTP",
    "ECG_S3_VIRTUAL_HOSTED_STYLE",
    "ECG_S3_PREFIX",
    "ECG_CACHE_DIR",
    "ECG_CACHE_MAX_BYTES",
];

/// A PostgreSQL server and an S3 server for the scale-out variants of the tests.
#[derive(Clone, Debug)]
pub struct Services {
    pub database_url: String,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
}

/// The shared backends, as the environment says:
///
/// - `ECG_TEST_DATABASE_URL` and `ECG_TEST_S3_ENDPOINT` (with `ECG_TEST_S3_BUCKET`,
///   `ECG_TEST_S3_ACCESS_KEY_ID`, `ECG_TEST_S3_SECRET_ACCESS_KEY`) set, as printed by
///   `eval "$(scripts/ci-services.sh)"` in CI: the tests use those servers, and fail if
///   they cannot reach them;
/// - `ECG_TEST_SHARED_BACKENDS=start`: the first test starts them with
///   `scripts/ci-services.sh --no-install` (stopped when the test binary exits);
/// - `ECG_TEST_SHARED_BACKENDS=required` (or any other value) without the URLs: every test
///   needing them fails, saying what is missing;
/// - none of these (a developer's plain `cargo test`): the tests are skipped (returns
///   `None`) with a notice on stderr.
pub fn services() -> Option<&'static Services> {
    static SERVICES: OnceLock<Option<Services>> = OnceLock::new();
    let s = SERVICES.get_or_init(|| {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let db = var("ECG_TEST_DATABASE_URL");
        let s3 = var("ECG_TEST_S3_ENDPOINT");
        let mode = var("ECG_TEST_SHARED_BACKENDS");
        match (db, s3) {
            (Some(db), Some(s3)) => {
                return Some(Services {
                    database_url: db,
                    s3_endpoint: s3,
                    s3_bucket: var("ECG_TEST_S3_BUCKET").unwrap_or_else(|| "ecg-test".into()),
                    s3_access_key_id: var("ECG_TEST_S3_ACCESS_KEY_ID").unwrap_or_default(),
                    s3_secret_access_key: var("ECG_TEST_S3_SECRET_ACCESS_KEY").unwrap_or_default(),
                });
            }
            (Some(_), None) | (None, Some(_)) => panic!(
                "ECG_TEST_DATABASE_URL and ECG_TEST_S3_ENDPOINT must be set together \
                 (eval \"$(scripts/ci-services.sh)\" sets both)"
            ),
            (None, None) => {}
        }
        match mode.as_deref() {
            None => return None,
            Some("start") => {}
            Some(other) => panic!(
                "ECG_TEST_SHARED_BACKENDS={other} says PostgreSQL and S3 must be there, but \
                 ECG_TEST_DATABASE_URL / ECG_TEST_S3_ENDPOINT are not set: run \
                 eval \"$(scripts/ci-services.sh)\" first (or ECG_TEST_SHARED_BACKENDS=start)"
            ),
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ci-services.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", "--no-install", "--watch-pid"])
            .arg(std::process::id().to_string())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "could not start PostgreSQL and SeaweedFS for the scale-out tests with {}: {}\n\
             Run `scripts/ci-services.sh` once (it installs them), or export the ECG_TEST_* \
             variables it prints.",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {k}=")))
                .unwrap_or_else(|| panic!("{k} missing from ci-services.sh output: {text}"))
                .to_owned()
        };
        Some(Services {
            database_url: get("ECG_TEST_DATABASE_URL"),
            s3_endpoint: get("ECG_TEST_S3_ENDPOINT"),
            s3_bucket: get("ECG_TEST_S3_BUCKET"),
            s3_access_key_id: get("ECG_TEST_S3_ACCESS_KEY_ID"),
            s3_secret_access_key: get("ECG_TEST_S3_SECRET_ACCESS_KEY"),
        })
    });
    if s.is_none() {
        // Straight to stderr: the test harness captures `eprintln!` of passing tests.
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED {test}: needs PostgreSQL + S3; ECG_TEST_DATABASE_URL and \
             ECG_TEST_S3_ENDPOINT are not set (eval \"$(scripts/ci-services.sh)\" sets them; \
             ECG_TEST_SHARED_BACKENDS=start starts the servers for this run) ***"
        );
    }
    s.as_ref()
}

thread_local! {
    /// Whether the current test runs its servers on the shared backends.
    static SHARED: Cell<bool> = const { Cell::new(false) };
}

/// Runs a test body with every server and key command it starts (by data directory) on
/// PostgreSQL + S3 instead of SQLite + files. Skipped with a notice when the environment
/// names no servers (see [`services`]).
pub fn on_shared_backends(body: impl FnOnce()) {
    if services().is_none() {
        return;
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            SHARED.with(|s| s.set(false));
        }
    }
    SHARED.with(|s| s.set(true));
    let _reset = Reset;
    body();
}

/// Whether the current test runs its servers on the shared backends.
pub fn shared_backends_active() -> bool {
    SHARED.with(|s| s.get())
}

/// The server binary with the backend environment of the node of this data directory
/// (for the key commands).
pub fn keys_command(data: &Path) -> Command {
    server_command(&backend_env(data))
}

/// A cluster of nodes sharing one PostgreSQL schema and one S3 prefix.
pub fn cluster_name(seed: &Path) -> String {
    let full = std::fs::canonicalize(seed).unwrap_or_else(|_| seed.to_owned());
    format!("t{}", &sha256_hex(full.to_string_lossy().as_bytes())[..20])
}

/// The environment that puts a node on the shared backends, in cluster `cluster`.
pub fn shared_env(cluster: &str) -> Vec<(String, String)> {
    let s = services().expect("shared backends");
    vec![
        ("ECG_DATABASE_URL".into(), s.database_url.clone()),
        ("ECG_DATABASE_SCHEMA".into(), cluster.to_owned()),
        ("ECG_DATABASE_MAX_CONNECTIONS".into(), "8".into()),
        ("ECG_S3_BUCKET".into(), s.s3_bucket.clone()),
        ("ECG_S3_ENDPOINT".into(), s.s3_endpoint.clone()),
        ("ECG_S3_ACCESS_KEY_ID".into(), s.s3_access_key_id.clone()),
        (
            "ECG_S3_SECRET_ACCESS_KEY".into(),
            s.s3_secret_access_key.clone(),
        ),
        ("ECG_S3_PREFIX".into(), cluster.to_owned()),
    ]
}

/// The backend environment of a node with this data directory (empty when embedded).
fn backend_env(data: &Path) -> Vec<(String, String)> {
    if SHARED.with(|s| s.get()) {
        shared_env(&cluster_name(data))
    } else {
        Vec::new()
    }
}

/// A command of the server binary, with a clean configuration environment.
pub fn server_command(env: &[(String, String)]) -> Command {
    let mut c = Command::new(BIN);
    for k in SERVER_ENV {
        c.env_remove(k);
    }
    c.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    c
}

/// A path under the shared test data (a missing file fails the test).
pub fn shared(rel: &str) -> PathBuf {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(rel);
    assert!(p.is_file(), "shared test data missing: {}", p.display());
    p
}

/// `ecg-server keys create --tenant NAME --data DIR`: the key printed on stdout.
pub fn create_key(data: &Path, tenant: &str) -> String {
    create_key_env(data, tenant, &backend_env(data))
}

/// `ecg-server keys create` with a given backend environment.
pub fn create_key_env(data: &Path, tenant: &str, env: &[(String, String)]) -> String {
    let out = server_command(env)
        .args(["keys", "create", "--tenant", tenant, "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap();
    let key = key.trim().to_owned();
    assert!(key.starts_with("ecgk_") && !key.contains('\n'), "{key:?}");
    key
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    pub agent: ureq::Agent,
}

impl Server {
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_env(data, extra, &backend_env(data))
    }

    /// Starts a node (role `api` or `all`) with a given backend environment.
    pub fn start_env(data: &Path, extra: &[&str], env: &[(String, String)]) -> Server {
        let mut child = server_command(env)
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "2", "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("ecg-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child,
            base: addr,
            data: data.to_owned(),
            agent: agent(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    pub fn get(&self, key: Option<&str>, path: &str) -> Resp {
        let mut r = self.agent.get(self.url(path));
        if let Some(k) = key {
            r = r.header("Authorization", &format!("Bearer {k}"));
        }
        Resp::from(r.call())
    }

    pub fn delete(&self, key: &str, path: &str) -> Resp {
        Resp::from(
            self.agent
                .delete(self.url(path))
                .header("Authorization", &format!("Bearer {key}"))
                .call(),
        )
    }

    pub fn post_json(&self, key: &str, path: &str, body: &serde_json::Value) -> Resp {
        self.post_json_h(key, path, body, &[])
    }

    pub fn post_json_h(
        &self,
        key: &str,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut r = self
            .agent
            .post(self.url(path))
            .header("Authorization", &format!("Bearer {key}"))
            .header("Content-Type", "application/json");
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Resp::from(r.send(&serde_json::to_vec(body).unwrap()[..]))
    }

    pub fn patch_json(&self, key: &str, path: &str, body: &serde_json::Value) -> Resp {
        Resp::from(
            self.agent
                .patch(self.url(path))
                .header("Authorization", &format!("Bearer {key}"))
                .header("Content-Type", "application/json")
                .send(&serde_json::to_vec(body).unwrap()[..]),
        )
    }

    pub fn put_bytes(
        &self,
        key: Option<&str>,
        url: &str,
        data: &[u8],
        headers: &[(&str, &str)],
    ) -> Resp {
        let full = if url.starts_with("http") {
            url.to_owned()
        } else {
            self.url(url)
        };
        let mut r = self
            .agent
            .put(full)
            .header("Content-Type", "application/octet-stream");
        if let Some(k) = key {
            r = r.header("Authorization", &format!("Bearer {k}"));
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Resp::from(r.send(data))
    }

    /// One-request upload of a file; returns the upload view.
    pub fn upload_file(&self, key: &str, name: &str, data: &[u8]) -> serde_json::Value {
        let r = Resp::from(
            self.agent
                .post(self.url(&format!("/api/v1/uploads/direct?file_name={name}")))
                .header("Authorization", &format!("Bearer {key}"))
                .header("Content-Type", "application/octet-stream")
                .send(data),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    }

    /// Polls a task until `done(status)` or the timeout.
    pub fn wait_task(
        &self,
        key: &str,
        id: &str,
        timeout: Duration,
        done: &dyn Fn(&str) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let t = self.get(Some(key), &format!("/api/v1/tasks/{id}")).json();
            if done(t["status"].as_str().unwrap()) {
                return t;
            }
            assert!(start.elapsed() < timeout, "task {id} stuck: {t}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Server {
    /// Polls a report endpoint while it answers 409 (being rendered); asserts a PDF.
    pub fn wait_pdf(&self, key: Option<&str>, path: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let rep = self.get(key, path);
            if rep.status == 409 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            assert_eq!(rep.status, 200, "{}", rep.text());
            assert_eq!(rep.content_type, "application/pdf");
            assert!(rep.body.starts_with(b"%PDF-"));
            return rep.body;
        }
    }
}

/// The text of a PDF (`pdftotext -layout`), whitespace runs collapsed to one space.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is missing");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    fn from(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut r = r.expect("HTTP request failed");
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect::<Vec<_>>();
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = r
            .body_mut()
            .with_config()
            .limit(512 << 20)
            .read_to_vec()
            .unwrap();
        Resp {
            status: r.status().as_u16(),
            content_type,
            headers,
            body,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem of this status and type slug.
    pub fn assert_problem(&self, status: u16, slug: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.content_type,
            "application/problem+json",
            "{}",
            self.text()
        );
        let v = self.json();
        assert_eq!(v["type"], format!("/problems/{slug}"), "{v}");
        assert_eq!(v["status"], status);
        assert!(v["title"].is_string() && v["detail"].is_string(), "{v}");
        v
    }
}

/// A received webhook request.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// A local webhook receiver: answers 500 to the first `failures` attempts of the first
/// message (by `webhook-id`), 200 to everything else.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let rec = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut headers = Vec::new();
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap();
                    }
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let mut all = rec.lock().unwrap();
                // refuse the first `failures` attempts of the first message only: other
                // messages may be delivered concurrently and must not take its refusals
                let id = |hs: &[(String, String)]| {
                    hs.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("webhook-id"))
                        .map(|(_, v)| v.clone())
                };
                let first = all.first().map_or_else(|| id(&headers), |r| id(&r.headers));
                let refused = all.iter().filter(|r| r.answered == 500).count();
                let status = if id(&headers) == first && refused < failures {
                    500
                } else {
                    200
                };
                all.push(Received {
                    headers,
                    body,
                    answered: status,
                });
                drop(all);
                let reason = if status == 200 {
                    "OK"
                } else {
                    "Internal Server Error"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, received }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A ZIP (stored) holding `copies` copies of a file, each in its own directory.
pub fn zip_of_copies(file: &Path, copies: usize) -> Vec<u8> {
    let data = std::fs::read(file).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        for i in 0..copies {
            zip.start_file(format!("day{i:02}/{name}"), opts).unwrap();
            zip.write_all(&data).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A shorter EDF+ made from the shared 1 h Holter: the header with a new record count and
/// the first `records` data records.
pub fn edf_prefix(src: &[u8], records: usize) -> Vec<u8> {
    let num = |r: std::ops::Range<usize>| -> usize {
        std::str::from_utf8(&src[r])
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let header = num(184..192);
    let ns = num(252..256);
    let per_record: usize = (0..ns)
        .map(|i| num(256 + ns * 216 + i * 8..256 + ns * 216 + i * 8 + 8))
        .sum();
    let mut out = src[..header + records * per_record * 2].to_vec();
    out[236..244].copy_from_slice(format!("{records:<8}").as_bytes());
    out
}
