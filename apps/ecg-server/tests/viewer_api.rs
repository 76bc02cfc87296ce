//! The viewer's API on the real binary: pages and assets, viewer tokens and their scope,
//! signal and beat windows, overview, review edits with undo/redo and recomputed numbers,
//! the approved PDF, and read-only share endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

fn holter_task(s: &Server, key: &str, minutes: usize) -> String {
    let edf = edf_prefix(
        &std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap(),
        minutes * 60,
    );
    let up = s.upload_file(key, "holter.edf", &edf);
    let r = s.post_json(
        key,
        "/api/v1/tasks",
        &json!({"upload_id": up["upload_id"], "kind": "long_term",
                "metadata": {"patient": {"id": "P-9"}}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["task_id"].as_str().unwrap().to_owned();
    let t = s.wait_task(key, &id, Duration::from_secs(180), &|st| {
        st != "queued" && st != "processing"
    });
    assert_eq!(t["status"], "review", "{t}");
    id
}

fn edit(s: &Server, auth: &str, task: &str, body: Value) -> Resp {
    s.post_json(auth, &format!("/api/v1/tasks/{task}/edits"), &body)
}

#[test]
fn pages_tokens_windows_edits_undo_and_share() {
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), "clinic-a");
    let other_key = create_key(dir.path(), "clinic-b");
    let s = Server::start(dir.path(), &[]);
    let task = holter_task(&s, &key, 4);
    let task2 = holter_task(&s, &key, 1);

    // pages and assets, with their security headers
    let page = s.get(None, &format!("/viewer/tasks/{task}"));
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.text().contains("/viewer/assets/viewer.js"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let js = s.get(None, "/viewer/assets/viewer.js");
    assert_eq!(js.status, 200);
    assert!(js.content_type.starts_with("text/javascript"));
    assert!(js.text().contains("getContext('2d')"));
    s.get(None, "/viewer/assets/../Cargo.toml")
        .assert_problem(404, "not-found");
    assert_eq!(s.get(None, "/share/whatever").status, 200);

    // viewer tokens: minted with the API key, scoped to one task
    let vt = s.post_json(
        &key,
        &format!("/api/v1/tasks/{task}/viewer-token"),
        &json!({"reviewer": "Dr. Who", "expires_in_seconds": 600}),
    );
    assert_eq!(vt.status, 201, "{}", vt.text());
    let vt = vt.json();
    let token = vt["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("vt_"));
    assert!(
        vt["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/viewer/tasks/{task}#token={token}"))
    );
    assert_eq!(
        s.get(Some(&token), &format!("/api/v1/tasks/{task}")).json()["task_id"],
        task.as_str()
    );
    s.get(Some(&token), &format!("/api/v1/tasks/{task2}"))
        .assert_problem(404, "not-found");
    s.get(Some(&token), "/api/v1/tasks")
        .assert_problem(401, "unauthorized");
    s.post_json(
        &token,
        &format!("/api/v1/tasks/{task}/viewer-token"),
        &json!({}),
    )
    .assert_problem(401, "unauthorized");
    s.get(Some(&other_key), &format!("/api/v1/tasks/{task}/overview"))
        .assert_problem(404, "not-found");
    // change the last character to a different one (a fixed replacement
    // would equal the real token whenever the token already ends in it)
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    assert_ne!(forged, token);
    s.get(Some(&forged), &format!("/api/v1/tasks/{task}/overview"))
        .assert_problem(401, "unauthorized");

    // overview
    let ov = s
        .get(Some(&token), &format!("/api/v1/tasks/{task}/overview"))
        .json();
    assert_eq!(ov["version"], 1);
    assert_eq!(ov["editable"], true);
    assert_eq!(ov["fs"], 256.0);
    assert_eq!(ov["samples"], 240 * 256);
    let beats_total = ov["total_beats"].as_u64().unwrap();
    assert!(beats_total > 200, "{beats_total}");
    assert_eq!(ov["records"][0]["signals"].as_array().unwrap().len(), 3);
    assert_eq!(ov["trend"]["bucket_s"], 2.0);
    assert_eq!(ov["trend"]["mean"].as_array().unwrap().len(), 120);
    let hr = ov["summary"]["hr_mean"].as_f64().unwrap();
    assert!((30.0..250.0).contains(&hr), "{hr}");
    assert_eq!(ov["review"]["can_undo"], false);

    // signal windows: raw, then min/max, checked against the decoder's values
    let label = ov["records"][0]["signals"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let w = s
        .get(
            Some(&token),
            &format!(
                "/api/v1/tasks/{task}/signal?start=10&end=12&leads={}",
                label.replace(' ', "%20")
            ),
        )
        .json();
    let l = &w["leads"][0];
    assert_eq!(
        (
            l["first_sample"].as_u64(),
            l["samples"].as_u64(),
            l["step"].as_u64()
        ),
        (Some(2560), Some(512), Some(1))
    );
    assert_eq!(l["unit"], "mV");
    let raw: Vec<f64> = l["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(raw.len(), 512);
    let edf = ecg_edf_values(&label, 2560, 512);
    for (a, b) in raw.iter().zip(&edf) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    let wide = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/signal?start=0&end=240&max_points=500"),
        )
        .json();
    assert_eq!(wide["leads"].as_array().unwrap().len(), 3);
    let l = &wide["leads"][0];
    assert_eq!(l["step"], 123); // ceil(61440 / 500)
    let mins = l["min"].as_array().unwrap();
    let maxs = l["max"].as_array().unwrap();
    assert_eq!(mins.len(), 500);
    let whole = ecg_edf_values(&label, 0, 123);
    let (lo, hi) = whole
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    assert!((mins[0].as_f64().unwrap() - lo).abs() < 1e-4);
    assert!((maxs[0].as_f64().unwrap() - hi).abs() < 1e-4);
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/signal?start=0&end=5&leads=V9"),
    )
    .assert_problem(422, "validation-failed");
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/signal?start=5&end=1"),
    )
    .assert_problem(400, "bad-request");

    // beats of a window
    let b = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/beats?start=0&end=30"),
        )
        .json();
    let samples: Vec<i64> = b["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(
        samples.len() > 25 && samples.len() < 50,
        "{}",
        samples.len()
    );
    assert_eq!(b["class"].as_str().unwrap().len(), samples.len());
    assert!(samples.iter().all(|&x| (0..=30 * 256).contains(&x)));
    let classes: Vec<char> = b["class"].as_str().unwrap().chars().collect();
    // episodes, page by page: every episode of the result, in order, whatever the page size
    let result = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    let all = result["analysis"]["records"][0]["episodes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(all.len() > 3, "{}", all.len());
    let mut paged: Vec<Value> = Vec::new();
    let mut offset = 0;
    loop {
        let p = s
            .get(
                Some(&token),
                &format!("/api/v1/tasks/{task}/episodes?limit=3&offset={offset}"),
            )
            .json();
        assert_eq!(p["total"].as_u64().unwrap() as usize, all.len(), "{p}");
        assert_eq!(p["offset"].as_u64().unwrap() as usize, offset);
        let page = p["episodes"].as_array().unwrap();
        assert!(!page.is_empty() && page.len() <= 3, "{p}");
        paged.extend(page.iter().cloned());
        match p["next_offset"].as_u64() {
            Some(n) => offset = n as usize,
            None => break,
        }
    }
    let key_of = |e: &Value| (e["start"].as_i64().unwrap(), e["end"].as_i64().unwrap());
    let mut sorted = all.clone();
    sorted.sort_by_key(key_of);
    assert_eq!(paged, sorted);
    // one kind, inside a time window
    let kind = all[0]["kind"].as_str().unwrap().to_owned();
    let fs = 256.0;
    let p = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/episodes?kind={kind}&start=0&end=120"),
        )
        .json();
    let expected: Vec<&Value> = sorted
        .iter()
        .filter(|e| e["kind"] == kind.as_str())
        .filter(|e| e["start"].as_f64().unwrap() <= 120.0 * fs && e["end"].as_i64().unwrap() >= 0)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        p["episodes"].as_array().unwrap().iter().collect::<Vec<_>>(),
        expected
    );
    assert!(p.get("next_offset").is_none(), "{p}");
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/episodes?kind=flutter_of_joy"),
    )
    .assert_problem(422, "validation-failed");
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/episodes?limit=0"),
    )
    .assert_problem(422, "validation-failed");
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/episodes?start=60&end=10"),
    )
    .assert_problem(400, "bad-request");
    s.get(Some(&other_key), &format!("/api/v1/tasks/{task}/episodes"))
        .assert_problem(404, "not-found");
    // several kinds at once (what the viewer's paged event list asks: every kind but sinus
    // rhythm), and `seek`: the page that starts at the first episode from a time on, with its
    // position in the whole selection
    let kinds: Vec<String> = {
        let mut k: Vec<String> = sorted
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .filter(|k| k != "sinus_rhythm")
            .collect();
        k.sort();
        k.dedup();
        k
    };
    assert!(!kinds.is_empty(), "{sorted:?}");
    let events: Vec<&Value> = sorted
        .iter()
        .filter(|e| e["kind"] != "sinus_rhythm")
        .collect();
    let p = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/episodes?kind={}", kinds.join(",")),
        )
        .json();
    assert_eq!(p["total"].as_u64().unwrap() as usize, events.len(), "{p}");
    assert_eq!(
        p["episodes"].as_array().unwrap().iter().collect::<Vec<_>>(),
        events
    );
    let mid = events[events.len() / 2];
    let seek_s = mid["start"].as_f64().unwrap() / fs;
    let p = s
        .get(
            Some(&token),
            &format!(
                "/api/v1/tasks/{task}/episodes?kind={}&seek={seek_s}&limit=2&offset=0",
                kinds.join(",")
            ),
        )
        .json();
    let first_at = events
        .iter()
        .position(|e| e["start"].as_f64().unwrap() >= mid["start"].as_f64().unwrap())
        .unwrap();
    assert_eq!(p["offset"].as_u64().unwrap() as usize, first_at, "{p}");
    assert_eq!(&p["episodes"][0], events[first_at], "{p}");
    assert_eq!(p["total"].as_u64().unwrap() as usize, events.len());
    let past_end = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/episodes?seek=100000"),
        )
        .json();
    assert_eq!(past_end["offset"], past_end["total"], "{past_end}");
    assert_eq!(past_end["episodes"], json!([]));
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/episodes?kind=pause,flutter_of_joy"),
    )
    .assert_problem(422, "validation-failed");
    // the overview's own bound: a shorter list, the counts of all
    let short = s
        .get(
            Some(&token),
            &format!("/api/v1/tasks/{task}/overview?max_episodes=1"),
        )
        .json();
    assert_eq!(short["episodes"].as_array().unwrap().len(), 1, "{short}");
    assert_eq!(
        short["episodes_total"].as_u64().unwrap() as usize,
        all.len()
    );
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/overview?max_episodes=0"),
    )
    .assert_problem(422, "validation-failed");
    s.get(
        Some(&token),
        &format!("/api/v1/tasks/{task}/overview?max_episodes=5001"),
    )
    .assert_problem(422, "validation-failed");
    // normal beats of the window, to edit
    let n: Vec<i64> = samples
        .iter()
        .zip(&classes)
        .filter(|(_, c)| **c == 'N')
        .map(|(s, _)| *s)
        .collect();
    assert!(n.len() > 10, "{classes:?}");
    let counts = |ov: &Value| -> Vec<u64> {
        ov["summary"]["class_counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    let c0 = counts(&ov);
    let v_buckets = |ov: &Value| -> u64 {
        ov["trend"]["v"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    let v0 = v_buckets(&ov);

    // edits: relabel, add, delete, template; numbers recomputed; undo/redo; audit trail
    let r = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "relabel", "beats": [{"sample": n[5], "class": "V"}]},
               "expected_version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let ov = r.json();
    assert_eq!(ov["version"], 2);
    assert_eq!(counts(&ov)[2], c0[2] + 1);
    assert_eq!(counts(&ov)[0], c0[0] - 1);
    assert_eq!(v_buckets(&ov), v0 + 1);
    assert_eq!(ov["review"]["can_undo"], true);
    // stale version
    edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "set_conclusion", "conclusion": "x"}, "expected_version": 1}),
    )
    .assert_problem(409, "conflict");
    // bad edits are 422 and change nothing
    edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "delete_beats", "samples": [n[5] + 1]}}),
    )
    .assert_problem(422, "validation-failed");
    edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "replace_episode", "new": {"kind": "pause", "start": 0, "end": 10}}}),
    )
    .assert_problem(422, "validation-failed");
    edit(&s, &token, &task, json!({"edit": {"op": "explode"}})).assert_problem(400, "bad-request");
    let mid = (n[6] + n[7]) / 2;
    assert!(!samples.contains(&mid));
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "add_beats", "beats": [{"sample": mid, "class": "S"}]}}),
    )
    .json();
    assert_eq!(ov["total_beats"].as_u64().unwrap(), beats_total + 1);
    assert_eq!(counts(&ov)[1], c0[1] + 1);
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "delete_beats", "samples": [n[10], n[11]]}}),
    )
    .json();
    assert_eq!(ov["total_beats"].as_u64().unwrap(), beats_total - 1);
    let before_template = ov.clone();
    let tmpl = ov["templates"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|t| t["count"].as_u64())
        .unwrap()
        .clone();
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "relabel_template", "template": tmpl["id"], "class": "Q"}}),
    )
    .json();
    assert!(counts(&ov)[4] >= tmpl["count"].as_u64().unwrap());
    assert!(counts(&ov)[4] > counts(&before_template)[4]);
    let ov_undo = s
        .post_json(
            &token,
            &format!("/api/v1/tasks/{task}/edits/undo"),
            &json!({}),
        )
        .json();
    assert_eq!(ov_undo["summary"], before_template["summary"]);
    assert_eq!(ov_undo["templates"], before_template["templates"]);
    assert_eq!(ov_undo["review"]["can_redo"], true);
    let ov_redo = s
        .post_json(
            &token,
            &format!("/api/v1/tasks/{task}/edits/redo"),
            &json!({}),
        )
        .json();
    assert_eq!(ov_redo["summary"], ov["summary"]);
    s.post_json(
        &token,
        &format!("/api/v1/tasks/{task}/edits/redo"),
        &json!({}),
    )
    .assert_problem(409, "conflict");
    s.post_json(
        &token,
        &format!("/api/v1/tasks/{task}/edits/undo"),
        &json!({}),
    );
    // AF episode: burden recomputed
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "replace_episode",
                        "new": {"kind": "atrial_fibrillation", "start": 0, "end": 6144}}}),
    )
    .json();
    let burden = ov["summary"]["af_burden"].as_f64().unwrap();
    assert!((burden - 0.1).abs() < 1e-9, "{burden}");
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "replace_episode",
                        "old": {"kind": "atrial_fibrillation", "start": 0, "end": 6144},
                        "new": {"kind": "atrial_fibrillation", "start": 0, "end": 12288}}}),
    )
    .json();
    assert!((ov["summary"]["af_burden"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "set_statements", "statements": [{"text": "Sinus rhythm"}]}}),
    )
    .json();
    assert_eq!(ov["review"]["statements"], json!(["Sinus rhythm"]));
    let ov = edit(
        &s,
        &token,
        &task,
        json!({"edit": {"op": "set_conclusion", "conclusion": "One VEB, one SVEB; AF 48 s."}}),
    )
    .json();
    let version = ov["version"].as_u64().unwrap();
    assert_eq!(version, 12);

    // the materialised result has every edit; stored versions stay small
    let res = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    assert_eq!(res["version"], version);
    let beats = res["analysis"]["records"][0]["beats"].as_array().unwrap();
    assert_eq!(beats.len() as u64, beats_total - 1);
    assert_eq!(res["total_beats"].as_u64().unwrap(), beats_total - 1);
    assert!(
        beats
            .iter()
            .any(|b| b["sample"] == n[5] && b["class"] == "V")
    );
    assert!(
        beats
            .iter()
            .any(|b| b["sample"] == mid && b["class"] == "S")
    );
    assert!(beats.iter().all(|b| b["sample"] != n[10]));
    assert_eq!(counts(&ov)[2], c0[2] + 1);
    assert_eq!(res["review"]["edits"].as_array().unwrap().len(), 11);
    // later versions are stored as the edit log on top of version 1
    let stored: Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join(format!("blobs/objects/results/{task}/v{version}.json")),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(stored["analysis"]["records_from_version"], 1);
    assert!(stored["analysis"].get("records").is_none());
    assert_eq!(stored["review"]["edits"].as_array().unwrap().len(), 11);
    let revs = s
        .get(
            Some(&key),
            &format!("/api/v1/tasks/{task}/result/revisions"),
        )
        .json();
    let revs = revs.as_array().unwrap();
    assert_eq!(revs.len() as u64, version);
    assert_eq!(revs[1]["action"], "edit");
    assert!(
        revs[1]["actor"]
            .as_str()
            .unwrap()
            .starts_with("Dr. Who (clinic-a, key ecgk_")
    );
    assert!(revs[1]["actor"].as_str().unwrap().contains("viewer token"));
    assert_eq!(revs[1]["changes"]["op"]["op"], "relabel");

    // a restarted server materialises the same result from the stored versions
    drop(s);
    let s = Server::start(dir.path(), &[]);
    let again = s
        .get(Some(&key), &format!("/api/v1/tasks/{task}/result"))
        .json();
    assert_eq!(again, res);

    // share links are read-only; approve with the token; the PDF has the edits
    let share = s
        .post_json(
            &key,
            &format!("/api/v1/tasks/{task}/share-links"),
            &json!({}),
        )
        .json();
    let st = share["token"].as_str().unwrap();
    let sov = s.get(None, &format!("/api/v1/shared/{st}/overview")).json();
    assert_eq!(sov["editable"], false);
    assert_eq!(sov["summary"], ov["summary"]);
    assert_eq!(
        s.get(None, &format!("/api/v1/shared/{st}/signal?start=0&end=1"))
            .status,
        200
    );
    assert_eq!(
        s.get(None, &format!("/api/v1/shared/{st}/beats?start=0&end=10"))
            .status,
        200
    );
    let shared_eps = s
        .get(None, &format!("/api/v1/shared/{st}/episodes?limit=5000"))
        .json();
    assert_eq!(
        shared_eps["total"],
        s.get(Some(&key), &format!("/api/v1/tasks/{task}/episodes"))
            .json()["total"]
    );
    let resp = s
        .agent
        .post(s.url(&format!("/api/v1/shared/{st}/edits")))
        .header("Content-Type", "application/json")
        .send(&br#"{"edit":{"op":"set_conclusion","conclusion":"no"}}"#[..])
        .unwrap();
    assert!(
        matches!(resp.status().as_u16(), 404 | 405),
        "{}",
        resp.status()
    );
    edit(
        &s,
        st,
        &task,
        json!({"edit": {"op": "set_conclusion", "conclusion": "no"}}),
    )
    .assert_problem(401, "unauthorized");
    let token2 = s
        .post_json(
            &key,
            &format!("/api/v1/tasks/{task}/viewer-token"),
            &json!({}),
        )
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ap = s.post_json(
        &token2,
        &format!("/api/v1/tasks/{task}/approve"),
        &json!({"reviewer": "Dr. Approver"}),
    );
    assert_eq!(ap.status, 200, "{}", ap.text());
    edit(
        &s,
        &token2,
        &task,
        json!({"edit": {"op": "set_conclusion", "conclusion": "late"}}),
    )
    .assert_problem(409, "conflict");
    let pdf = s.wait_pdf(Some(&token2), &format!("/api/v1/tasks/{task}/report"));
    let text = pdf_text(&pdf);
    assert!(text.contains("One VEB, one SVEB; AF 48 s."), "{text}");
    assert!(text.contains("Dr. Approver"), "{text}");
    assert!(
        text.contains(&format!("Total beats {}", beats_total - 1)),
        "beat total after edits in the PDF: {text}"
    );
    assert!(
        text.contains(&format!("Ventricular (V) {} (", c0[2] + 1)),
        "{text}"
    );
    assert_eq!(
        s.wait_pdf(None, &format!("/api/v1/shared/{st}/report")),
        pdf
    );
    let sov = s.get(None, &format!("/api/v1/shared/{st}/overview")).json();
    assert_eq!(sov["task"]["status"], "completed");
    assert!(
        sov["approved_by"]
            .as_str()
            .unwrap()
            .starts_with("Dr. Approver")
    );

    // revoking the API key revokes its viewer tokens
    let out = std::process::Command::new(BIN)
        .args(["keys", "revoke", &key, "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    s.get(Some(&token2), &format!("/api/v1/tasks/{task}"))
        .assert_problem(401, "unauthorized");
}

/// Physical values (mV) of a window of one signal of the 4-minute prefix, decoded with
/// ecg-edf directly.
fn ecg_edf_values(label: &str, start: usize, len: usize) -> Vec<f64> {
    let data = std::fs::read(shared("edf/holter_3ch_1h.edf")).unwrap();
    let rec = ecg_edf::decode(
        "holter.edf",
        ecg_core::SharedBytes::from_vec(data),
        &ecg_core::DecodeOptions::default(),
    )
    .unwrap();
    let sig = rec.signal(label).unwrap();
    let f = if sig.unit == "uV" { 1e-3 } else { 1.0 };
    sig.physical(start..start + len)
        .unwrap()
        .into_iter()
        .map(|v| v * f)
        .collect()
}
