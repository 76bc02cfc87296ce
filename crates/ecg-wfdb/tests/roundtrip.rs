//! Write -> read round trips for every writable format (proptest), annotations included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use ecg_core::chrono::{NaiveDate, NaiveTime};
use ecg_core::{
    Annotation, AnnotationCode, AnnotationSet, DecodeOptions, Record, Samples, Scale, SharedBytes,
    Signal,
};
use ecg_wfdb::{
    ReadOptions, SignalFormat, decode_record_with, read_annotations, write_annotations,
    write_record,
};
use proptest::prelude::*;

fn to_pool(files: Vec<(String, Vec<u8>)>) -> HashMap<String, SharedBytes> {
    files
        .into_iter()
        .map(|(n, b)| (n, SharedBytes::from_vec(b)))
        .collect()
}

/// One signal's stored values for `format`: in range, with missing samples marked by the
/// format's own marker (format 8: a random walk of byte-sized steps, nothing missing).
fn values(format: SignalFormat, len: usize) -> BoxedStrategy<Vec<i32>> {
    let (lo, hi) = format.value_range();
    match format.invalid_value() {
        None => (
            -5000i32..5000,
            proptest::collection::vec(-128i32..=127, len),
        )
            .prop_map(|(start, steps)| {
                let mut v = start;
                steps
                    .into_iter()
                    .map(|d| {
                        v += d;
                        v
                    })
                    .collect()
            })
            .boxed(),
        Some(invalid) => proptest::collection::vec(
            prop_oneof![
                8 => (lo + 1)..=hi,
                1 => Just(invalid),
                1 => prop_oneof![Just(lo + 1), Just(hi), Just(0)],
            ],
            len,
        )
        .boxed(),
    }
}

#[derive(Debug, Clone)]
struct Case {
    format: SignalFormat,
    record: Record,
}

fn label() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 _.,-]{0,12}[A-Za-z0-9]".prop_map(|s| s)
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(SignalFormat::WRITABLE.to_vec()),
        prop_oneof![
            Just(1.0),
            Just(250.0),
            Just(360.0),
            Just(62.4725),
            Just(0.0166666666667)
        ],
        proptest::collection::vec((1u32..=3, label(), "[A-Za-z%]{0,4}"), 0..=4),
        0usize..=40,
        proptest::option::of((0u32..24, 0u32..60, 0u32..60, 0u32..1000)),
        proptest::option::of((1900i32..2100, 1u32..=12, 1u32..=28)),
    )
        .prop_flat_map(|(format, frame_fs, sigs, frames, time, date)| {
            let per_signal: Vec<_> = sigs
                .into_iter()
                .map(|(spf, label, unit)| {
                    (
                        values(format, frames * spf as usize),
                        Just((spf, label, unit)),
                        0.01f64..5000.0,
                        -3000i32..3000,
                    )
                })
                .collect();
            (
                Just(format),
                Just(frame_fs),
                per_signal,
                Just(time),
                Just(date),
                annotations(frame_fs),
            )
        })
        .prop_map(|(format, frame_fs, sigs, time, date, annotations)| {
            let mut record = Record::new("rt", "wfdb");
            for (vals, (spf, label, unit), gain, baseline) in sigs {
                let mut s = Signal::new(
                    label,
                    frame_fs * f64::from(spf),
                    unit,
                    Samples::from_vec(vals),
                );
                s.scale = Scale::Gain {
                    gain,
                    baseline: f64::from(baseline),
                };
                s.missing_value = format.invalid_value();
                record.signals.push(s);
            }
            record.start_time =
                time.and_then(|(h, m, s, ms)| NaiveTime::from_hms_milli_opt(h, m, s, ms));
            record.start_date = date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
            if record.start_time.is_none() {
                record.start_date = None;
            }
            record.classification.annotations = annotations;
            Case { format, record }
        })
}

fn annotation() -> impl Strategy<Value = Annotation> {
    (
        -100_000i64..5_000_000,
        1u8..=AnnotationCode::MAX,
        any::<i8>(),
        any::<u8>(),
        any::<i8>(),
        proptest::option::of("[ -~]{1,40}"),
    )
        .prop_map(|(sample, code, sub, chan, num, aux)| {
            // NOTE annotations at sample 0 are file definitions for readers (as in
            // wfdb-python), not annotations.
            let code = if code == 22 && sample == 0 { 1 } else { code };
            Annotation {
                sample,
                code: AnnotationCode(code),
                sub,
                chan,
                num,
                aux: aux
                    .map(|a| a.trim_end_matches('\0').to_string())
                    .filter(|a| !a.is_empty()),
            }
        })
}

fn annotations(fs: f64) -> impl Strategy<Value = Vec<AnnotationSet>> {
    proptest::collection::vec(
        (
            proptest::sample::select(vec!["atr", "qrs", "ecg"]),
            proptest::collection::vec(annotation(), 0..30),
        ),
        0..=2,
    )
    .prop_map(move |sets| {
        let mut seen = std::collections::BTreeSet::new();
        sets.into_iter()
            .filter(|(a, _)| seen.insert(*a))
            .map(|(annotator, annotations)| AnnotationSet {
                annotator: annotator.to_string(),
                fs: Some(fs),
                annotations,
            })
            .collect()
    })
}

fn check_round_trip(case: &Case, read: &ReadOptions) {
    let files = write_record(&case.record, "rt", case.format).unwrap();
    let pool = to_pool(files);
    let back = decode_record_with("rt.hea", &pool, &DecodeOptions::default(), read).unwrap();
    assert_eq!(back.name, "rt");
    assert_eq!(back.start_time, case.record.start_time);
    assert_eq!(back.start_date, case.record.start_date);
    assert_eq!(back.signals.len(), case.record.signals.len());
    for (a, b) in case.record.signals.iter().zip(&back.signals) {
        assert_eq!(b.label, a.label);
        assert_eq!(
            b.unit,
            if a.unit.is_empty() {
                "mV"
            } else {
                a.unit.as_str()
            }
        );
        assert!(
            (b.fs - a.fs).abs() <= 1e-9 * a.fs,
            "fs {} vs {}",
            b.fs,
            a.fs
        );
        assert_eq!(b.scale, a.scale);
        assert_eq!(b.missing_value, case.format.invalid_value());
        assert_eq!(
            b.samples.to_vec().unwrap(),
            a.samples.to_vec().unwrap(),
            "{}",
            case.format
        );
        assert_eq!(
            b.meta.storage.as_deref(),
            Some(case.format.code().to_string().as_str())
        );
    }
    let mut sets = back.classification.annotations.clone();
    sets.sort_by(|x, y| x.annotator.cmp(&y.annotator));
    let mut want = case.record.classification.annotations.clone();
    want.sort_by(|x, y| x.annotator.cmp(&y.annotator));
    // Empty annotation files are not picked up as annotation files.
    want.retain(|s| !s.annotations.is_empty());
    assert_eq!(sets, want);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn records_round_trip(case in case()) {
        check_round_trip(&case, &ReadOptions::default());
        // The same through on-demand (lazy) decoding.
        check_round_trip(&case, &ReadOptions { eager_sample_limit: 0, ..ReadOptions::default() });
    }

    #[test]
    fn annotation_sets_round_trip(anns in proptest::collection::vec(annotation(), 0..200), fs in proptest::option::of(1.0f64..10_000.0)) {
        let set = AnnotationSet { annotator: "atr".into(), fs, annotations: anns };
        let bytes = write_annotations(&set).unwrap();
        prop_assert_eq!(read_annotations(&bytes, "atr").unwrap(), set);
    }
}

/// Every writable format, with two signals of different rates, deterministic.
#[test]
fn every_format_round_trips() {
    for format in SignalFormat::WRITABLE {
        let (lo, hi) = format.value_range();
        let mut record = Record::new("rt", "wfdb");
        let n: usize = 301;
        let a: Vec<i32> = (0..n * 2)
            .map(|i| match format.invalid_value() {
                Some(_) => lo + 1 + ((i as i64 * 7919) % (i64::from(hi) - i64::from(lo))) as i32,
                None => (i as i32 % 50) * if i % 2 == 0 { 1 } else { -1 },
            })
            .collect();
        let b: Vec<i32> = (0..n).map(|i| (i as i32 % 7) - 3).collect();
        let mut s = Signal::new("fast", 500.0, "mV", Samples::from_vec(a));
        s.missing_value = format.invalid_value();
        record.signals.push(s);
        let mut s = Signal::new("slow", 250.0, "mmHg", Samples::from_vec(b));
        s.missing_value = format.invalid_value();
        record.signals.push(s);
        let case = Case { format, record };
        check_round_trip(&case, &ReadOptions::default());
        check_round_trip(
            &case,
            &ReadOptions {
                eager_sample_limit: 0,
                ..ReadOptions::default()
            },
        );
    }
}

#[test]
fn writer_refuses_values_a_format_cannot_hold() {
    let mut record = Record::new("rt", "wfdb");
    record.signals.push(Signal::new(
        "x",
        250.0,
        "mV",
        Samples::from_vec(vec![0, 2048]),
    ));
    let err = write_record(&record, "rt", SignalFormat::Packed212).unwrap_err();
    assert!(
        err.to_string()
            .contains("sample 1: value 2048 does not fit format 212"),
        "{err}"
    );
    // The marker value itself, when it is not a missing sample.
    record.signals[0].samples = Samples::from_vec(vec![-2048]);
    assert!(write_record(&record, "rt", SignalFormat::Packed212).is_err());
    assert_eq!(
        ecg_wfdb::suggest_format(&record).unwrap(),
        SignalFormat::Int16
    );
    // Steps too large for format 8.
    record.signals[0].samples = Samples::from_vec(vec![0, 200]);
    assert!(write_record(&record, "rt", SignalFormat::Difference8).is_err());
    // Missing samples are written as the format's marker, whatever marked them before.
    record.signals[0].samples = Samples::from_vec(vec![5, i32::MIN, 7]);
    record.signals[0].missing_value = Some(i32::MIN);
    let pool = to_pool(write_record(&record, "rt", SignalFormat::Offset8).unwrap());
    let back = decode_record_with(
        "rt.hea",
        &pool,
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(back.signals[0].samples.to_vec().unwrap(), vec![5, -128, 7]);
    assert_eq!(back.signals[0].stats().unwrap().missing, 1);
    assert!(write_record(&record, "a/b", SignalFormat::Int16).is_err());
    assert!(write_record(&record, "rt", SignalFormat::Flac16).is_err());
}

/// A real record written back out in every format it fits reads back identically.
#[test]
fn record_100_rewritten() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/wfdb"
    ));
    let rec = ecg_wfdb::decode_path(&dir.join("100.hea"), &DecodeOptions::default()).unwrap();
    for format in [
        SignalFormat::Packed212,
        SignalFormat::Int16,
        SignalFormat::Int24,
        SignalFormat::Int32,
    ] {
        let files = write_record(&rec, "copy", format).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["copy.hea", "copy.dat", "copy.atr", "copy.qrs"]);
        if format == SignalFormat::Packed212 {
            // Same layout as the original: byte-identical signal file.
            assert_eq!(files[1].1, std::fs::read(dir.join("100.dat")).unwrap());
        }
        let pool = to_pool(files);
        let back = decode_record_with(
            "copy.hea",
            &pool,
            &DecodeOptions::default(),
            &ReadOptions::default(),
        )
        .unwrap();
        for (a, b) in rec.signals.iter().zip(&back.signals) {
            assert_eq!(a.samples, b.samples);
            assert_eq!(a.stats().unwrap(), b.stats().unwrap());
        }
        assert_eq!(back.personal.age_years, Some(69.0));
        assert_eq!(
            back.classification.annotations,
            rec.classification.annotations
        );
    }
}
