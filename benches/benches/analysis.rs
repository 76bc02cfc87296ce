//! Analysis benchmarks (docs/BENCHMARKS.md, section "Analysis").
//!
//! - `qrs_detect/100_lead0`: QRS detection alone on lead 0 of MIT-BIH 100 (30 min at
//!   360 Hz), the input sleepecg's C detector gets in benches/peers/analysis_speed.py;
//! - `qrs_detect/qtdb20_lead0`: the same on the 20 QT-database records (5 h at 250 Hz);
//! - `qrs_detect/100_2leads`: with two-lead fusion;
//! - `analyze/100`: the whole pipeline (detection, classification, rhythm, HRV);
//! - `hrv/100k_nn`: HRV with the nonlinear set on 100,000 NN intervals;
//! - `analyze/holter24`: the 24-hour 2-lead 360 Hz record of
//!   testdata/analysis/make_holter24.py (skipped with a message when it was not built).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ecg_analysis::detect::{DetectorConfig, detect};
use ecg_analysis::hrv::{HrvConfig, NnSeries, hrv};
use ecg_analysis::{Config, analyze};
use ecg_core::{DecodeOptions, Record};

const QTDB: [&str; 20] = [
    "sel114", "sel116", "sel223", "sel230", "sel301", "sel302", "sel306", "sel307", "sel803",
    "sel808", "sel820", "sel840", "sel14046", "sel14157", "sel16265", "sel16272", "sele0104",
    "sele0106", "sele0107", "sele0110",
];

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata"
    ))
    .join(rel)
}

fn record(path: &Path) -> Record {
    ecg_wfdb::decode_path(path, &DecodeOptions::default()).expect("record")
}

fn lead_mv(r: &Record, i: usize) -> Vec<f32> {
    let s = &r.signals[i];
    s.physical(0..s.len())
        .unwrap()
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

fn benches(c: &mut Criterion) {
    let cfg = DetectorConfig::default();
    let r100 = record(&shared("wfdb/100"));
    let l0 = lead_mv(&r100, 0);
    let l1 = lead_mv(&r100, 1);
    let qt: Vec<(Vec<f32>, f64)> = QTDB
        .iter()
        .map(|n| {
            let r = record(&shared(&format!("qtdb/{n}")));
            (lead_mv(&r, 0), r.signals[0].fs)
        })
        .collect();
    let mut g = c.benchmark_group("qrs_detect");
    g.sample_size(20);
    g.bench_function("100_lead0", |b| {
        b.iter(|| detect(&[&l0], 360.0, 0, &cfg).beats.len())
    });
    g.bench_function("qtdb20_lead0", |b| {
        b.iter(|| {
            qt.iter()
                .map(|(x, fs)| detect(&[x], *fs, 0, &cfg).beats.len())
                .sum::<usize>()
        })
    });
    g.bench_function("100_2leads", |b| {
        b.iter(|| detect(&[&l0, &l1], 360.0, 0, &cfg).beats.len())
    });
    g.finish();

    let mut g = c.benchmark_group("analyze");
    g.sample_size(10);
    g.bench_function("100", |b| {
        b.iter(|| analyze(&r100, &Config::default()).unwrap().beats.len())
    });
    let holter = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/holter24/holter24.hea"
    ));
    if holter.is_file() {
        let r = record(&holter);
        g.measurement_time(Duration::from_secs(60));
        g.bench_function("holter24", |b| {
            b.iter(|| analyze(&r, &Config::default()).unwrap().beats.len())
        });
    } else {
        eprintln!(
            "skipping analyze/holter24: {} missing (run testdata/analysis/make_holter24.py)",
            holter.display()
        );
    }
    g.finish();

    // 100,000 NN intervals with slow and respiratory modulation plus noise, measured in
    // whole samples at 360 Hz like the engine's (beats sit on sample indices)
    let mut s = NnSeries::default();
    let mut t = 0.0;
    let mut seed = 7u64;
    for k in 0..100_000usize {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let nn = 850.0
            + 120.0 * (2.0 * std::f64::consts::PI * t / 86_400.0).sin()
            + 30.0 * (2.0 * std::f64::consts::PI * 0.25 * t).sin()
            + 40.0 * u;
        let nn = (nn * 0.36).round() / 0.36;
        t += nn / 1000.0;
        s.time_s.push(t);
        s.nn_ms.push(nn);
        s.adjacent.push(k > 0);
    }
    let mut g = c.benchmark_group("hrv");
    g.sample_size(10);
    g.bench_function("100k_nn", |b| {
        b.iter(|| hrv(&s, &HrvConfig::default()).unwrap().sample_entropy)
    });
    g.finish();
}

criterion_group!(analysis, benches);
criterion_main!(analysis);
