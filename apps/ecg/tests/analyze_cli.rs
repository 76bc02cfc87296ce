//! `ecg analyze` and `ecg eval` end to end on MIT-BIH record 100.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(rel)
}

fn ecg(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecg"))
        .args(args)
        .output()
        .expect("run ecg");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn analyze_writes_mit_annotations_that_eval_scores() {
    let dir = tempfile::tempdir().unwrap();
    let rec = shared("wfdb/100");
    let ann = dir.path().join("100.ecg");
    let json = dir.path().join("100.json");
    let (ok, out, err) = ecg(&[
        "analyze".as_ref(),
        rec.as_os_str(),
        "--annotations".as_ref(),
        ann.as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("record 100"), "{out}");
    // one annotation per beat, AAMI classes as MIT codes
    let set = ecg_wfdb::read_annotations_path(&ann).unwrap();
    let beats: Vec<_> = set
        .annotations
        .iter()
        .filter(|a| a.code.is_beat())
        .collect();
    assert!((2270..=2280).contains(&beats.len()), "{}", beats.len());
    assert!(
        beats
            .iter()
            .all(|a| matches!(a.code.mnemonic().as_ref(), "N" | "S" | "V" | "F" | "Q"))
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["beats"].as_array().unwrap().len(), beats.len());
    assert_eq!(v["fs"], 360.0);
    assert!(v["hrv"]["sdnn_ms"].as_f64().unwrap() > 0.0);

    // the harness scores the file like bxb: every reference beat matched
    let (ok, out, err) = ecg(&[
        "eval".as_ref(),
        "--test".as_ref(),
        "ecg".as_ref(),
        "--test-dir".as_ref(),
        dir.path().as_os_str(),
        rec.as_os_str(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("| 100 | 2273 |"), "{out}");
    assert!(out.contains("**gross**"), "{out}");
    // from 5:00 on (EC57 learning period) there are fewer reference beats
    let (ok, out, _) = ecg(&[
        "eval".as_ref(),
        "--test-dir".as_ref(),
        dir.path().as_os_str(),
        "--start".as_ref(),
        "5:00".as_ref(),
        "--json".as_ref(),
        rec.as_os_str(),
    ]);
    assert!(ok);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let total = rows[0]["matched"].as_u64().unwrap() + rows[0]["missed"].as_u64().unwrap();
    assert!(total < 2273 && total > 1800, "{total}");
}

#[test]
fn eval_analyze_mode_and_bad_input() {
    let rec = shared("qtdb/sel116");
    let (ok, out, err) = ecg(&["eval".as_ref(), "--analyze".as_ref(), rec.as_os_str()]);
    assert!(ok, "{err}");
    assert!(out.contains("| sel116 | 1185 |"), "{out}");
    let (ok, _, err) = ecg(&["analyze".as_ref(), "/nonexistent/record".as_ref()]);
    assert!(!ok);
    assert!(err.contains("nonexistent"), "{err}");
    let (ok, _, err) = ecg(&[
        "eval".as_ref(),
        "--start".as_ref(),
        "x:y".as_ref(),
        rec.as_os_str(),
    ]);
    assert!(!ok && err.contains("not a time"), "{err}");
}
