//! Files written by the peer (ishneholterlib, `testdata/ishne/make_fixtures.py`) decode to
//! what the peer reads back (REFERENCE.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_core::{AnnotationCode, DecodeOptions, Sex};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ishne"))
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("REFERENCE.json")).unwrap()).unwrap()
}

fn check_ecg(name: &str) -> ecg_core::Record {
    let all = reference();
    let want = &all["files"][name];
    let record = ecg_ishne::decode_path(&dir().join(name), &DecodeOptions::default()).unwrap();
    assert!(record.warnings.is_empty(), "{:?}", record.warnings);
    assert_eq!(record.format, "ishne");
    let leads = want["leads"].as_array().unwrap();
    assert_eq!(record.signals.len(), leads.len());
    assert_eq!(
        record.signals.len() as u64,
        want["nleads"].as_u64().unwrap()
    );
    for (s, l) in record.signals.iter().zip(leads) {
        assert!(s.samples.is_lazy());
        assert_eq!(s.label, l["name"].as_str().unwrap());
        assert_eq!(s.fs, want["sr"].as_f64().unwrap());
        assert_eq!(s.len() as u64, l["n"].as_u64().unwrap());
        let st = s.stats().unwrap();
        assert_eq!(
            st.digital_min,
            Some(l["min"].as_i64().unwrap() as i32),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_max,
            Some(l["max"].as_i64().unwrap() as i32),
            "{}",
            s.label
        );
        assert_eq!(st.digital_sum, l["sum"].as_i64().unwrap(), "{}", s.label);
        let first: Vec<i64> = l["first"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let ours: Vec<i64> = s
            .samples
            .window(0..5)
            .unwrap()
            .iter()
            .map(|&v| i64::from(v))
            .collect();
        assert_eq!(ours, first, "{}", s.label);
        assert_eq!(s.meta.fields["resolution_nv"], l["res_nv"].to_string());
        assert_eq!(
            s.meta.fields["lead_quality"],
            format!("1 {}", l["quality"].as_str().unwrap())
        );
        // physical = digital * resolution (nV) / 1e6 mV, as the peer converts
        let res = l["res_nv"].as_f64().unwrap();
        let d = s.samples.window(10..11).unwrap()[0];
        assert!((s.to_physical(d) - f64::from(d) * res / 1e6).abs() < 1e-12);
    }
    let p = &record.personal;
    assert_eq!(
        p.first_name.as_deref(),
        Some(want["first_name"].as_str().unwrap())
    );
    assert_eq!(
        p.last_name.as_deref(),
        Some(want["last_name"].as_str().unwrap())
    );
    assert_eq!(p.patient_id.as_deref(), Some(want["id"].as_str().unwrap()));
    assert_eq!(
        p.birth_date.unwrap().to_string(),
        want["birth_date"].as_str().unwrap()
    );
    assert_eq!(p.sex, Some(Sex::Female));
    assert_eq!(p.race.as_deref(), Some("Caucasian"));
    assert_eq!(
        record.start_date.unwrap().to_string(),
        want["record_date"].as_str().unwrap()
    );
    assert_eq!(
        record.start_time.unwrap().to_string(),
        want["start_time"].as_str().unwrap()
    );
    assert_eq!(
        record.readings.other["recorder_type"],
        want["recorder_type"].as_str().unwrap()
    );
    assert_eq!(record.readings.other["pacemaker"], "0 none");
    record
}

#[test]
fn mitdb100_two_leads() {
    let r = check_ecg("mitdb100_10s.ecg");
    assert_eq!(r.signals[1].label, "V5");
    assert!(!r.readings.other.contains_key("variable_block"));
}

#[test]
fn s0010_twelve_leads_with_variable_block_and_utf8_names() {
    let r = check_ecg("s0010_12lead_2s.ecg");
    let names: Vec<&str> = r.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        names,
        [
            "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
        ]
    );
    assert_eq!(
        r.readings.other["variable_block"],
        reference()["files"]["s0010_12lead_2s.ecg"]["var_block"]
            .as_str()
            .unwrap()
            .trim_end_matches('\0')
    );
    assert_eq!(r.personal.name.as_deref(), Some("José Müller"));
}

#[test]
fn annotations_match_the_peer() {
    let all = reference();
    let want = &all["files"]["mitdb100_10s.ann"];
    let set = ecg_ishne::read_annotations(&std::fs::read(dir().join("mitdb100_10s.ann")).unwrap())
        .unwrap();
    assert_eq!(set.annotator, "ishne");
    assert_eq!(set.fs, Some(360.0));
    assert_eq!(
        set.annotations.len() as u64,
        want["count"].as_u64().unwrap()
    );
    let samples: Vec<i64> = set.annotations.iter().map(|a| a.sample).collect();
    let first: Vec<i64> = want["first_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(&samples[..5], &first[..]);
    assert_eq!(
        *samples.last().unwrap(),
        want["last_sample"].as_i64().unwrap()
    );
    assert_eq!(
        samples.iter().sum::<i64>(),
        want["sample_sum"].as_i64().unwrap()
    );
    let normal = set
        .annotations
        .iter()
        .filter(|a| a.code == AnnotationCode::NORMAL)
        .count();
    let sv = set
        .annotations
        .iter()
        .filter(|a| a.code == AnnotationCode::SVPB)
        .count();
    assert_eq!(normal as u64, want["labels"]["N"].as_u64().unwrap());
    assert_eq!(sv as u64, want["labels"]["S"].as_u64().unwrap());
}
