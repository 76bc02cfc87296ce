//! The review viewer in a real browser: Debian's `chromium` driven by npm's
//! `playwright-core` (`tests/browser/viewer_e2e.mjs`) against the real server binary on
//! loopback. Needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and
//! `npm ci --prefix apps/ecg-server/tests/browser`; a missing one fails the test with the
//! command that installs it. Screenshots and the downloaded PDF are kept under
//! `target/tmp/viewer-e2e-*`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// Checks the browser tooling; panics with the install command when something is missing.
fn browser_tools() -> (PathBuf, PathBuf) {
    const INSTALL: &str = "run scripts/install-deps.sh (apt-get install chromium nodejs npm, then \
                           npm ci --prefix apps/ecg-server/tests/browser)";
    let node = std::env::var_os("NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"));
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| panic!("node ({}) is missing: {INSTALL}", node.display()));
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 18,
        "node {version} is too old for playwright-core (needs 18 or newer): {INSTALL}"
    );
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "{} is missing (or set CHROMIUM): {INSTALL}",
        chromium.display()
    );
    let lock: Value = serde_json::from_slice(
        &std::fs::read(Path::new(BROWSER_DIR).join("package-lock.json")).unwrap(),
    )
    .unwrap();
    let locked = &lock["packages"]["node_modules/playwright-core"]["version"];
    let installed =
        std::fs::read(Path::new(BROWSER_DIR).join("node_modules/playwright-core/package.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .map(|v| v["version"].clone());
    assert_eq!(
        installed.as_ref(),
        Some(locked),
        "playwright-core {locked} (package-lock.json) is not installed: {INSTALL}"
    );
    let pdftotext = Command::new("pdftotext").arg("-v").output();
    assert!(
        pdftotext.is_ok_and(|o| o.status.success()),
        "pdftotext is missing: apt-get install poppler-utils (scripts/install-deps.sh)"
    );
    (node, chromium)
}

fn run_node(node: &Path, chromium: &Path, envs: &[(&str, String)]) -> Value {
    let mut cmd = Command::new(node);
    cmd.arg("viewer_e2e.mjs")
        .current_dir(BROWSER_DIR)
        .env("CHROMIUM", chromium);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser script failed after {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        started.elapsed()
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON from the browser script:\n{stdout}\n{stderr}"));
    let v: Value = serde_json::from_str(line).unwrap();
    eprintln!("browser script: {:?}\n{v:#}", started.elapsed());
    assert_eq!(v["page_errors"], json!([]), "errors in the page: {v:#}");
    v
}

fn create_task(s: &Server, key: &str, upload: &str, kind: &str) -> String {
    let r = s.post_json(
        key,
        "/api/v1/tasks",
        &json!({"upload_id": upload, "kind": kind,
                "metadata": {"patient": {"id": "P-7", "name": "Doe^Jane"}, "report": {"language": "en"}}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["task_id"].as_str().unwrap().to_owned()
}

fn stat_number(v: &Value) -> i64 {
    v.as_str().unwrap().trim().parse().unwrap()
}

#[test]
fn review_in_the_browser_edit_approve_pdf_and_read_only_share() {
    let (node, chromium) = browser_tools();
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), "clinic-a");
    let s = Server::start(dir.path(), &[]);

    // a 5-minute Holter (long-term) and a resting 12-lead SCP record
    let holter = edf_prefix(
        &std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap(),
        300,
    );
    let up = s.upload_file(&key, "holter5min.edf", &holter);
    let task = create_task(&s, &key, up["upload_id"].as_str().unwrap(), "long_term");
    let scp = std::fs::read(shared("scp/gen_s0010_12lead_500Hz_10s_v20_huff_d1.scp")).unwrap();
    let up2 = s.upload_file(&key, "rest.scp", &scp);
    let resting = create_task(&s, &key, up2["upload_id"].as_str().unwrap(), "resting");
    for t in [&task, &resting] {
        let v = s.wait_task(&key, t, Duration::from_secs(180), &|st| {
            st != "queued" && st != "processing"
        });
        assert_eq!(v["status"], "review", "{v}");
    }
    let before = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    let beats_before = before["analysis"]["records"][0]["beats"]
        .as_array()
        .unwrap()
        .clone();
    assert!(beats_before.len() > 200, "{}", beats_before.len());

    // viewer tokens (the API key never reaches the browser) and a share link
    let vt = s.post_json(
        &key,
        &format!("/api/v1/tasks/{task}/viewer-token"),
        &json!({"reviewer": "Dr. Viewer"}),
    );
    assert_eq!(vt.status, 201, "{}", vt.text());
    let viewer_url = vt.json()["url"].as_str().unwrap().to_owned();
    assert!(viewer_url.contains(&format!("/viewer/tasks/{task}#token=vt_")));
    let rt = s.post_json(
        &key,
        &format!("/api/v1/tasks/{resting}/viewer-token"),
        &json!({}),
    );
    let resting_url = rt.json()["url"].as_str().unwrap().to_owned();
    let share = s.post_json(
        &key,
        &format!("/api/v1/tasks/{task}/share-links"),
        &json!({}),
    );
    let share_token = share.json()["token"].as_str().unwrap().to_owned();

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "viewer-e2e-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    ));
    let conclusion = "Reviewed: sinus rhythm with one ventricular ectopic beat.";
    let r = run_node(
        &node,
        &chromium,
        &[
            ("VIEWER_URL", viewer_url),
            ("SHARE_URL", s.url(&format!("/share/{share_token}"))),
            ("SHARE_TOKEN", share_token.clone()),
            (
                "PAGED_URL",
                s.url(&format!(
                    "/share/{share_token}?max_episodes=1&events_page=1"
                )),
            ),
            ("TASK_ID", task.clone()),
            ("RESTING_URL", resting_url),
            ("OUT_DIR", out.display().to_string()),
            ("CONCLUSION", conclusion.into()),
            ("REVIEWER", "Dr. Viewer Test".into()),
        ],
    );

    // the token left the address bar for sessionStorage
    assert!(!r["url_after_open"].as_str().unwrap().contains("token"));
    assert_eq!(r["stored_token"], "vt_");
    let n_before = stat_number(&r["beats_before"]);
    assert_eq!(n_before, beats_before.len() as i64);
    assert_eq!(
        stat_number(&r["v_after"]),
        stat_number(&r["v_before"]) + 1,
        "{r:#}"
    );
    assert_eq!(stat_number(&r["beats_after_delete"]), n_before - 1);
    assert_eq!(stat_number(&r["beats_after_undo"]), n_before);
    assert_eq!(stat_number(&r["beats_after_redo"]), n_before - 1);
    // lead selection, true scale, overview jump, event navigation
    let shown = r["leads_shown"].as_array().unwrap();
    assert_eq!(shown.len(), 3, "{r:#}");
    let fewer = r["leads_after_uncheck"].as_array().unwrap();
    assert_eq!(fewer.len(), 2);
    assert!(!fewer.contains(&shown[1]), "{r:#}");
    assert!(
        r["ecg_height_fewer"].as_f64().unwrap() < r["ecg_height_all"].as_f64().unwrap() - 50.0,
        "{r:#}"
    );
    let sc = &r["scale"];
    assert_eq!(
        (sc["speed"].as_f64(), sc["gain"].as_f64()),
        (Some(25.0), Some(10.0))
    );
    assert!((sc["mm_px"].as_f64().unwrap() - 96.0 / 25.4).abs() < 1e-9);
    // the seconds shown fill the trace at 25 mm/s (to the 0.01 s of the time labels)
    let px_per_s = 25.0 * 96.0 / 25.4;
    let shown_s = sc["seconds_shown"].as_f64().unwrap();
    let trace_s = sc["trace_px"].as_f64().unwrap() / px_per_s;
    assert!((shown_s - trace_s).abs() < 0.02, "{sc}");
    let jump = &r["overview_jump"];
    let cursor = jump["cursor"].as_f64().unwrap();
    assert!((cursor - 150.0).abs() < 2.0, "{jump}");
    let t0 = jump["t0"].as_f64().unwrap();
    assert!((t0 - (150.0 - shown_s / 2.0)).abs() < 2.0, "{jump}");
    let ev = &r["event_next"];
    assert!(ev["index"].as_i64().unwrap() >= 0, "{ev}");
    assert!(ev["label"].as_str().unwrap().len() > 5, "{ev}");
    assert!(r["event_prev_index"].as_i64().unwrap() >= 0);
    // → pans a quarter screen; - and + step the speed down and back up
    let moved = r["pan_moved_s"].as_f64().unwrap();
    assert!((moved - shown_s / 4.0).abs() < 0.05, "{moved}");
    assert_eq!(r["speed_after_minus"], 10);
    assert!(r["view_after_pan"].as_str().unwrap().contains("25 mm/s"));
    // add a beat, then undo it
    assert_eq!(stat_number(&r["beats_after_add"]), n_before);
    assert_eq!(stat_number(&r["beats_after_add_undo"]), n_before - 1);
    let added = r["added_sample"].as_i64().unwrap();
    let add_at = r["add_at"].as_f64().unwrap();
    let fs = r["beats_fs"].as_f64().unwrap();
    assert!(
        (added as f64 / fs - add_at).abs() < 0.01,
        "{added} vs {add_at} s"
    );
    // relabel a whole template S, then undo
    let tpl = &r["template_after"];
    assert_eq!(tpl["class"], "S", "{r:#}");
    assert_eq!(tpl["shown_classes"], json!(["S"]), "{r:#}");
    assert!(stat_number(&r["s_after_template"]) >= stat_number(&r["s_before_template"]));
    if r["template"]["class"] != "S" {
        assert!(stat_number(&r["s_after_template"]) > stat_number(&r["s_before_template"]));
    }
    assert_eq!(r["s_after_template_undo"], r["s_before_template"]);
    // an AF episode 10-40 s of 300 s: 10 % burden, then undo
    assert_eq!(r["af_burden_after_episode"], "10.0 %", "{r:#}");
    assert_eq!(
        r["episodes_listed"],
        json!(["atrial fibrillation 0:10.00 – 0:40.00"])
    );
    assert_eq!(r["af_burden_after_undo"], "0.0 %");

    assert_eq!(r["status_after_approve"], "status: completed");
    assert_eq!(r["edit_controls_after_approve"], false);

    // the stored result has the edits, made by the token's reviewer, in the audit trail
    let fin = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    let beats = fin["analysis"]["records"][0]["beats"].as_array().unwrap();
    assert_eq!(beats.len(), beats_before.len() - 1);
    assert_eq!(fin["total_beats"], beats.len());
    let relabelled = r["relabelled_sample"].as_i64().unwrap();
    let deleted = r["deleted_sample"].as_i64().unwrap();
    let b = beats
        .iter()
        .find(|b| b["sample"] == relabelled)
        .expect("relabelled beat");
    assert_eq!(b["class"], "V");
    assert!(beats.iter().all(|b| b["sample"] != deleted));
    assert_eq!(fin["review"]["conclusion"], conclusion);
    let v_count = fin["analysis"]["records"][0]["summary"]["class_counts"][2]
        .as_u64()
        .unwrap();
    assert_eq!(v_count as i64, stat_number(&r["v_after"]));
    let revs = s
        .get(
            Some(&key),
            &format!("/api/v1/tasks/{task}/result/revisions"),
        )
        .json();
    let actions: Vec<&str> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "analysis", "edit", "edit", "undo", "redo", "edit", "undo", "edit", "undo", "edit",
            "undo", "edit", "edit", "approve"
        ]
    );
    assert!(
        revs[1]["actor"]
            .as_str()
            .unwrap()
            .starts_with("Dr. Viewer (clinic-a, key ecgk_"),
        "{}",
        revs[1]["actor"]
    );
    assert!(
        revs[13]["actor"]
            .as_str()
            .unwrap()
            .starts_with("Dr. Viewer Test")
    );

    // the final PDF shows the edits
    let pdf = r["pdf"].as_str().unwrap();
    let text = Command::new("pdftotext")
        .args(["-layout", pdf, "-"])
        .output()
        .expect("pdftotext (poppler-utils) is missing");
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(conclusion),
        "conclusion not in the PDF:\n{text}"
    );
    assert!(flat.contains("Dr. Viewer Test"), "approver not in the PDF");
    let total = format!("Total beats {}", beats.len());
    assert!(
        flat.contains(&total),
        "edited beat total ({total}) not in the PDF:\n{text}"
    );
    let v_line = format!("Ventricular (V) {v_count} (");
    assert!(flat.contains(&v_line), "{v_line} not in the PDF:\n{text}");

    // share link: everything shown, nothing editable, the API refuses edits
    assert!(r["share_mode"].as_str().unwrap().contains("read-only"));
    assert_eq!(r["share_beats"], r["beats_after_redo"]);
    assert_eq!(r["share_v"], r["v_after"]);
    assert_eq!(r["share_conclusion"], conclusion);
    assert_eq!(r["share_visible_edit_controls"], json!([]));
    assert_eq!(r["share_text_read_only"], json!([true, true]));
    assert_eq!(r["share_non_get_requests"], json!([]));
    assert_eq!(r["share_beats_after_keys"], r["share_beats"]);
    let st = &r["share_api_status"];
    assert!(
        st["shared_edits"] == 404 || st["shared_edits"] == 405,
        "{st}"
    );
    assert_eq!(st["token_as_bearer"], 401, "{st}");
    assert_eq!(st["patch_without_key"], 401, "{st}");
    let after = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    assert_eq!(after["review"]["conclusion"], conclusion);

    // the paged event list (the overview truncated to 1 episode, pages of 1): every event
    // reachable, from the list, by [ from a cursor anywhere, and per kind
    let eps = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/episodes"))
        .json();
    let fs_ep = eps["fs"].as_f64().unwrap();
    let events: Vec<&Value> = eps["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "sinus_rhythm")
        .collect();
    assert!(
        events.len() >= 3,
        "the paged list test needs 3 events or more: {events:?}"
    );
    let p = &r["paged"];
    assert_eq!(p["first"]["ov_listed"], 1, "{p:#}");
    assert!(p["first"]["ov_total"].as_u64().unwrap() > 1, "{p:#}");
    assert_eq!(p["first"]["total"], events.len(), "{p:#}");
    assert_eq!(p["first"]["loaded"], json!([0]), "{p:#}");
    assert_eq!(p["kind_visible"], true);
    let loaded = p["after_more"]["loaded"].as_array().unwrap();
    assert_eq!(
        loaded,
        &[json!(0), json!(1)],
        "one page more, not all: {p:#}"
    );
    let t_of = |e: &Value| e["start"].as_f64().unwrap() / fs_ep;
    let clicked = &p["clicked"];
    assert_eq!(clicked["current"]["abs"], 1, "{p:#}");
    assert!((clicked["current"]["t"].as_f64().unwrap() - t_of(events[1])).abs() < 1e-6);
    assert!((clicked["cursor"].as_f64().unwrap() - t_of(events[1]).max(0.0)).abs() < 1e-6);
    assert_eq!(clicked["current_li"]["abs"], "1", "{p:#}");
    // [ from late in the recording: the last event that starts before the cursor
    let late = p["cursor_late"].as_f64().unwrap();
    let expected = events
        .iter()
        .rposition(|e| t_of(e) < late - 0.01)
        .unwrap_or(events.len() - 1);
    let prev = &p["prev_from_late"];
    assert_eq!(
        prev["current"]["abs"].as_u64().unwrap() as usize,
        expected,
        "{p:#}"
    );
    assert!((prev["current"]["t"].as_f64().unwrap() - t_of(events[expected])).abs() < 1e-6);
    assert_eq!(prev["current_li"]["abs"], expected.to_string(), "{p:#}");
    if expected > 2 {
        // reached through `seek`, not by loading every page up to it
        let loaded = prev["loaded"].as_array().unwrap();
        assert!(!loaded.contains(&json!(2)), "{p:#}");
    }
    let kind = p["kinds"][0].as_str().unwrap();
    let of_kind = events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(p["one_kind"]["kind"], kind, "{p:#}");
    assert_eq!(p["one_kind"]["total"], of_kind, "{p:#}");
    assert_eq!(
        p["one_kind"]["loaded"].as_array().unwrap().len(),
        of_kind.min(1),
        "{p:#}"
    );

    // resting 12-lead layout
    assert_eq!(r["resting_layout_visible"], true);
    assert_eq!(r["resting_leads"].as_array().unwrap().len(), 12, "{r:#}");
    // rows of 10 mm/mV: 3x4+1 has 4, 6x2 has 6, 12x1 has 12 (a row is 26 mm at 10 mm/mV)
    let h = &r["resting_layout_heights"];
    let row_px = 26.0 * 96.0 / 25.4;
    let rows = |k: &str| h[k].as_f64().unwrap() / row_px;
    assert!(
        (rows("6x2") - rows("3x4+1") - 2.0).abs() < 0.1,
        "{h} (rows {} and {})",
        rows("6x2"),
        rows("3x4+1")
    );
    assert!((rows("12x1") - rows("6x2") - 6.0).abs() < 0.1, "{h}");
    // the rhythm strip's lead: a select of the record's leads, II by default, V5 drawn
    // when chosen (other pixels in the strip), kept in the address over a reload
    assert_eq!(r["rhythm_visible"], true);
    assert_eq!(r["rhythm_visible_6x2"], false);
    assert_eq!(r["rhythm_options"].as_array().unwrap().len(), 12, "{r:#}");
    assert_eq!(r["rhythm_default"], "II");
    let (before, after) = (&r["rhythm_before"], &r["rhythm_after"]);
    assert_eq!(before["drawn"], "II");
    assert_eq!(after["drawn"], "V5");
    assert!(before["dark"].as_u64().unwrap() > 100, "{before}");
    assert!(after["dark"].as_u64().unwrap() > 100, "{after}");
    assert_ne!(before["sum"], after["sum"], "the strip did not change");
    assert_eq!(after["search"], "?rhythm=V5");
    let reloaded = &r["rhythm_after_reload"];
    assert_eq!(reloaded["select"], "V5");
    assert_eq!(reloaded["drawn"], "V5", "{reloaded}");
    for shot in [
        "04b-paged-events.png",
        "07-resting-rhythm-V5.png",
        "01-opened.png",
        "02-edited.png",
        "03-approved.png",
        "04-share.png",
        "05-resting-3x4.png",
        "06-resting-6x2.png",
        "06-resting-12x1.png",
    ] {
        assert!(out.join(shot).is_file(), "screenshot {shot} missing");
    }
    eprintln!("screenshots and PDF: {}", out.display());
}

/// Samples of the 1 h Holter, repeated: a 7-day lead without a 7-day buffer.
#[derive(Debug)]
struct Repeat {
    hour: Vec<i32>,
    len: usize,
}

impl ecg_core::SampleSource for Repeat {
    fn len(&self) -> usize {
        self.len
    }
    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        let n = self.hour.len();
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.hour[(start + k) % n];
        }
        Ok(())
    }
}

/// Writes a 7-day, 2-lead, 256 Hz EDF+ (the shared 1 h Holter repeated) with ecg-edf.
fn write_week(path: &Path) {
    let data = std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap();
    let hour = ecg_edf::decode(
        "holter.edf",
        ecg_core::SharedBytes::from_vec(data),
        &ecg_core::DecodeOptions::default(),
    )
    .unwrap();
    let mut week = ecg_core::Record::new("week", "edf");
    week.personal = hour.personal.clone();
    for sig in hour.signals.iter().take(2) {
        let len = sig.len() * 24 * 7;
        let src = Repeat {
            hour: sig.samples.to_vec().unwrap(),
            len,
        };
        let mut s = ecg_core::Signal::new(
            sig.label.clone(),
            sig.fs,
            sig.unit.clone(),
            ecg_core::Samples::from_source(std::sync::Arc::new(src)),
        );
        s.scale = sig.scale;
        week.signals.push(s);
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    ecg_edf::write_edf_plus(&week, &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
}

/// Uploads a large file in 32 MiB chunks; returns the complete upload.
fn upload_chunked(s: &Server, key: &str, path: &Path) -> Value {
    let data = std::fs::read(path).unwrap();
    let created = s.post_json(
        key,
        "/api/v1/uploads",
        &json!({"file_name": "week.edf", "size": data.len(), "sha256": sha256_hex(&data)}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["upload_id"].as_str().unwrap().to_owned();
    for off in (0..data.len()).step_by(32 << 20) {
        let bytes = &data[off..(off + (32 << 20)).min(data.len())];
        let r = s.put_bytes(
            Some(key),
            &format!("/api/v1/uploads/{id}/chunks/{off}"),
            bytes,
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let done = s.post_json(key, &format!("/api/v1/uploads/{id}/complete"), &json!({}));
    assert_eq!(done.status, 200, "{}", done.text());
    done.json()
}

/// Time to first render of a 7-day record in the viewer (the figure in docs/BENCHMARKS.md,
/// section Viewer): `cargo test --release -p ecg-server --test viewer_browser -- --ignored
/// --nocapture`.
#[test]
#[ignore = "writes, uploads and analyses a 7-day EDF+ (~620 MB); run with --release -- --ignored"]
fn seven_day_record_first_render() {
    let (node, chromium) = browser_tools();
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), "bench");
    let s = Server::start(dir.path(), &[]);
    let edf = dir.path().join("week.edf");
    let t = Instant::now();
    write_week(&edf);
    eprintln!(
        "wrote {} bytes in {:?}",
        std::fs::metadata(&edf).unwrap().len(),
        t.elapsed()
    );
    let t = Instant::now();
    let up = upload_chunked(&s, &key, &edf);
    eprintln!("uploaded and decoded in {:?}", t.elapsed());
    std::fs::remove_file(&edf).unwrap();
    assert_eq!(up["records"][0]["duration_s"], 7.0 * 86_400.0);
    let t = Instant::now();
    let task = create_task(&s, &key, up["upload_id"].as_str().unwrap(), "long_term");
    let v = s.wait_task(&key, &task, Duration::from_secs(1800), &|st| {
        st != "queued" && st != "processing"
    });
    assert_eq!(v["status"], "review", "{v}");
    eprintln!("analysed in {:?}", t.elapsed());

    // server side, cold then warm: overview, a 10 s window of both leads, its beats
    let s2 = {
        drop(s);
        Server::start(dir.path(), &[])
    };
    let mut timings = Vec::new();
    for round in ["cold", "warm"] {
        let t = Instant::now();
        let ov = s2.get(Some(&key), &format!("/api/v1/tasks/{task}/overview"));
        let t_ov = t.elapsed();
        assert_eq!(ov.status, 200);
        let t = Instant::now();
        let w = s2.get(
            Some(&key),
            &format!("/api/v1/tasks/{task}/signal?start=345600&end=345645&max_points=4000"),
        );
        let t_sig = t.elapsed();
        assert_eq!(w.status, 200);
        let t = Instant::now();
        let b = s2.get(
            Some(&key),
            &format!("/api/v1/tasks/{task}/beats?start=345600&end=345645"),
        );
        let t_beats = t.elapsed();
        assert_eq!(b.status, 200);
        eprintln!(
            "{round}: overview {t_ov:?} ({} bytes, {} beats), signal {t_sig:?} ({} bytes), beats {t_beats:?}",
            ov.body.len(),
            ov.json()["total_beats"],
            w.body.len()
        );
        if round == "cold" {
            // what the overview is made of (bytes of each part)
            let o = ov.json();
            let mut parts: Vec<(String, usize)> = o
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string().len()))
                .chain(
                    o["summary"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (format!("summary.{k}"), v.to_string().len())),
                )
                .collect();
            parts.sort_by_key(|p| std::cmp::Reverse(p.1));
            eprintln!("overview parts: {:?}", &parts[..8]);
        }
        timings.push((t_ov, t_sig, t_beats));
    }
    // the browser, on a fresh server process (cold caches)
    drop(s2);
    let s3 = Server::start(dir.path(), &[]);
    let vt = s3.post_json(
        &key,
        &format!("/api/v1/tasks/{task}/viewer-token"),
        &json!({}),
    );
    let url = vt.json()["url"].as_str().unwrap().to_owned();
    let r = run_node(
        &node,
        &chromium,
        &[
            ("BENCH_URL", url),
            (
                "OUT_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join("viewer-bench")
                    .display()
                    .to_string(),
            ),
        ],
    );
    let first = r["bench"]["first_render_ms"].as_f64().unwrap();
    eprintln!(
        "7-day record: first render {first:.0} ms after navigation (page load {} ms), jump {} ms, \
         steps {}, events listed {}, template rows {}",
        r["bench"]["wall_ms"],
        r["bench"]["jump_ms"],
        r["bench"]["timing"],
        r["bench"]["events_listed"],
        r["bench"]["templates_listed"]
    );
    eprintln!(
        "opened again (warm server): first render {} ms, steps {}",
        r["bench"]["warm"]["first_render_ms"], r["bench"]["warm"]["timing"]
    );
    assert!(first < 2000.0, "first render took {first} ms");
}
