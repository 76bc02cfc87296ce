//! Wave delineation against the cardiologists' marks of the QT database (`.q1c`, `.q2c`)
//! and the same comparison for ecgpuwave's automatic marks (`.pu0`, `.pu1`).
//!
//! The fast test checks one record; the whole set runs with
//! `cargo test --release -p ecg-analysis --test delineation -- --ignored --nocapture` and
//! prints the table of docs/ACCURACY.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_analysis::delineate::{DelineatorConfig, delineate, median_beat};
use ecg_analysis::filter::Preprocess;
use ecg_analysis::wave_eval::{
    BoundaryStats, MarkedBeat, WaveErrors, markdown_table, marked_beats, match_marked,
};
use ecg_analysis::{Config, analyze};
use ecg_core::DecodeOptions;

const QTDB: [&str; 20] = [
    "sel114", "sel116", "sel223", "sel230", "sel301", "sel302", "sel306", "sel307", "sel803",
    "sel808", "sel820", "sel840", "sel14046", "sel14157", "sel16265", "sel16272", "sele0104",
    "sele0106", "sele0107", "sele0110",
];

fn qtdb(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/qtdb"
    ))
    .join(rel)
}

/// Errors of our delineation and of ecgpuwave's (lead 0, lead 1, best lead) against the
/// reference annotator `reference` (`q1c` or `q2c`) of one record.
struct RecordErrors {
    ours: WaveErrors,
    local: WaveErrors,
    pu0: WaveErrors,
    pu1: WaveErrors,
    pu_best: WaveErrors,
}

fn evaluate(name: &str, reference: &str) -> RecordErrors {
    let record = ecg_wfdb::decode_path(&qtdb(name), &DecodeOptions::default()).unwrap();
    let fs = record.signals[0].fs;
    let analysis = analyze(&record, &Config::default()).unwrap();
    let pre = Preprocess::default();
    let leads: Vec<Vec<f32>> = record.signals[..2]
        .iter()
        .map(|s| {
            let mut x: Vec<f32> = s
                .physical(0..s.len())
                .unwrap()
                .into_iter()
                .map(|v| if v.is_finite() { v as f32 } else { 0.0 })
                .collect();
            pre.apply(fs, &mut x);
            x
        })
        .collect();
    let refs: Vec<&[f32]> = leads.iter().map(|v| v.as_slice()).collect();
    let read = |ext: &str| {
        let set = ecg_wfdb::read_annotations_path(&qtdb(&format!("{name}.{ext}"))).unwrap();
        marked_beats(&set, fs)
    };
    let reference = read(reference);
    assert!(!reference.is_empty(), "{name}: no marked beats");
    let window = (0.15 * fs).round() as i64;
    // our beats nearest to the marked ones, delineated
    let beats: Vec<i64> = analysis.beats.iter().map(|b| b.sample).collect();
    let mut cfg = DelineatorConfig::default();
    if let Ok(v) = std::env::var("DEL_T2") {
        cfg.t_second_lobe = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("DEL_TREF") {
        cfg.t_reference_s = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("DEL_QOFF") {
        cfg.qrs_offset_fraction = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("DEL_QON") {
        cfg.qrs_onset_fraction = v.parse().unwrap();
    }
    let both: Vec<(MarkedBeat, Option<MarkedBeat>)> = reference
        .iter()
        .filter_map(|rb| {
            let k = beats.partition_point(|&s| s < rb.qrs_peak);
            let j = [k.checked_sub(1), (k < beats.len()).then_some(k)]
                .into_iter()
                .flatten()
                .min_by_key(|&j| (beats[j] - rb.qrs_peak).abs())?;
            let r = beats[j] as usize;
            let rr = |a: usize, b: usize| (beats[b] - beats[a]) as f64 / fs;
            let prev = if j > 0 { rr(j - 1, j) } else { f64::NAN };
            let next = if j + 1 < beats.len() {
                rr(j, j + 1)
            } else {
                f64::NAN
            };
            let w = delineate(&refs, fs, r, prev, next, &cfg);
            // local median: the beat and up to 4 normal neighbours on each side
            let near: Vec<usize> = (j.saturating_sub(4)..(j + 5).min(beats.len()))
                .filter(|&k| {
                    k == j
                        || analysis.beats[k].class == ecg_core::AamiClass::N
                            && analysis.beats[k].template == analysis.beats[j].template
                })
                .map(|k| beats[k] as usize)
                .collect();
            let (pre, post) = ((0.7 * fs) as usize, (1.0 * fs) as usize);
            let lw = median_beat(&refs, &near, pre, post).map(|m| {
                let mr: Vec<&[f32]> = m.iter().map(|v| v.as_slice()).collect();
                delineate(&mr, fs, pre, prev, next, &cfg)
            });
            Some((
                MarkedBeat::from_waves(beats[j], &w, 0),
                lw.map(|w| MarkedBeat::from_waves(beats[j], &w, r as i64 - pre as i64)),
            ))
        })
        .collect::<Vec<_>>();
    let local: Vec<MarkedBeat> = both.iter().filter_map(|x| x.1).collect();
    let ours: Vec<MarkedBeat> = both.iter().map(|x| x.0).collect();
    let mut local_sorted = local.clone();
    local_sorted.sort_by_key(|b| b.qrs_peak);
    local_sorted.dedup_by_key(|b| b.qrs_peak);
    let ml = match_marked(&reference, &local_sorted, window);
    let mut ours_sorted = ours.clone();
    ours_sorted.sort_by_key(|b| b.qrs_peak);
    ours_sorted.dedup_by_key(|b| b.qrs_peak);
    let pu0 = read("pu0");
    let pu1 = read("pu1");
    let m = match_marked(&reference, &ours_sorted, window);
    let m0 = match_marked(&reference, &pu0, window);
    let m1 = match_marked(&reference, &pu1, window);
    let mut out = RecordErrors {
        ours: WaveErrors::default(),
        local: WaveErrors::default(),
        pu0: WaveErrors::default(),
        pu1: WaveErrors::default(),
        pu_best: WaveErrors::default(),
    };
    for (i, rb) in reference.iter().enumerate() {
        out.ours.add(rb, m[i].map(|j| &ours_sorted[j]), fs);
        out.local.add(rb, ml[i].map(|j| &local_sorted[j]), fs);
        if std::env::var("DEL_DEBUG").is_ok_and(|v| v == name) {
            let t = m[i].map(|j| ours_sorted[j]);
            println!(
                "{} ref t_peak {:?} t_off {:?} ours t_peak {:?} t_off {:?}",
                rb.qrs_peak,
                rb.t_peak,
                rb.t_off,
                t.and_then(|t| t.t_peak),
                t.and_then(|t| t.t_off)
            );
        }
        let a = m0[i].map(|j| &pu0[j]);
        let b = m1[i].map(|j| &pu1[j]);
        out.pu0.add(rb, a, fs);
        out.pu1.add(rb, b, fs);
        out.pu_best.add_best(rb, &[a, b], fs);
    }
    out
}

fn stat(s: &[BoundaryStats], k: usize) -> (f64, f64, f64) {
    (
        s[k].mean_ms.unwrap(),
        s[k].sd_ms.unwrap(),
        s[k].found as f64 / s[k].reference as f64,
    )
}

#[test]
fn sel116_delineation_near_the_cardiologist() {
    let e = evaluate("sel116", "q1c");
    let s = e.ours.stats();
    println!("{}", markdown_table(&[("sel116".into(), s.clone())]));
    // 50 marked beats, all QRS and T ends found
    assert_eq!(s[2].reference, 50);
    let (m, sd, found) = stat(&s, 2); // QRS on
    assert!(
        m.abs() < 10.0 && sd < 15.0 && found == 1.0,
        "QRS on {m} {sd} {found}"
    );
    let (m, sd, found) = stat(&s, 3); // QRS off
    assert!(
        m.abs() < 15.0 && sd < 20.0 && found == 1.0,
        "QRS off {m} {sd} {found}"
    );
    let (m, sd, found) = stat(&s, 4); // T off
    assert!(
        m.abs() < 20.0 && sd < 30.6 && found == 1.0,
        "T off {m} {sd} {found}"
    );
    let (m, sd, found) = stat(&s, 0); // P on
    assert!(
        m.abs() < 20.0 && sd < 25.0 && found > 0.9,
        "P on {m} {sd} {found}"
    );
}

#[test]
#[ignore = "whole QT-database set (about 30 s in release); run with --release -- --ignored"]
fn delineation_over_the_qt_database() {
    let mut ours = WaveErrors::default();
    let mut local = WaveErrors::default();
    let mut lrows = Vec::new();
    let mut pu0 = WaveErrors::default();
    let mut pu1 = WaveErrors::default();
    let mut best = WaveErrors::default();
    let mut rows = Vec::new();
    for name in QTDB {
        let e = evaluate(name, "q1c");
        rows.push((name.to_string(), e.ours.stats()));
        ours.merge(&e.ours);
        local.merge(&e.local);
        lrows.push((name.to_string(), e.local.stats()));
        pu0.merge(&e.pu0);
        pu1.merge(&e.pu1);
        best.merge(&e.pu_best);
    }
    println!("Per record (ours vs q1c):\n{}", markdown_table(&rows));
    println!(
        "Per record (local median vs q1c):\n{}",
        markdown_table(&lrows)
    );
    let table = vec![
        (
            "ecg-analysis (both leads, global)".to_string(),
            ours.stats(),
        ),
        (
            "ecg-analysis, 9-beat local median".to_string(),
            local.stats(),
        ),
        ("ecgpuwave lead 0 (.pu0)".to_string(), pu0.stats()),
        ("ecgpuwave lead 1 (.pu1)".to_string(), pu1.stats()),
        ("ecgpuwave best lead per mark".to_string(), best.stats()),
    ];
    println!(
        "Pooled over 20 records (reference q1c):\n{}",
        markdown_table(&table)
    );
    // second cardiologist where available
    let mut q2 = WaveErrors::default();
    let mut q2pu = WaveErrors::default();
    for name in ["sel114", "sel116", "sel223", "sel230"] {
        let e = evaluate(name, "q2c");
        q2.merge(&e.ours);
        q2pu.merge(&e.pu_best);
    }
    println!(
        "Reference q2c (4 records):\n{}",
        markdown_table(&[
            ("ecg-analysis".to_string(), q2.stats()),
            ("ecgpuwave best lead".to_string(), q2pu.stats())
        ])
    );
    let s = ours.stats();
    let (m, sd, found) = stat(&s, 2);
    assert!(
        m.abs() < 10.0 && sd < 15.0 && found > 0.99,
        "QRS on {m} {sd}"
    );
    let (m, sd, found) = stat(&s, 3);
    assert!(
        m.abs() < 10.0 && sd < 20.0 && found > 0.99,
        "QRS off {m} {sd}"
    );
    let (m, sd, found) = stat(&s, 4);
    assert!(
        m.abs() < 15.0 && sd < 45.0 && found > 0.95,
        "T off {m} {sd}"
    );
}
