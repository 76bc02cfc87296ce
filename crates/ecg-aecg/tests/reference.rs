//! aECG files written by BioSig (and one written after the schema) decode to the samples
//! BioSig reads back from them (`save2gdf -f=BIN`, REFERENCE.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_core::{AnnotationCode, Confidence, DecodeOptions, Record, Sex};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/aecg"))
}

fn check(name: &str) -> Record {
    let text = std::fs::read_to_string(dir().join("REFERENCE.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let channels = all["files"][name].as_array().unwrap();
    let bytes = std::fs::read(dir().join(name)).unwrap();
    assert_eq!(ecg_aecg::detect(&bytes), Confidence::Certain);
    let record = ecg_aecg::decode_path(&dir().join(name), &DecodeOptions::default()).unwrap();
    assert_eq!(record.format, "aecg");
    let rhythm: Vec<_> = record
        .signals
        .iter()
        .filter(|s| s.meta.fields["series"] == "rhythm")
        .collect();
    assert_eq!(rhythm.len(), channels.len(), "{name}");
    for (s, c) in rhythm.iter().zip(channels) {
        assert_eq!(s.label, c["label"].as_str().unwrap(), "{name}");
        assert_eq!(s.unit, c["units"].as_str().unwrap());
        assert_eq!(
            s.len() as u64,
            c["n"].as_u64().unwrap(),
            "{name} {}",
            s.label
        );
        // BioSig prints 1/increment (359.971202 for 0.002778 s); we round to 360 Hz.
        let fs = c["fs"].as_f64().unwrap();
        assert!((s.fs - fs).abs() / fs < 1e-4, "{} vs {fs}", s.fs);
        let st = s.stats().unwrap();
        assert_eq!(
            st.digital_sum as f64,
            c["sum"].as_f64().unwrap(),
            "{name} {}",
            s.label
        );
        assert_eq!(
            f64::from(st.digital_min.unwrap()),
            c["min"].as_f64().unwrap()
        );
        assert_eq!(
            f64::from(st.digital_max.unwrap()),
            c["max"].as_f64().unwrap()
        );
        let first: Vec<f64> = s
            .samples
            .window(0..5)
            .unwrap()
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let want: Vec<f64> = c["first"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(first, want, "{name} {}", s.label);
    }
    record
}

#[test]
fn biosig_twelve_leads_from_scp() {
    let r = check("biosig_s0010_12lead.xml");
    assert_eq!(r.signals.len(), 12);
    let i = r.signal("I").unwrap();
    assert_eq!(i.fs, 500.0);
    assert_eq!(i.meta.fields["scale"], "0.5 uV");
    assert_eq!(i.physical(0..1).unwrap(), vec![-489.0 * 0.5]);
    assert_eq!(r.personal.patient_id.as_deref(), Some("GEN-0001"));
    assert_eq!(r.personal.sex, Some(Sex::Female));
    assert_eq!(r.personal.birth_date.unwrap().to_string(), "1909-01-15");
    assert_eq!(r.readings.device.as_deref(), Some("GENSC"));
    assert_eq!(r.readings.manufacturer.as_deref(), Some("testdata"));
    assert_eq!(r.readings.highpass_hz, None, "0 Hz is no filter");
    assert_eq!(r.start_date.unwrap().to_string(), "1990-10-01");
    assert_eq!(r.start_time.unwrap().to_string(), "09:59:59");
}

#[test]
fn biosig_two_leads_at_360_hz() {
    let r = check("biosig_mitdb100_2lead.xml");
    let ii = r.signal("II").unwrap();
    assert_eq!(ii.fs, 360.0);
    assert_eq!(ii.physical(0..1).unwrap(), vec![-145.0]);
    assert_eq!(r.personal.sex, Some(Sex::Male));
}

#[test]
fn rhythm_median_patient_device_and_annotations() {
    let r = check("handmade_rhythm_median_annotations.xml");
    let labels: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["II", "V5", "aVR", "II median"]);
    let ii = r.signal("II").unwrap();
    // physical = origin + scale * digit = -10 + 5 * d
    let d = ii.samples.window(0..1).unwrap()[0];
    assert_eq!(ii.physical(0..1).unwrap()[0], -10.0 + 5.0 * f64::from(d));
    let median = r.signal("II median").unwrap();
    assert_eq!((median.fs, median.len()), (500.0, 300));
    assert_eq!(median.meta.fields["series"], "derived");
    assert_eq!(median.meta.fields["series_code"], "REPRESENTATIVE_BEAT");
    assert_eq!(
        median.samples.window(0..1).unwrap()[0],
        2 * ii.samples.window(60..61).unwrap()[0]
    );
    let p = &r.personal;
    assert_eq!(p.patient_id.as_deref(), Some("SUBJ-0042"));
    assert_eq!(p.first_name.as_deref(), Some("Zoë"));
    assert_eq!(p.last_name.as_deref(), Some("O'Brien & Co"));
    assert_eq!(p.name.as_deref(), Some("Zoë O'Brien & Co"));
    assert_eq!(p.sex, Some(Sex::Female));
    assert_eq!(p.race.as_deref(), Some("White"));
    assert_eq!(p.birth_date.unwrap().to_string(), "1950-07-14");
    let rd = &r.readings;
    assert_eq!(rd.device.as_deref(), Some("CardioCart 9"));
    assert_eq!(rd.serial_number.as_deref(), Some("SN-12345"));
    assert_eq!(rd.software_version.as_deref(), Some("v4.2.1"));
    assert_eq!(rd.manufacturer.as_deref(), Some("Example Medical"));
    assert_eq!((rd.lowpass_hz, rd.highpass_hz), (Some(150.0), Some(0.05)));
    assert_eq!(rd.other["clinical_trial"], "TRIAL-7");
    assert_eq!(rd.other["clinical_trial_title"], "Thorough QT study");
    assert_eq!(r.start_time.unwrap().to_string(), "04:05:05");
    let c = &r.classification;
    assert_eq!(c.statements.len(), 1);
    assert_eq!(c.statements[0].text, "Sinus rhythm <normal>");
    let qt = c
        .measurements
        .iter()
        .find(|m| m.name == "TIME_PD_QT")
        .unwrap();
    assert_eq!(
        (qt.value, qt.unit.as_deref(), qt.lead.as_deref()),
        (398.0, Some("ms"), None)
    );
    let qrs = c
        .measurements
        .iter()
        .find(|m| m.name == "TIME_PD_QRS")
        .unwrap();
    assert_eq!(qrs.lead.as_deref(), Some("II"));
    let beats = &c.annotations[0];
    assert_eq!(beats.annotator, "aecg");
    let got: Vec<(i64, AnnotationCode)> = beats
        .annotations
        .iter()
        .map(|a| (a.sample, a.code))
        .collect();
    assert_eq!(
        got,
        [
            (74, AnnotationCode::NORMAL),
            (366, AnnotationCode::NORMAL),
            (650, AnnotationCode::PVC)
        ]
    );
    let pwave = c.events.iter().find(|e| e.text.contains("PWAVE")).unwrap();
    assert_eq!(pwave.text, "median: WAVC_PWAVE");
    assert!((pwave.onset_s - 0.04).abs() < 1e-12);
    assert!((pwave.duration_s.unwrap() - 0.1).abs() < 1e-12);
    assert_eq!(c.events.len(), 4);
}

#[test]
fn claims_no_shared_test_file() {
    let files = ecg_testdata::files_below(&ecg_testdata::shared_testdata()).unwrap();
    assert!(files.len() > 300);
    for f in files {
        let b = std::fs::read(&f).unwrap();
        assert_eq!(ecg_aecg::detect(&b), Confidence::No, "{}", f.display());
    }
}
