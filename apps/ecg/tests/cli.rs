//! The CLI contracts of docs/CLI.md, checked on real files against the peer references in
//! `../shared/testdata` (wfdb-python, pyedflib, BioSig).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared(rel: &str) -> PathBuf {
    let p = repo().join("../shared/testdata").join(rel);
    assert!(p.exists(), "missing shared test data {}", p.display());
    p
}

fn ecg(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecg"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn inspect_json(path: &Path) -> Value {
    let (code, out, err) = ecg(&["inspect", "--json", "--stats", path.to_str().unwrap()]);
    assert_eq!(code, 0, "stderr: {err}");
    serde_json::from_str(&out).unwrap()
}

fn reference(folder: &str) -> Value {
    let text = std::fs::read_to_string(shared(&format!("{folder}/REFERENCE.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn inspect_wfdb_matches_the_contract_example_and_wfdb_python() {
    let v = inspect_json(&repo().join("testdata/wfdb/100.hea"));
    let r = &v["records"][0];
    assert_eq!(r["name"], "100");
    assert_eq!(r["format"], "wfdb");
    assert_eq!(r["duration_s"], 1805.556);
    let s = &r["signals"][0];
    assert_eq!(s["label"], "MLII");
    assert_eq!(s["sampling_frequency"], 360.0);
    assert_eq!(s["unit"], "mV");
    assert_eq!(s["samples"], 650000);
    assert_eq!(s["digital_min"], 481);
    assert_eq!(s["digital_max"], 1311);
    assert_eq!(s["digital_sum"], 625781133i64);
    assert!((s["physical_sum"].as_f64().unwrap() + 199094.335).abs() < 1e-6);
    assert_eq!(v["skipped"], Value::Array(vec![]));

    // Every signal of a multi-frequency record against wfdb-python's reference.
    let reference = reference("wfdb");
    let v = inspect_json(&shared("wfdb/03700181.hea").with_extension(""));
    let expect = &reference["records"]["03700181.hea"]["signals"];
    let got = v["records"][0]["signals"].as_array().unwrap();
    assert_eq!(got.len(), 3);
    // wfdb-python's statistics include the invalid-sample marker (-2048 in format 212);
    // the contract excludes missing samples, so RESP (4 markers) differs by exactly them.
    let mut missing_seen = 0;
    for (g, e) in got.iter().zip(expect.as_array().unwrap()) {
        assert_eq!(g["label"], e["name"]);
        assert_eq!(g["samples"], e["n"]);
        assert_eq!(g["sampling_frequency"], e["fs"]);
        assert_eq!(g["digital_max"], e["max"]);
        let missing = g["missing_samples"].as_i64().unwrap();
        missing_seen += missing;
        let sum = g["digital_sum"].as_i64().unwrap();
        assert_eq!(sum - 2048 * missing, e["sum"].as_i64().unwrap());
        if missing == 0 {
            assert_eq!(g["digital_min"], e["min"]);
        } else {
            assert_eq!(e["min"], -2048);
            assert!(g["digital_min"].as_i64().unwrap() > -2048);
        }
    }
    assert_eq!(missing_seen, 4);
}

#[test]
fn annotations_stats_match_the_contract_example() {
    let (code, out, err) = ecg(&[
        "annotations",
        "--json",
        "--stats",
        repo().join("testdata/wfdb/100.atr").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let expect: Value = serde_json::from_str(
        r#"{"count": 2274, "first_sample": 18, "last_sample": 649991, "sample_sum": 738342143,
            "symbols": {"N": 2239, "A": 33, "V": 1, "+": 1}}"#,
    )
    .unwrap();
    assert_eq!(v, expect);
}

#[test]
fn inspect_edf_and_scp_match_their_peer_references() {
    let edf_ref = reference("edf");
    let v = inspect_json(&shared("edf/test_generator.edf"));
    let r = &v["records"][0];
    assert_eq!(r["format"], "edf");
    let expect = edf_ref["files"]["test_generator.edf"]["signals"]
        .as_array()
        .unwrap();
    let got = r["signals"].as_array().unwrap();
    assert_eq!(got.len(), expect.len());
    for (g, e) in got.iter().zip(expect) {
        assert_eq!(g["samples"], e["n_samples"]);
        assert_eq!(g["digital_min"], e["samples_digital_min"]);
        assert_eq!(g["digital_max"], e["samples_digital_max"]);
        assert_eq!(g["digital_sum"], e["samples_digital_sum"]);
        let (gp, ep) = (
            g["physical_sum"].as_f64().unwrap(),
            e["samples_physical_sum"].as_f64().unwrap(),
        );
        assert!((gp - ep).abs() < 1e-3 * ep.abs().max(1.0), "{gp} vs {ep}");
    }

    let scp_ref = reference("scp");
    let v = inspect_json(&shared("scp/ecgtoolkit_Example.scp"));
    let r = &v["records"][0];
    assert_eq!(r["format"], "scp");
    let expect = scp_ref["files"]["ecgtoolkit_Example.scp"]["biosig"]["channels"]
        .as_array()
        .unwrap();
    let got = r["signals"].as_array().unwrap();
    assert_eq!(got.len(), 12);
    for (g, e) in got.iter().zip(expect) {
        assert_eq!(g["label"], e["label"]);
        assert_eq!(g["samples"], e["n_samples"]);
        assert_eq!(g["digital_sum"], e["digital_sum"]);
        assert_eq!(g["digital_min"], e["digital_min"]);
        assert_eq!(g["digital_max"], e["digital_max"]);
    }
}

#[test]
fn bad_input_fails_with_a_message_naming_the_file() {
    let (code, out, err) = ecg(&[
        "inspect",
        shared("edf/not_edf_random.bin").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("not_edf_random.bin"), "{err}");
    let (code, _, err) = ecg(&["inspect", "/nonexistent/x.edf"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/x.edf"), "{err}");
    let (code, _, _) = ecg(&["inspect"]);
    assert_eq!(code, 2, "usage errors exit with 2");
}

#[test]
fn export_csv_and_wfdb_round_trip_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("testdata/wfdb/100.hea");
    let csv = dir.path().join("100.csv");
    let wfdb = dir.path().join("copy");
    let (code, _, err) = ecg(&[
        "export",
        src.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--wfdb",
        wfdb.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time_s,MLII (mV),V5 (mV)"));
    // First frame of record 100 is (995, 1011) with gain 200 and baseline 1024.
    assert_eq!(lines.next(), Some("0,-0.145,-0.065"));
    assert_eq!(text.lines().count(), 650_001);

    let a = inspect_json(&src);
    let b = inspect_json(&wfdb.join("100.hea"));
    for (x, y) in a["records"][0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["records"][0]["signals"].as_array().unwrap())
    {
        for k in [
            "label",
            "samples",
            "digital_min",
            "digital_max",
            "digital_sum",
            "physical_sum",
        ] {
            assert_eq!(x[k], y[k], "{k}");
        }
    }
}

#[test]
fn report_writes_a_resting_pdf_with_the_analysis_and_refuses_a_missing_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s0010.pdf");
    let rec = shared("wfdb/s0010_re.hea");
    let (code, _, err) = ecg(&[
        "report",
        rec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--name",
        "Zoë Test",
        "--conclusion",
        "Checked by the CLI test.",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(err.contains("resting 12-lead report"), "{err}");
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(err.contains(&format!("{} bytes", pdf.len())), "{err}");
    let text = Command::new("pdftotext")
        .args([out.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is needed: apt-get install poppler-utils");
    let text = String::from_utf8(text.stdout).unwrap();
    for want in [
        "Zoë Test",
        "Checked by the CLI test.",
        "Resting 12-lead ECG",
        "aVR",
        "V6",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
    // a record index the input does not hold: exit 1, a clear message, no file
    let missing = dir.path().join("none.pdf");
    let (code, _, err) = ecg(&[
        "report",
        rec.to_str().unwrap(),
        "--record",
        "3",
        "--out",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("holds 1 record(s)"), "{err}");
    assert!(!missing.exists());
    // analyze and export refuse it the same way
    let csv = dir.path().join("none.csv");
    for args in [
        vec!["analyze", rec.to_str().unwrap(), "--record", "3"],
        vec![
            "export",
            "--csv",
            csv.to_str().unwrap(),
            "--record",
            "3",
            rec.to_str().unwrap(),
        ],
    ] {
        let (code, out, err) = ecg(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(
            err.contains("holds 1 record(s); --record 3 does not exist"),
            "{err}"
        );
        assert!(out.is_empty(), "{out}");
    }
    assert!(!csv.exists());
}
