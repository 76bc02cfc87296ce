//! Accuracy on real PhysioNet records read with `ecg-wfdb`, scored with the EC57 harness.
//!
//! The fast tests check single records; the full set (20 QT-database records and MIT-BIH
//! 100) runs with `cargo test --release -p ecg-analysis -- --ignored` and prints the
//! record-by-record table of docs/ACCURACY.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_analysis::eval::{EvalOptions, RecordEval, evaluate_record, gross, markdown_table};
use ecg_analysis::{Config, analyze};
use ecg_core::{AamiClass, DecodeOptions};

const QTDB: [&str; 20] = [
    "sel114", "sel116", "sel223", "sel230", "sel301", "sel302", "sel306", "sel307", "sel803",
    "sel808", "sel820", "sel840", "sel14046", "sel14157", "sel16265", "sel16272", "sele0104",
    "sele0106", "sele0107", "sele0110",
];

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(rel)
}

fn evaluate(db: &str, name: &str) -> (RecordEval, ecg_analysis::Analysis) {
    let base = shared(&format!("{db}/{name}"));
    let record = ecg_wfdb::decode_path(&base, &DecodeOptions::default()).expect("record");
    let reference =
        ecg_wfdb::read_annotations_path(&shared(&format!("{db}/{name}.atr"))).expect("atr");
    let analysis = analyze(&record, &Config::default()).expect("analysis");
    let test = analysis.to_annotations("ecg");
    let fs = record.signals[0].fs;
    let len = record.signals[0].len() as i64;
    let e = evaluate_record(name, &reference, &test, fs, len, &EvalOptions::default());
    (e, analysis)
}

#[test]
fn mitdb_100_every_beat_and_its_ectopy() {
    let (e, a) = evaluate("wfdb", "100");
    assert_eq!(e.matched() + e.missed(), 2273, "reference beats of 100.atr");
    assert!(e.qrs_se().unwrap() >= 0.999, "{:?}", e.qrs_se());
    assert!(e.qrs_pp().unwrap() >= 0.999, "{:?}", e.qrs_pp());
    assert!(e.rms_error_ms().unwrap() < 10.0);
    // 33 atrial premature beats and one PVC in the reference
    assert!(e.sveb_se().unwrap() >= 0.8, "{:?}", e.sveb_se());
    assert_eq!(e.veb_se(), Some(1.0));
    assert_eq!(a.leads, vec!["MLII", "V5"]);
    assert_eq!(a.fs, 360.0);
    let hrv = a.hrv.expect("hrv");
    assert!(
        hrv.mean_nn_ms > 700.0 && hrv.mean_nn_ms < 850.0,
        "{}",
        hrv.mean_nn_ms
    );
    assert!(hrv.frequency.is_some() && hrv.sample_entropy.is_some());
    // the annotation file round-trips through the WFDB writer and reader
    let set = a.to_annotations("ecg");
    let bytes = ecg_wfdb::write_annotations(&set).unwrap();
    let back = ecg_wfdb::read_annotations(&bytes, "ecg").unwrap();
    assert_eq!(back.annotations.len(), set.annotations.len());
    assert!(
        back.annotations
            .iter()
            .zip(&set.annotations)
            .all(|(x, y)| x.sample == y.sample && x.code == y.code)
    );
}

#[test]
fn sel223_ventricular_ectopy_and_runs() {
    let (e, a) = evaluate("qtdb", "sel223");
    assert_eq!(e.reference_count(AamiClass::V), 292);
    assert!(e.qrs_se().unwrap() >= 0.998 && e.qrs_pp().unwrap() >= 0.998);
    assert!(e.veb_se().unwrap() >= 0.95, "{:?}", e.veb_se());
    assert!(e.veb_pp().unwrap() >= 0.95, "{:?}", e.veb_pp());
    use ecg_analysis::EpisodeKind::*;
    let kinds: Vec<_> = a.episodes.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&VentricularCouplet));
    assert!(kinds.contains(&VentricularTachycardia) || kinds.contains(&VentricularRun));
}

#[test]
#[ignore = "whole accuracy set (about 25 s in release); run with --release -- --ignored"]
fn accuracy_goals_over_the_set() {
    let mut evals = Vec::new();
    for name in QTDB {
        evals.push(evaluate("qtdb", name).0);
    }
    evals.push(evaluate("wfdb", "100").0);
    println!("{}", markdown_table(&evals));
    let g = gross(&evals);
    assert!(g.qrs_se().unwrap() >= 0.9985, "QRS Se {:?}", g.qrs_se());
    assert!(g.qrs_pp().unwrap() >= 0.9985, "QRS +P {:?}", g.qrs_pp());
    assert!(g.veb_se().unwrap() >= 0.95, "VEB Se {:?}", g.veb_se());
    assert!(g.veb_pp().unwrap() >= 0.95, "VEB +P {:?}", g.veb_pp());
    assert!(g.sveb_se().unwrap() >= 0.80, "SVEB Se {:?}", g.sveb_se());
    assert!(g.sveb_pp().unwrap() >= 0.70, "SVEB +P {:?}", g.sveb_pp());
}

/// The PhysioNet/CinC 2015 alarm records carry a plethysmogram (`PLETH`, normalised units)
/// and a respiration trace beside their ECG leads: beats are detected on the ECG leads only.
#[test]
fn alarm_records_are_analysed_on_their_ecg_leads() {
    for (name, beats) in [("a103l", 660), ("v102s", 560)] {
        let record =
            ecg_wfdb::decode_path(&shared(&format!("wfdb/{name}")), &DecodeOptions::default())
                .unwrap();
        assert!(record.signals.iter().any(|s| s.label == "PLETH"));
        let analysis = analyze(&record, &Config::default()).unwrap();
        assert_eq!(analysis.leads, ["II", "V"], "{name}");
        assert_eq!(analysis.beats.len(), beats, "{name}");
    }
}
