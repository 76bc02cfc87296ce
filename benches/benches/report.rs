//! Report benchmarks (docs/BENCHMARKS.md, section "Reports").
//!
//! - `resting/s0010_3x4+1`: the resting 12-lead report of PTB s0010_re (1000 Hz, first
//!   10 s) with its analysis, a CJK + Cyrillic patient name (fallback font subset);
//! - `resting/scp_ecgtoolkit_6x2`: an SCP-ECG file (500 Hz) in the 6x2 layout;
//! - `long_term/100_30_strips`: MIT-BIH 100 (30 min, 2 leads) with 30 event strips.
//!
//! The analysis runs once outside the timed loop; the PDF sizes print once to stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ecg_analysis::{Config, analyze};
use ecg_core::{AamiClass, DecodeOptions};
use ecg_report::{LeadLayout, ReportInput, StripRequest, render_long_term, render_resting};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata"
    ))
    .join(rel)
}

fn benches(c: &mut Criterion) {
    let opts = DecodeOptions::default();
    let s0010 = ecg_wfdb::decode_path(&shared("wfdb/s0010_re.hea"), &opts).unwrap();
    let a0010 = analyze(&s0010, &Config::default()).unwrap();
    let scp = ecg_scp::decode_path(&shared("scp/ecgtoolkit_Example.scp"), &opts).unwrap();
    let ascp = analyze(&scp, &Config::default()).unwrap();
    let r100 = ecg_wfdb::decode_path(&shared("wfdb/100.hea"), &opts).unwrap();
    let a100 = analyze(&r100, &Config::default()).unwrap();

    let mut resting = ReportInput::new(&s0010, Some(&a0010));
    resting.details.patient_name = Some("Müller-Иванова, Zoë 山田太郎".into());
    let mut scp_input = ReportInput::new(&scp, Some(&ascp));
    scp_input.options.layout = LeadLayout::SixByTwo;
    let mut holter = ReportInput::new(&r100, Some(&a100));
    holter.strips = Some(
        a100.beats
            .iter()
            .filter(|b| b.class == AamiClass::S)
            .take(30)
            .map(|b| StripRequest {
                center_s: b.sample as f64 / a100.fs,
                title: "SVES".into(),
            })
            .collect(),
    );
    holter.conclusion = Some("Sinus rhythm, isolated supraventricular ectopic beats.".into());
    for (name, pdf) in [
        ("resting/s0010_3x4+1", render_resting(&resting).unwrap()),
        (
            "resting/scp_ecgtoolkit_6x2",
            render_resting(&scp_input).unwrap(),
        ),
        (
            "long_term/100_30_strips",
            render_long_term(&holter).unwrap(),
        ),
    ] {
        eprintln!("{name}: {} bytes", pdf.len());
    }

    let mut g = c.benchmark_group("resting");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("s0010_3x4+1", |b| {
        b.iter(|| render_resting(&resting).unwrap().len())
    });
    g.bench_function("scp_ecgtoolkit_6x2", |b| {
        b.iter(|| render_resting(&scp_input).unwrap().len())
    });
    g.finish();
    let mut g = c.benchmark_group("long_term");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("100_30_strips", |b| {
        b.iter(|| render_long_term(&holter).unwrap().len())
    });
    g.finish();
}

criterion_group!(report, benches);
criterion_main!(report);
