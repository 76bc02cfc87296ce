//! proptest write -> read round trips through `write_edf_plus` / `write_bdf_plus`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_core::chrono::{NaiveDate, NaiveTime};
use ecg_core::{
    DecodeOptions, Event, Record, Samples, Scale, Segment, Sex, SharedBytes, Signal, SignalMeta,
};
use ecg_edf::{decode, write_bdf_plus, write_edf_plus};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct SignalSpec {
    label: String,
    fs: f64,
    unit: String,
    physical_min: i32,
    physical_span: i32,
    seed: u64,
    prefilter: Option<String>,
}

fn signal_spec() -> impl Strategy<Value = SignalSpec> {
    (
        "[A-Za-z][A-Za-z0-9 ]{0,14}",
        prop::sample::select(vec![0.5, 1.0, 128.0, 200.0, 250.0, 256.0, 500.0]),
        "(mV|uV|bpm|)",
        -5000..0i32,
        1..10_000i32,
        any::<u64>(),
        prop::option::of("HP:0\\.05Hz LP:[0-9]{2,3}Hz"),
    )
        .prop_map(
            |(label, fs, unit, physical_min, physical_span, seed, prefilter)| SignalSpec {
                label: label.trim().to_string(),
                fs,
                unit,
                physical_min,
                physical_span,
                seed,
                prefilter,
            },
        )
}

/// Deterministic samples in `lo..=hi` (xorshift).
fn samples(n: usize, seed: u64, lo: i64, hi: i64) -> Vec<i32> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (lo + (x % (hi - lo + 1) as u64) as i64) as i32
        })
        .collect()
}

/// `(year, month, day)`.
type Ymd = (i32, u32, u32);
/// `(hour, minute, second, nanosecond)`.
type Hmsn = (u32, u32, u32, u32);

#[derive(Clone, Debug)]
struct RecordSpec {
    signals: Vec<SignalSpec>,
    /// Stretch lengths in 2-second units (one stretch = continuous).
    stretches: Vec<u32>,
    /// Gaps between stretches in seconds.
    gaps: Vec<u32>,
    events: Vec<(u32, Option<u32>, String)>,
    patient_id: Option<String>,
    name: Option<String>,
    sex: Option<bool>,
    birth: Option<Ymd>,
    start: Option<(Ymd, Hmsn)>,
    technician: Option<String>,
    device: Option<String>,
}

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    (
        prop::collection::vec(signal_spec(), 0..4),
        prop::collection::vec(1..4u32, 1..4),
        prop::collection::vec(1..100u32, 3),
        prop::collection::vec(
            (
                0..8000u32,
                prop::option::of(0..60_000u32),
                "[a-zA-Z0-9äöüé€µ –]{1,24}",
            ),
            0..6,
        ),
        (
            prop::option::of("[A-Z0-9-]{1,12}"),
            prop::option::of("[A-Za-z]{1,10}(\\^[A-Za-z]{1,10})?"),
            prop::option::of(any::<bool>()),
            prop::option::of((1900..2020i32, 1..=12u32, 1..=28u32)),
        ),
        prop::option::of((
            (1985..2085i32, 1..=12u32, 1..=28u32),
            (0..24u32, 0..60u32, 0..60u32, 0..1_000_000_000u32),
        )),
        prop::option::of("[A-Za-z.]{1,10}"),
        prop::option::of("[A-Za-z0-9.]{1,10}"),
    )
        .prop_map(
            |(
                signals,
                stretches,
                gaps,
                events,
                (patient_id, name, sex, birth),
                start,
                technician,
                device,
            )| {
                RecordSpec {
                    signals,
                    stretches,
                    gaps,
                    events,
                    patient_id,
                    name,
                    sex,
                    birth,
                    start,
                    technician,
                    device,
                }
            },
        )
}

fn build(spec: &RecordSpec, bdf: bool) -> Record {
    let mut r = Record::new("rt.edf", if bdf { "bdf" } else { "edf" });
    let seconds: u32 = spec.stretches.iter().map(|s| s * 2).sum();
    let (dmin, dmax) = if bdf {
        (-8_388_608, 8_388_607)
    } else {
        (-32768, 32767)
    };
    for s in &spec.signals {
        let n = (s.fs * f64::from(seconds)) as usize;
        let mut sig = Signal::new(
            s.label.clone(),
            s.fs,
            s.unit.clone(),
            Samples::from_vec(samples(n, s.seed, i64::from(dmin), i64::from(dmax))),
        );
        sig.scale = Scale::Range {
            physical_min: f64::from(s.physical_min),
            physical_max: f64::from(s.physical_min + s.physical_span),
            digital_min: dmin,
            digital_max: dmax,
        };
        sig.meta = SignalMeta {
            prefilter: s.prefilter.clone(),
            ..Default::default()
        };
        r.signals.push(sig);
    }
    if spec.stretches.len() > 1 {
        let mut onset = 0.0;
        for (k, &len) in spec.stretches.iter().enumerate() {
            r.segments.push(Segment {
                onset_s: onset,
                duration_s: f64::from(len * 2),
            });
            onset += f64::from(len * 2 + spec.gaps[k]);
        }
    }
    for (onset_ms, duration_ms, text) in &spec.events {
        r.classification.events.push(Event {
            onset_s: f64::from(*onset_ms) / 1000.0,
            duration_s: duration_ms.map(|d| f64::from(d) / 1000.0),
            text: text.trim().to_string() + "x",
        });
    }
    r.classification
        .events
        .sort_by(|a, b| a.onset_s.total_cmp(&b.onset_s));
    // A lone `X` means "unknown" in EDF+ subfields.
    let known = |v: &Option<String>| v.clone().filter(|v| v != "X");
    r.personal.patient_id = known(&spec.patient_id);
    r.personal.name = known(&spec.name);
    r.personal.sex = spec.sex.map(|m| if m { Sex::Male } else { Sex::Female });
    r.personal.birth_date = spec
        .birth
        .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
    if let Some(((y, mo, d), (h, mi, s, ns))) = spec.start {
        r.start_date = NaiveDate::from_ymd_opt(y, mo, d);
        r.start_time = NaiveTime::from_hms_nano_opt(h, mi, s, ns);
    }
    r.readings.technician = known(&spec.technician);
    r.readings.device = known(&spec.device);
    r
}

fn check(original: &Record, bdf: bool) -> Result<(), TestCaseError> {
    let mut bytes = Vec::new();
    if bdf {
        write_bdf_plus(original, &mut bytes).unwrap();
    } else {
        write_edf_plus(original, &mut bytes).unwrap();
    }
    prop_assert_eq!(ecg_edf::detect(&bytes), ecg_core::Confidence::Certain);
    let back = decode(
        "rt.edf",
        SharedBytes::from_vec(bytes),
        &DecodeOptions::default(),
    )
    .unwrap();
    prop_assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    let plus = if original.segments.is_empty() {
        "C"
    } else {
        "D"
    };
    prop_assert_eq!(
        &back.readings.other["file_type"],
        &format!("{}+{plus}", if bdf { "BDF" } else { "EDF" })
    );
    prop_assert_eq!(back.signals.len(), original.signals.len());
    for (a, b) in original.signals.iter().zip(&back.signals) {
        prop_assert_eq!(&a.label, &b.label);
        prop_assert_eq!(a.fs, b.fs);
        prop_assert_eq!(&a.unit, &b.unit);
        prop_assert_eq!(a.scale, b.scale);
        prop_assert_eq!(&a.meta.prefilter, &b.meta.prefilter);
        prop_assert!(a.samples == b.samples, "samples of {} differ", a.label);
    }
    prop_assert_eq!(&back.segments, &original.segments);
    prop_assert_eq!(
        back.classification.events.len(),
        original.classification.events.len()
    );
    for (a, b) in original
        .classification
        .events
        .iter()
        .zip(&back.classification.events)
    {
        prop_assert!((a.onset_s - b.onset_s).abs() < 1e-9, "{a:?} {b:?}");
        prop_assert_eq!(a.duration_s, b.duration_s);
        prop_assert_eq!(&a.text, &b.text);
    }
    // An unknown start date is written as the EDF epoch 01.01.85 (with `Startdate X`).
    prop_assert_eq!(
        back.start_date,
        original.start_date.or(NaiveDate::from_ymd_opt(1985, 1, 1))
    );
    match original.start_time {
        Some(t) => prop_assert_eq!(back.start_time, Some(t)),
        None => prop_assert_eq!(back.start_time, NaiveTime::from_hms_opt(0, 0, 0)),
    }
    let (p, q) = (&original.personal, &back.personal);
    prop_assert_eq!(&p.patient_id, &q.patient_id);
    prop_assert_eq!(&p.name, &q.name);
    prop_assert_eq!(p.sex, q.sex);
    prop_assert_eq!(p.birth_date, q.birth_date);
    prop_assert_eq!(&original.readings.technician, &back.readings.technician);
    prop_assert_eq!(&original.readings.device, &back.readings.device);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn edf_plus_round_trip(spec in record_spec()) {
        check(&build(&spec, false), false)?;
    }

    #[test]
    fn bdf_plus_round_trip(spec in record_spec()) {
        check(&build(&spec, true), true)?;
    }
}

#[test]
fn shared_files_survive_a_round_trip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/edf");
    for name in [
        "holter_3ch_1h.edf",
        "discontinuous.edf",
        "test_generator_datarec_generator_2.bdf",
        "test_subsecond.edf",
        "mixed_rates_edfplus.edf",
    ] {
        let path = std::path::Path::new(dir).join(name);
        let original = ecg_edf::decode_path(&path, &DecodeOptions::default()).unwrap();
        let mut bytes = Vec::new();
        if original.format == "bdf" {
            write_bdf_plus(&original, &mut bytes).unwrap();
        } else {
            write_edf_plus(&original, &mut bytes).unwrap();
        }
        let back = decode(
            name,
            SharedBytes::from_vec(bytes),
            &DecodeOptions::default(),
        )
        .unwrap();
        assert_eq!(back.signals.len(), original.signals.len(), "{name}");
        for (a, b) in original.signals.iter().zip(&back.signals) {
            assert_eq!(a.stats().unwrap(), b.stats().unwrap(), "{name} {}", a.label);
            assert_eq!(a.scale, b.scale, "{name}");
            assert_eq!(a.fs, b.fs, "{name}");
        }
        assert_eq!(back.segments, original.segments, "{name}");
        assert_eq!(back.start_date, original.start_date, "{name}");
        assert_eq!(back.start_time, original.start_time, "{name}");
        assert_eq!(back.personal, original.personal, "{name}");
        assert_eq!(
            back.classification.events.len(),
            original.classification.events.len(),
            "{name}"
        );
        for (a, b) in original
            .classification
            .events
            .iter()
            .zip(&back.classification.events)
        {
            assert!((a.onset_s - b.onset_s).abs() < 1e-9, "{name}: {a:?} {b:?}");
            assert_eq!((&a.text, a.duration_s), (&b.text, b.duration_s), "{name}");
        }
    }
}

#[test]
fn gain_scaled_signals_are_written_with_the_full_digital_range() {
    let mut r = Record::new("wfdb-like", "wfdb");
    let mut s = Signal::new(
        "MLII",
        360.0,
        "mV",
        Samples::from_vec(vec![-200, 0, 1000, 995]),
    );
    s.scale = Scale::Gain {
        gain: 200.0,
        baseline: 1024.0,
    };
    r.signals.push(s);
    let mut bytes = Vec::new();
    write_edf_plus(&r, &mut bytes).unwrap();
    let back = decode("x", SharedBytes::from_vec(bytes), &DecodeOptions::default()).unwrap();
    let b = &back.signals[0];
    assert_eq!(
        b.scale,
        Scale::Range {
            physical_min: -168.96,
            physical_max: 158.715,
            digital_min: -32768,
            digital_max: 32767
        }
    );
    // 360 samples per 1-s record: the 4 samples, then padding at physical zero (1024).
    assert_eq!(b.len(), 360);
    assert_eq!(
        b.samples.window(0..5).unwrap().as_ref(),
        &[-200, 0, 1000, 995, 1024]
    );
    for (d, p) in [(-200, -6.12), (1024, 0.0), (1224, 1.0)] {
        assert!((b.to_physical(d) - p).abs() < 1e-9, "{d}");
    }
}

#[test]
fn unwritable_records_are_errors() {
    let mut r = Record::new("x", "edf");
    r.signals.push(Signal::new(
        "a",
        250.0,
        "mV",
        Samples::from_vec(vec![70_000]),
    ));
    let e = write_edf_plus(&r, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("outside the 16-bit range"), "{e}");
    // ...but BDF holds it.
    write_bdf_plus(&r, &mut Vec::new()).unwrap();

    r.signals[0] = Signal::new("a", 333.3333, "mV", Samples::from_vec(vec![1]));
    let e = write_edf_plus(&r, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("no data-record duration"), "{e}");

    r.signals[0] = Signal::new("a", f64::NAN, "mV", Samples::from_vec(vec![1]));
    let e = write_edf_plus(&r, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("signal 0"), "{e}");

    r.signals[0] = Signal::new("a", 10.0, "mV", Samples::from_vec(vec![1; 30]));
    r.segments = vec![Segment {
        onset_s: 0.0,
        duration_s: 2.0,
    }];
    let e = write_edf_plus(&r, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("segments"), "{e}");
}

#[test]
fn annotation_only_records_and_many_events() {
    let mut r = Record::new("notes", "edf");
    for k in 0..500 {
        r.classification.events.push(Event {
            onset_s: f64::from(k) * 0.5,
            duration_s: Some(0.25),
            text: format!("event number {k}"),
        });
    }
    let mut bytes = Vec::new();
    write_edf_plus(&r, &mut bytes).unwrap();
    let back = decode("n", SharedBytes::from_vec(bytes), &DecodeOptions::default()).unwrap();
    assert!(back.signals.is_empty());
    assert_eq!(back.classification.events, r.classification.events);
    assert_eq!(back.readings.other["record_duration_s"], "0");

    // Many events with one short signal: the annotation signal grows to hold them.
    r.signals
        .push(Signal::new("a", 1.0, "", Samples::from_vec(vec![0; 2])));
    let mut bytes = Vec::new();
    write_edf_plus(&r, &mut bytes).unwrap();
    let back = decode("n", SharedBytes::from_vec(bytes), &DecodeOptions::default()).unwrap();
    assert_eq!(back.classification.events, r.classification.events);
}
