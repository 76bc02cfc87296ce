//! Every record and annotation file of `shared/testdata/wfdb` and `shared/testdata/qtdb`
//! against the `REFERENCE.json` beside them (computed with wfdb-python 4.3.1).
//!
//! wfdb-python's digital statistics include missing-value sentinels (skewed-out samples
//! read as the format's invalid value, stored invalid values as they are); ours exclude
//! them (`Signal::stats`), so the comparison adds `missing x sentinel` back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecg_core::{DecodeOptions, Record, Signal};
use ecg_wfdb::{DirPool, Error, ReadOptions, decode_record_with};
use serde_json::Value;

fn testdata(sub: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(sub)
}

fn reference(dir: &str) -> Value {
    let path = testdata(dir).join("REFERENCE.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the shared test data must be present)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn decode(dir: &str, rel: &str, opts: &DecodeOptions, read: &ReadOptions) -> Result<Record, Error> {
    let path = testdata(dir).join(rel);
    let parent = path.parent().unwrap().to_path_buf();
    let file = path.file_name().unwrap().to_str().unwrap().to_string();
    decode_record_with(&file, &DirPool::new(parent), opts, read)
}

/// Units where wfdb-python is wrong: its header pattern drops the non-word character
/// `\xb0` (degree sign, Latin-1) and falls back to `mV`; we keep what the header says.
const KNOWN_UNIT_DEVIATIONS: &[(&str, &str)] = &[
    ("test_generator_2.hea signal 8", "\u{b0}"),
    ("test_generator_2.hea signal 9", "\u{b0}"),
];

/// Checks one signal against its reference entry; returns a description of any mismatch.
fn check_signal(ctx: &str, s: &Signal, r: &Value, physical_only: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let st = s.stats().unwrap();
    let n = r["n"].as_u64().unwrap();
    if st.samples != n {
        bad.push(format!("{ctx}: n {} != {n}", st.samples));
    }
    if let Some(name) = r["name"].as_str()
        && s.label.trim() != name.trim()
    {
        bad.push(format!("{ctx}: label {:?} != {name:?}", s.label));
    }
    if let Some(u) = r["units"].as_str()
        && s.unit != u
        && !KNOWN_UNIT_DEVIATIONS.contains(&(ctx, s.unit.as_str()))
    {
        bad.push(format!("{ctx}: unit {:?} != {u:?}", s.unit));
    }
    if physical_only {
        let nan = r["n_nan"].as_u64().unwrap();
        if st.missing != nan {
            bad.push(format!("{ctx}: missing {} != n_nan {nan}", st.missing));
        }
        let want = r["phys_sum"].as_f64().unwrap();
        let got = (st.physical_sum * 1000.0).round() / 1000.0;
        if (got - want).abs() > 1e-9 {
            bad.push(format!("{ctx}: phys_sum {got} != {want}"));
        }
        return bad;
    }
    if let Some(fs) = r["fs"].as_f64()
        && (s.fs - fs).abs() > 1e-6 * fs.max(1.0)
    {
        bad.push(format!("{ctx}: fs {} != {fs}", s.fs));
    }
    let sentinel = i64::from(s.missing_value.unwrap_or(0));
    let sum = st.digital_sum + st.missing as i64 * sentinel;
    let (mut min, mut max) = (st.digital_min.map(i64::from), st.digital_max.map(i64::from));
    if st.missing > 0 {
        min = Some(min.map_or(sentinel, |m| m.min(sentinel)));
        max = Some(max.map_or(sentinel, |m| m.max(sentinel)));
    }
    if sum != r["sum"].as_i64().unwrap() {
        bad.push(format!(
            "{ctx}: sum {sum} (stored {} + {} missing) != {}",
            st.digital_sum, st.missing, r["sum"]
        ));
    }
    if min != r["min"].as_i64() {
        bad.push(format!("{ctx}: min {min:?} != {}", r["min"]));
    }
    if max != r["max"].as_i64() {
        bad.push(format!("{ctx}: max {max:?} != {}", r["max"]));
    }
    bad
}

/// Variable-layout records: wfdb-python converts each segment with its own gain; we
/// rescale to the layout's gain (as the WFDB library does), rounding to the nearest
/// unit, so each sample's physical value may move by at most half a layout unit.
fn rescaled_physical_ok(s: &Signal, r: &Value) -> Option<String> {
    let st = s.stats().unwrap();
    let want = r["phys_sum"].as_f64().unwrap();
    let gain = s.scale.gain();
    let bound = (st.samples - st.missing) as f64 * 0.5 / gain;
    let diff = (st.physical_sum - want).abs();
    (diff > bound).then(|| {
        format!(
            "{}: phys_sum {} vs {want}: |diff| {diff} > bound {bound}",
            s.label, st.physical_sum
        )
    })
}

const VARIABLE_LAYOUT: &[&str] = &["multi-segment/s25047/s25047-2704-05-04-10-44.hea"];

fn check_records(dir: &str, only: Option<&[&str]>) -> usize {
    let refs = reference(dir);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rel, r) in refs["records"].as_object().unwrap() {
        if only.is_some_and(|o| !o.contains(&rel.as_str())) || r.get("peer_error").is_some() {
            continue;
        }
        let rec = match decode(dir, rel, &DecodeOptions::default(), &ReadOptions::default()) {
            Ok(rec) => rec,
            Err(e) => {
                failures.push(format!("{rel}: {e}"));
                continue;
            }
        };
        checked += 1;
        assert_eq!(rec.format, "wfdb");
        if rec.name != r["name"].as_str().unwrap() {
            failures.push(format!("{rel}: name {} != {}", rec.name, r["name"]));
        }
        let sigs = r["signals"].as_array().unwrap();
        if rec.signals.len() != sigs.len() {
            failures.push(format!(
                "{rel}: {} signals != {}",
                rec.signals.len(),
                sigs.len()
            ));
            continue;
        }
        let frames: u64 = rec.readings.other["frames"].parse().unwrap();
        if frames != r["sig_len"].as_u64().unwrap() {
            failures.push(format!(
                "{rel}: frames {frames} != sig_len {}",
                r["sig_len"]
            ));
        }
        let physical_only = r["physical_only"].as_bool().unwrap_or(false);
        for (i, (s, sr)) in rec.signals.iter().zip(sigs).enumerate() {
            let ctx = format!("{rel} signal {i}");
            if physical_only && VARIABLE_LAYOUT.contains(&rel.as_str()) {
                let mut bad = check_signal(&ctx, s, sr, true);
                bad.retain(|b| !b.contains("phys_sum"));
                failures.extend(bad);
                failures.extend(rescaled_physical_ok(s, sr));
            } else {
                failures.extend(check_signal(&ctx, s, sr, physical_only));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

fn check_annotations(dir: &str, only: Option<&[&str]>) -> usize {
    let refs = reference(dir);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rel, r) in refs["annotations"].as_object().unwrap() {
        if only.is_some_and(|o| !o.contains(&rel.as_str())) {
            continue;
        }
        let path = testdata(dir).join(rel);
        let set = match ecg_wfdb::read_annotations_path(&path) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{rel}: {e}"));
                continue;
            }
        };
        checked += 1;
        let a = &set.annotations;
        let mut symbols: BTreeMap<String, u64> = BTreeMap::new();
        for x in a {
            *symbols.entry(x.code.mnemonic().into_owned()).or_default() += 1;
        }
        let want: BTreeMap<String, u64> = r["symbols"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        let sum: i64 = a.iter().map(|x| x.sample).sum();
        let got = (
            a.len() as u64,
            a.first().map(|x| x.sample),
            a.last().map(|x| x.sample),
            sum,
        );
        let expect = (
            r["count"].as_u64().unwrap(),
            r["first_sample"].as_i64(),
            r["last_sample"].as_i64(),
            r["sample_sum"].as_i64().unwrap(),
        );
        if got != expect {
            failures.push(format!(
                "{rel}: (count, first, last, sum) {got:?} != {expect:?}"
            ));
        }
        if symbols != want {
            failures.push(format!("{rel}: symbols {symbols:?} != {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

/// A fast representative subset: every format and feature once.
const FAST_RECORDS: &[&str] = &[
    "100.hea",
    "100-no-len.hea",
    "100_3chan.hea",
    "100skew.hea",
    "03700181.hea",
    "3000003_0003.hea",
    "310derive.hea",
    "310derive_3.hea",
    "311derive_3.hea",
    "311derive_4.hea",
    "a103l.hea",
    "a103l-no-len.hea",
    "binformats.hea",
    "flacformats.hea",
    "mixedsignals.hea",
    "p10143.hea",
    "s0010_re.hea",
    "test01_00s_frame.hea",
    "test01_00s_skew.hea",
    "test01_00s_skewframe.hea",
    "test_generator_2.hea",
    "multi-segment/041s/041s.hea",
    "multi-segment/fixed1/v102s.hea",
    "multi-segment/s00001/s00001-2896-10-09-01-56.hea",
    "multi-segment/s00001/s00001-2896-10-10-00-31n.hea",
    "multi-segment/s25047/s25047-2704-05-04-10-44.hea",
];

#[test]
fn wfdb_reference_records_fast_subset() {
    assert_eq!(
        check_records("wfdb", Some(FAST_RECORDS)),
        FAST_RECORDS.len()
    );
}

/// Every record wfdb-python could read (about a second even in the dev profile).
#[test]
fn wfdb_reference_records_all() {
    let n = check_records("wfdb", None);
    assert_eq!(n, 72, "records checked");
}

#[test]
fn wfdb_reference_annotations() {
    assert_eq!(check_annotations("wfdb", None), 6);
}

#[test]
fn qtdb_reference_all() {
    assert_eq!(check_records("qtdb", None), 20);
    assert_eq!(check_annotations("qtdb", None), 120);
}

#[test]
fn record_100_details() {
    let rec = decode(
        "wfdb",
        "100.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(rec.name, "100");
    assert_eq!(rec.signals[0].label, "MLII");
    assert_eq!(
        rec.signals[0].samples.window(0..5).unwrap().as_ref(),
        &[995, 995, 995, 995, 995]
    );
    assert_eq!(
        rec.signals[1].samples.window(0..3).unwrap().as_ref(),
        &[1011, 1011, 1011]
    );
    assert_eq!(rec.personal.age_years, Some(69.0));
    assert_eq!(rec.personal.sex, Some(ecg_core::Sex::Male));
    assert_eq!(rec.personal.medications, vec!["Aldomet", "Inderal"]);
    let annotators: Vec<&str> = rec
        .classification
        .annotations
        .iter()
        .map(|a| a.annotator.as_str())
        .collect();
    assert_eq!(annotators, vec!["atr", "qrs"]);
    assert_eq!(rec.classification.annotations[0].annotations.len(), 2274);
    assert_eq!(rec.classification.annotations[0].fs, Some(360.0));
    let st = rec.signals[0].stats().unwrap();
    assert_eq!(
        (st.digital_min, st.digital_max, st.digital_sum),
        (Some(481), Some(1311), 625781133)
    );
    assert!((rec.duration_s() - 1805.5556).abs() < 1e-3);
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
}

#[test]
fn header_fields_reach_the_record() {
    let rec = decode(
        "wfdb",
        "03700181.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        rec.start_time,
        ecg_core::chrono::NaiveTime::from_hms_opt(17, 27, 45)
    );
    assert_eq!(
        rec.start_date,
        ecg_core::chrono::NaiveDate::from_ymd_opt(1994, 8, 15)
    );
    assert_eq!(rec.signals[0].fs, 500.0);
    assert_eq!(rec.signals[0].len(), 300000);
    assert_eq!(
        rec.signals[1].scale,
        ecg_core::Scale::Gain {
            gain: 12.84,
            baseline: -1605.0
        }
    );
    assert_eq!(rec.signals[1].unit, "mmHg");
    assert_eq!(rec.signals[2].meta.fields["skew"], "4");
    let gq: Vec<_> = rec
        .classification
        .annotations
        .iter()
        .map(|a| (a.annotator.as_str(), a.fs))
        .collect();
    assert_eq!(
        gq,
        vec![
            ("gqrsh", Some(500.0)),
            ("gqrsl", Some(125.0)),
            ("sqrs", Some(250.0))
        ]
    );

    let rec = decode(
        "wfdb",
        "mixedsignals.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(rec.readings.other["counter_frequency"], "999.56");
    let rec = decode(
        "wfdb",
        "s0010_re.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(rec.personal.age_years, Some(81.0));
    assert_eq!(rec.personal.sex, Some(ecg_core::Sex::Female));
    assert!(
        rec.readings
            .comments
            .iter()
            .any(|c| c.contains("Myocardial infarction"))
    );
    assert_eq!(rec.signals[14].meta.fields["file"], "s0010_re.xyz");
    let rec = decode(
        "wfdb",
        "a103l.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(rec.signals[0].meta.fields["byte_offset"], "24");
    assert_eq!(rec.readings.comments, vec!["Asystole", "False alarm"]);
    let rec = decode(
        "wfdb",
        "test_generator_2.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    // The header (like the EDF it came from) says `\xb0` (Latin-1 for the degree sign);
    // wfdb-python's units pattern drops it and reports the default `mV`.
    assert_eq!(rec.signals[8].unit, "\u{b0}");
}

/// Lazy (on-demand) and eager decoding agree sample for sample, for windows that start
/// and end anywhere (inside frames, across skew ends).
#[test]
fn lazy_windows_match_eager_samples() {
    let lazy_opts = ReadOptions {
        eager_sample_limit: 0,
        ..Default::default()
    };
    for rel in [
        "100skew.hea",
        "03700181.hea",
        "100_3chan.hea",
        "a103l.hea",
        "310derive_3.hea",
        "311derive_3.hea",
        "test01_00s_skewframe.hea",
        "test_generator_2.hea",
        "binformats.hea",
        "multi-segment/041s/041s.hea",
        "multi-segment/s25047/s25047-2704-05-04-10-44.hea",
    ] {
        let eager = decode(
            "wfdb",
            rel,
            &DecodeOptions::default(),
            &ReadOptions::default(),
        )
        .unwrap();
        let lazy = decode("wfdb", rel, &DecodeOptions::default(), &lazy_opts).unwrap();
        for (e, l) in eager.signals.iter().zip(&lazy.signals) {
            let all = e.samples.to_vec().unwrap();
            let n = all.len();
            assert_eq!(l.samples.len(), n, "{rel} {}", e.label);
            for (a, b) in [
                (0, n.min(7)),
                (1, n.min(1000)),
                (n / 3, n / 3 + 1),
                (n / 2 - 3, n / 2 + 4001),
                (n.saturating_sub(9), n),
            ] {
                let (a, b) = (a.min(n), b.min(n));
                assert_eq!(
                    l.samples.window(a..b).unwrap().as_ref(),
                    &all[a..b],
                    "{rel} {} {a}..{b}",
                    e.label
                );
            }
            assert_eq!(l.stats().unwrap(), e.stats().unwrap(), "{rel} {}", e.label);
        }
    }
}

// ---- Records wfdb-python could not read (`peer_error` in REFERENCE.json) ----

/// Layout headers (length 0, format 0 `~` signals) are valid records without samples;
/// wfdb-python refuses them ("sampto must be greater than sampfrom").
#[test]
fn layout_headers_read_as_records_without_samples() {
    for (rel, labels) in [
        (
            "multi-segment/p000878/3269321_layout.hea",
            vec!["PLETH", "II", "V", "ABP"],
        ),
        (
            "multi-segment/s00001/3248903_layout.hea",
            vec!["II", "V", "MCL1", "ABP"],
        ),
        (
            "multi-segment/s00001/3975656_layout.hea",
            vec!["II", "V", "MCL1", "ABP"],
        ),
        (
            "multi-segment/s25047/3234460_layout.hea",
            vec!["II", "V", "ABP"],
        ),
    ] {
        let rec = decode(
            "wfdb",
            rel,
            &DecodeOptions::default(),
            &ReadOptions::default(),
        )
        .unwrap();
        let got: Vec<&str> = rec.signals.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(got, labels, "{rel}");
        assert!(
            rec.signals
                .iter()
                .all(|s| s.is_empty() && s.meta.storage.as_deref() == Some("0")),
            "{rel}"
        );
        assert_eq!(rec.readings.other["frames"], "0");
    }
}

/// A segment header whose signal file is absent: an error naming the file and the line,
/// in strict and lenient mode alike (there is nothing valid to read).
#[test]
fn missing_signal_files_are_named() {
    for seg in ["3975656_0009", "3975656_0010", "3975656_0011"] {
        for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
            let rel = format!("multi-segment/s00001/{seg}.hea");
            let err = decode("wfdb", &rel, &opts, &ReadOptions::default()).unwrap_err();
            match &err {
                Error::MissingFile {
                    file,
                    line,
                    missing,
                } => {
                    assert_eq!(file, &format!("{seg}.hea"));
                    assert_eq!(*line, 2);
                    assert_eq!(missing, &format!("{seg}.dat"));
                }
                other => panic!("{rel}: unexpected {other}"),
            }
            assert_eq!(
                err.to_string(),
                format!("{seg}.hea, line 2: `{seg}.dat` is missing")
            );
        }
    }
}

/// Multi-segment records with missing segment headers or signal files: strict mode names
/// the first missing file; lenient mode reads every valid segment and reads the rest as
/// missing samples, with a warning per missing file.
#[test]
fn multi_segment_records_with_missing_parts() {
    let rel = "multi-segment/p000878/p000878-2137-10-26-16-57.hea";
    let err = decode(
        "wfdb",
        rel,
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::MissingFile { line: 6, missing, .. } if missing == "3269321_0003.hea"),
        "{err}"
    );
    let rec = decode(
        "wfdb",
        rel,
        &DecodeOptions::lenient(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(rec.name, "p000878-2137-10-26-16-57");
    let labels: Vec<&str> = rec.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["PLETH", "II", "V", "ABP"]);
    assert!(
        rec.signals
            .iter()
            .all(|s| s.len() == 52_725_000 && s.samples.is_lazy())
    );
    for missing in ["3269321_0003.hea", "3269321_0010.hea"] {
        assert!(
            rec.warnings.iter().any(|w| w.message.contains(missing)),
            "{missing}: {:?}",
            rec.warnings
        );
    }
    // Segment 0001 (PLETH only) sits after the layout and a 3750-frame gap; its gain
    // equals the layout's, so stored values pass through (format 80's -128 = missing).
    let seg1 = decode(
        "wfdb",
        "multi-segment/p000878/3269321_0001.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let want: Vec<i32> = seg1.signals[0]
        .samples
        .to_vec()
        .unwrap()
        .into_iter()
        .map(|v| {
            if v == -128 {
                ecg_wfdb::WFDB_INVALID_SAMPLE
            } else {
                v
            }
        })
        .collect();
    let pleth = &rec.signals[0];
    assert_eq!(
        pleth.samples.window(3750..5750).unwrap().as_ref(),
        want.as_slice()
    );
    assert!(
        pleth
            .samples
            .window(0..3750)
            .unwrap()
            .iter()
            .all(|&v| Some(v) == pleth.missing_value)
    );
    // Segment 0002 holds II and PLETH; V and ABP are missing there.
    let seg2 = decode(
        "wfdb",
        "multi-segment/p000878/3269321_0002.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let ii: Vec<i32> = seg2.signals[0].samples.to_vec().unwrap();
    let got = rec.signals[1].samples.window(5750..7500).unwrap();
    for (g, w) in got.iter().zip(&ii) {
        assert_eq!(
            *g,
            if *w == -128 {
                ecg_wfdb::WFDB_INVALID_SAMPLE
            } else {
                *w
            }
        );
    }
    assert!(
        rec.signals[2]
            .samples
            .window(5750..7500)
            .unwrap()
            .iter()
            .all(|&v| v == ecg_wfdb::WFDB_INVALID_SAMPLE)
    );

    let rel = "multi-segment/s00001/s00001-2896-10-10-00-31.hea";
    let err = decode(
        "wfdb",
        rel,
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::MissingFile { missing, .. } if missing == "3975656_0009.dat"),
        "{err}"
    );
    let rec = decode(
        "wfdb",
        rel,
        &DecodeOptions::lenient(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(rec.signals.iter().all(|s| s.len() == 14_518_365));
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.message.contains("3975656_0009.dat")),
        "{:?}",
        rec.warnings
    );
    assert_eq!(rec.personal.age_years, Some(60.0));
    assert_eq!(
        rec.start_date,
        ecg_core::chrono::NaiveDate::from_ymd_opt(2896, 10, 10)
    );
    // Segment 0001 (II and V, gain 1/mV) rescaled to the layout's 83/mV and 55/mV.
    let seg1 = decode(
        "wfdb",
        "multi-segment/s00001/3975656_0001.hea",
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let raw = seg1.signals[0].samples.window(0..100).unwrap();
    let mapped = rec.signals[0].samples.window(3261..3361).unwrap();
    for (m, r) in mapped.iter().zip(raw.iter()) {
        assert_eq!(
            *m,
            if *r == -128 {
                ecg_wfdb::WFDB_INVALID_SAMPLE
            } else {
                r * 83
            }
        );
    }
}
