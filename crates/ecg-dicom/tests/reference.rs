//! DICOM waveform files written by pydicom decode to the samples pydicom reads back from
//! them (REFERENCE.json, `make_fixtures.py`) and to the samples of the PhysioNet records
//! they were written from (read here by ecg-wfdb, and by wfdb-python in REFERENCE.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_core::{Confidence, DecodeOptions, Record, Sex, SharedBytes};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/dicom"))
}

fn reference() -> Value {
    let text = std::fs::read_to_string(dir().join("REFERENCE.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// Decodes `name` and checks every multiplex group and channel against pydicom's
/// read-back.
fn check(name: &str) -> Record {
    let all = reference();
    let file = &all["files"][name];
    let bytes = std::fs::read(dir().join(name)).unwrap();
    assert_eq!(ecg_dicom::detect(&bytes), Confidence::Certain, "{name}");
    let record = ecg_dicom::decode_path(&dir().join(name), &DecodeOptions::default()).unwrap();
    assert_eq!(record.format, "dicom");
    assert_eq!(
        record.readings.other["sop_class_uid"],
        file["sop_class"].as_str().unwrap()
    );
    assert_eq!(
        record.readings.other["transfer_syntax_uid"],
        file["transfer_syntax"].as_str().unwrap()
    );
    let mut signals = record.signals.iter();
    for (gi, group) in file["groups"].as_array().unwrap().iter().enumerate() {
        for c in group["channel"].as_array().unwrap() {
            let s = signals.next().unwrap();
            let what = format!("{name} group {} {}", gi + 1, s.label);
            assert_eq!(s.fs, f(&group["fs"]), "{what}");
            assert_eq!(s.len() as u64, group["samples"].as_u64().unwrap(), "{what}");
            assert_eq!(s.meta.fields["multiplex_group"], (gi + 1).to_string());
            assert_eq!(
                s.meta.storage.as_deref().unwrap(),
                format!(
                    "{}-bit {}",
                    group["bits"],
                    group["interpretation"].as_str().unwrap()
                )
            );
            assert_eq!(s.unit, c["units"].as_str().unwrap(), "{what}");
            assert_eq!(s.meta.fields["lead_code"], c["code"].as_str().unwrap());
            assert_eq!(
                s.meta.fields["coding_scheme"],
                c["scheme"].as_str().unwrap()
            );
            assert_eq!(
                s.meta.fields["code_meaning"],
                c["meaning"].as_str().unwrap()
            );
            assert_eq!(
                s.meta.fields["sensitivity"].parse::<f64>().unwrap(),
                f(&c["sensitivity"])
            );
            // G.711 groups: compare the expanded values (pydicom leaves the codes raw)
            let want = c.get("expanded").unwrap_or(&c["raw"]);
            let st = s.stats().unwrap();
            assert_eq!(st.samples, want["n"].as_u64().unwrap(), "{what}");
            assert_eq!(st.digital_sum, want["sum"].as_i64().unwrap(), "{what}");
            assert_eq!(
                i64::from(st.digital_min.unwrap()),
                want["min"].as_i64().unwrap()
            );
            assert_eq!(
                i64::from(st.digital_max.unwrap()),
                want["max"].as_i64().unwrap()
            );
            let first: Vec<i64> = s
                .samples
                .window(0..5)
                .unwrap()
                .iter()
                .map(|&v| i64::from(v))
                .collect();
            let want_first: Vec<i64> = want["first"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(first, want_first, "{what}");
            assert_eq!(
                st.missing,
                c.get("padding_count").and_then(Value::as_u64).unwrap_or(0),
                "{what}"
            );
            if c.get("expanded").is_none() {
                // pydicom's physical values: raw x sensitivity x correction + baseline
                let ours = s.physical(0..3).unwrap();
                for (a, b) in ours.iter().zip(c["physical_first"].as_array().unwrap()) {
                    assert!((a - f(b)).abs() <= 1e-9 * f(b).abs().max(1.0), "{what}");
                }
            }
        }
    }
    assert!(
        signals.next().is_none(),
        "{name}: more signals than pydicom"
    );
    record
}

/// Checks the decoded leads sample for sample against the WFDB record they were written
/// from (first `n` samples, read by ecg-wfdb) and against wfdb-python's values.
fn same_as_source(record: &Record, name: &str, hea: &str, leads: &[(&str, &str)]) {
    let all = reference();
    let source = &all["source"][name]["leads"];
    let wfdb = ecg_wfdb::decode_path(
        &ecg_testdata::shared_testdata().join("wfdb").join(hea),
        &DecodeOptions::default(),
    )
    .unwrap();
    for (ours, theirs) in leads {
        let s = record.signal(ours).unwrap();
        let n = s.len();
        let w = wfdb.signal(theirs).unwrap();
        assert_eq!(
            s.samples.to_vec().unwrap(),
            w.samples.window(0..n).unwrap().into_owned(),
            "{name} {ours} vs {hea} {theirs}"
        );
        let st = s.stats().unwrap();
        let want = &source[theirs];
        assert_eq!(st.samples, want["n"].as_u64().unwrap());
        assert_eq!(st.digital_sum, want["sum"].as_i64().unwrap());
        assert_eq!(
            i64::from(st.digital_min.unwrap()),
            want["min"].as_i64().unwrap()
        );
        // the same physical scale as the WFDB header's gain and baseline
        for k in [0, n / 2, n - 1] {
            let a = s.physical(k..k + 1).unwrap()[0];
            let b = w.physical(k..k + 1).unwrap()[0];
            let b = if s.unit == "uV" { b * 1000.0 } else { b };
            assert!(
                (a - b).abs() < 1e-9 * b.abs().max(1.0),
                "{ours} {k}: {a} {b}"
            );
        }
    }
}

#[test]
fn twelve_lead_s0010_explicit_vr() {
    let r = check("pydicom_s0010_12lead.dcm");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
        ]
    );
    same_as_source(
        &r,
        "pydicom_s0010_12lead.dcm",
        "s0010_re.hea",
        &[
            ("I", "i"),
            ("II", "ii"),
            ("III", "iii"),
            ("aVR", "avr"),
            ("aVL", "avl"),
            ("aVF", "avf"),
            ("V1", "v1"),
            ("V2", "v2"),
            ("V3", "v3"),
            ("V4", "v4"),
            ("V5", "v5"),
            ("V6", "v6"),
        ],
    );
    let i = r.signal("I").unwrap();
    assert_eq!((i.fs, i.len(), i.unit.as_str()), (1000.0, 10_000, "uV"));
    assert_eq!(i.physical(0..1).unwrap(), vec![-489.0 * 0.5]);
    assert_eq!(
        i.meta.prefilter.as_deref(),
        Some("HP:0.05Hz LP:150Hz N:50Hz")
    );
    assert_eq!(i.meta.adc_resolution, Some(16));
    assert_eq!(i.meta.fields["multiplex_group_label"], "RHYTHM");
    let p = &r.personal;
    assert_eq!(p.patient_id.as_deref(), Some("PTB-s0010"));
    assert_eq!(p.last_name.as_deref(), Some("s0010_re"));
    assert_eq!(p.first_name.as_deref(), Some("PTB"));
    assert_eq!(p.sex, Some(Sex::Female));
    assert_eq!(p.age_years, Some(81.0));
    assert_eq!(p.birth_date.unwrap().to_string(), "1909-01-15");
    let rd = &r.readings;
    assert_eq!(rd.manufacturer.as_deref(), Some("testdata"));
    assert_eq!(rd.device.as_deref(), Some("pydicom 3.0.2"));
    assert_eq!(rd.serial_number.as_deref(), Some("PTB-0001"));
    assert_eq!(
        (rd.highpass_hz, rd.lowpass_hz, rd.notch_hz),
        (Some(0.05), Some(150.0), Some(50.0))
    );
    assert_eq!(rd.other["sop_class"], "12-lead ECG");
    assert_eq!(rd.other["study_date"], "1990-10-01");
    assert_eq!(r.start_date.unwrap().to_string(), "1990-10-01");
    assert_eq!(r.start_time.unwrap().to_string(), "09:59:59.250");
    assert!(r.classification.annotations.is_empty());
}

#[test]
fn general_ecg_mitdb100_implicit_vr_with_annotations() {
    let r = check("pydicom_mitdb100_2lead.dcm");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["II", "V5"]);
    same_as_source(
        &r,
        "pydicom_mitdb100_2lead.dcm",
        "100.hea",
        &[("II", "MLII"), ("V5", "V5")],
    );
    let ii = r.signal("II").unwrap();
    assert_eq!(ii.meta.fields["channel_label"], "MLII");
    assert_eq!(ii.meta.fields["baseline"], "-5.12");
    // ISO_IR 100 (Latin-1) names
    assert_eq!(r.personal.name.as_deref(), Some("Jörg Müller"));
    assert_eq!(r.personal.sex, Some(Sex::Male));
    assert_eq!(r.start_date.unwrap().to_string(), "2024-03-01");
    assert_eq!(r.start_time.unwrap().to_string(), "10:15:30");
    // beat annotations of 100.atr: same samples and symbols as wfdb-python
    let all = reference();
    let src = &all["source"]["pydicom_mitdb100_2lead.dcm"];
    let set = &r.classification.annotations[0];
    assert_eq!(set.annotator, "dicom");
    assert_eq!(set.fs, Some(360.0));
    let samples: Vec<i64> = set.annotations.iter().map(|a| a.sample).collect();
    let want: Vec<i64> = src["ann_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(samples, want);
    let symbols: Vec<&str> = set
        .annotations
        .iter()
        .map(|a| a.aux.as_deref().unwrap())
        .collect();
    let want: Vec<&str> = src["ann_symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(symbols, want);
    let c = &r.classification;
    assert_eq!(c.measurements.len(), 1);
    let hr = &c.measurements[0];
    assert_eq!(
        (
            hr.name.as_str(),
            hr.value,
            hr.unit.as_deref(),
            hr.lead.as_deref()
        ),
        ("Heart rate", 72.0, Some("/min"), None)
    );
    assert_eq!(c.statements.len(), 1);
    assert_eq!(c.statements[0].text, "Sinus rhythm");
}

#[test]
fn ambulatory_three_groups_padding_8_bit_and_mu_law() {
    let r = check("pydicom_ambulatory_groups.dcm");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["II", "V5", "II decimated", "V5 mulaw"]);
    let ii = r.signal("II").unwrap();
    assert_eq!(ii.missing_value, Some(-32768));
    let window = ii.physical(99..111).unwrap();
    assert!(!window[0].is_nan() && !window[11].is_nan());
    assert!(window[1..11].iter().all(|v| v.is_nan()));
    assert_eq!(ii.unit, "uV");
    assert_eq!(ii.physical(0..1).unwrap(), vec![995.0 * 5.0 - 5120.0]);
    let dec = r.signal("II decimated").unwrap();
    assert_eq!((dec.fs, dec.len()), (90.0, 900));
    let mu = r.signal("V5 mulaw").unwrap();
    assert_eq!(mu.meta.storage.as_deref(), Some("8-bit MB"));
    // mu-law of (d - 1024) x 64 with a 0.078125 uV step comes back within the G.711
    // quantisation of the V5 signal (5 uV per count)
    let v5 = r.signal("V5").unwrap();
    let a = mu.physical(0..3600).unwrap();
    let b = v5.physical(0..3600).unwrap();
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        if !y.is_nan() {
            assert!((x - y).abs() <= 0.04 * y.abs() + 1.0, "{k}: {x} {y}");
        }
    }
    assert_eq!(r.start_date.unwrap().to_string(), "2024-03-02");
    assert_eq!(r.start_time.unwrap().to_string(), "23:59:59.500");
    assert_eq!(r.readings.other["sop_class"], "Ambulatory ECG");
}

#[test]
fn hemodynamic_32_bit_and_a_law_implicit_vr() {
    let r = check("pydicom_hemodynamic_32bit.dcm");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["II", "V5 alaw"]);
    let p = r.signal("II").unwrap();
    assert_eq!(p.meta.fields["sample_skew_ms"], "0.5");
    assert_eq!(p.meta.fields["correction_factor"], "1.02");
    assert_eq!(p.meta.adc_resolution, Some(32));
    assert_eq!(r.readings.other["sop_class"], "Hemodynamic");
}

#[test]
fn mortara_cart_export_with_median_beats_and_annotations() {
    let r = check("mortara_eli250_12lead.dcm");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels.len(), 24);
    assert_eq!(
        labels[..12],
        [
            "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
        ]
    );
    assert_eq!(labels[12], "I median beat");
    assert_eq!(r.signal("I median beat").unwrap().len(), 1200);
    let p = &r.personal;
    assert_eq!(p.patient_id.as_deref(), Some("642341"));
    assert_eq!(p.sex, Some(Sex::Female));
    assert_eq!(p.age_years, Some(42.0));
    assert_eq!(p.birth_date.unwrap().to_string(), "1971-01-23");
    let rd = &r.readings;
    assert_eq!(rd.manufacturer.as_deref(), Some("Mortara Instrument, Inc."));
    assert_eq!(rd.device.as_deref(), Some("el250"));
    assert_eq!(rd.institution.as_deref(), Some("E. O. Ospedali Galliera"));
    assert_eq!(
        (rd.highpass_hz, rd.lowpass_hz, rd.notch_hz),
        (Some(0.05), Some(300.0), None)
    );
    assert_eq!(r.start_date.unwrap().to_string(), "2013-01-25");
    assert_eq!(r.start_time.unwrap().to_string(), "10:59:19");
    // 77 annotation items: 2 statements, 9 measurements, 66 with sample positions
    let c = &r.classification;
    assert_eq!(
        c.statements
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
        ["RITMO SINUSALE", "ECG NORMALE"]
    );
    assert_eq!(c.measurements.len(), 9);
    let pr = c
        .measurements
        .iter()
        .find(|m| m.name == "PR Interval")
        .unwrap();
    assert_eq!((pr.value, pr.unit.as_deref()), (161.0, Some("ms")));
    // 66 POINT items with one 1-based Referenced Sample Position each (pydicom: first
    // 299 "P Onset", last 9697 "T Offset"), all on the first (RHYTHM, 1000 Hz) group
    assert_eq!(c.annotations.len(), 1);
    let set = &c.annotations[0];
    assert_eq!((set.annotator.as_str(), set.fs), ("dicom", Some(1000.0)));
    assert_eq!(set.annotations.len(), 66);
    let (first, last) = (&set.annotations[0], &set.annotations[65]);
    assert_eq!((first.sample, first.aux.as_deref()), (298, Some("P Onset")));
    assert_eq!((last.sample, last.aux.as_deref()), (9696, Some("T Offset")));
    assert!(c.events.is_empty());
}

#[test]
fn secondary_capture_image_is_not_claimed() {
    let bytes = std::fs::read(dir().join("pydicom_secondary_capture.dcm")).unwrap();
    assert_eq!(ecg_dicom::detect(&bytes), Confidence::No);
    let e = ecg_dicom::decode(
        "sc.dcm",
        SharedBytes::from_vec(bytes),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ecg_dicom::Error::NotWaveform { sop_class } if sop_class == "1.2.840.10008.5.1.4.1.1.7"),
        "{e}"
    );
}

#[test]
fn claims_no_shared_test_file() {
    let files = ecg_testdata::files_below(&ecg_testdata::shared_testdata()).unwrap();
    assert!(files.len() > 300, "shared test data missing");
    for f in files {
        let b = std::fs::read(&f).unwrap();
        assert_eq!(ecg_dicom::detect(&b), Confidence::No, "{}", f.display());
    }
}

/// The other single-file detectors of the registry (EDF, SCP, ISHNE, HL7 aECG, CSV).
fn other_claims(data: &[u8]) -> Vec<&'static str> {
    let mut claims = Vec::new();
    for (name, confidence) in [
        ("edf", ecg_edf::detect(data)),
        ("scp", ecg_scp::detect(data)),
        ("ishne", ecg_ishne::detect(data)),
        ("aecg", ecg_aecg::detect(data)),
        ("csv", ecg_csv::detect(data)),
    ] {
        if confidence != Confidence::No {
            claims.push(name);
        }
    }
    claims
}

#[test]
fn no_other_detector_claims_the_fixtures() {
    let files = ecg_testdata::files_below(&dir()).unwrap();
    let mut waveforms = 0;
    for f in files {
        if f.extension().and_then(|e| e.to_str()) != Some("dcm") {
            continue;
        }
        let data = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            other_claims(&data).is_empty(),
            "{name}: {:?}",
            other_claims(&data)
        );
        if !name.contains("secondary_capture") {
            assert_eq!(ecg_dicom::detect(&data), Confidence::Certain, "{name}");
            waveforms += 1;
        }
    }
    assert_eq!(waveforms, 5);
}
