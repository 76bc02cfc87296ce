#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: archives of the shared test data decoded into records, checked against the
//! decoders' references (`../shared/testdata/{edf,scp,wfdb}/REFERENCE.json`).

use std::path::{Path, PathBuf};

use ecg_archive::{Decoded, Source, decode_upload};
use ecg_core::{DecodeOptions, Record, SharedBytes};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(SHARED).join(rel);
    assert!(p.exists(), "missing {}", p.display());
    p
}

fn reference(folder: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(shared(&format!("{folder}/REFERENCE.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn decode(rel: &str) -> Decoded {
    decode_upload(Source::Path(&shared(rel)), &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Compares an EDF record with pyedflib's reference, signal by signal.
fn check_edf(record: &Record, file: &str) {
    let edf = reference("edf");
    let r = &edf["files"][file];
    let signals = r["signals"].as_array().unwrap();
    assert_eq!(record.format, "edf");
    assert_eq!(record.signals.len(), signals.len(), "{file}: signal count");
    for (s, want) in record.signals.iter().zip(signals) {
        assert_eq!(s.label, want["label"].as_str().unwrap());
        assert_eq!(
            s.fs,
            want["sample_frequency"].as_f64().unwrap(),
            "{}",
            s.label
        );
        let st = s.stats().unwrap();
        assert_eq!(
            st.samples,
            want["n_samples"].as_u64().unwrap(),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_min.map(i64::from),
            want["samples_digital_min"].as_i64(),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_max.map(i64::from),
            want["samples_digital_max"].as_i64(),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_sum,
            want["samples_digital_sum"].as_i64().unwrap(),
            "{}",
            s.label
        );
        let phys = want["samples_physical_sum"].as_f64().unwrap();
        assert!(
            (st.physical_sum - phys).abs() < 1e-3 * phys.abs().max(1.0),
            "{}: {} vs {phys}",
            s.label,
            st.physical_sum
        );
    }
}

/// Compares an SCP record with the generator's truth (which BioSig matches).
fn check_scp(record: &Record, file: &str) {
    let scp = reference("scp");
    let truth = &scp["files"][file]["generator_truth"];
    let leads = truth["leads"].as_array().unwrap();
    assert_eq!(record.format, "scp");
    assert_eq!(record.signals.len(), leads.len(), "{file}: lead count");
    for (s, want) in record.signals.iter().zip(leads) {
        assert_eq!(s.label, want["label"].as_str().unwrap());
        assert_eq!(s.fs, 125.0);
        let st = s.stats().unwrap();
        assert_eq!(
            st.samples,
            want["n_samples"].as_u64().unwrap(),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_min.map(i64::from),
            want["min"].as_i64(),
            "{}",
            s.label
        );
        assert_eq!(
            st.digital_max.map(i64::from),
            want["max"].as_i64(),
            "{}",
            s.label
        );
        assert_eq!(st.digital_sum, want["sum"].as_i64().unwrap(), "{}", s.label);
        let first: Vec<i64> = want["first10"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let got: Vec<i64> = s
            .samples
            .window(0..10)
            .unwrap()
            .iter()
            .map(|&v| i64::from(v))
            .collect();
        assert_eq!(got, first, "{}", s.label);
    }
}

/// Entry names of the upload's files, in archive order.
fn file_order(rel: &str) -> Vec<String> {
    let mut names = Vec::new();
    ecg_archive::walk_upload(
        Source::Path(&shared(rel)),
        &ecg_core::Limits::default(),
        |e| {
            if e.kind == ecg_archive::EntryKind::File {
                names.push(e.name);
            }
            Ok(())
        },
    )
    .unwrap();
    names
}

const SCP_FILE: &str = "gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp";

#[test]
fn mixed_layout_in_every_container() {
    for rel in [
        "archives/ecg/mixed.zip",
        "archives/ecg/mixed.7z",
        "archives/ecg/mixed.tar.zst",
    ] {
        let d = decode(rel);
        let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
        // single-file records in entry order
        let singles: Vec<String> = file_order(rel)
            .into_iter()
            .filter(|n| n.ends_with(".edf") || n.ends_with(".scp"))
            .collect();
        assert_eq!(singles.len(), 2);
        assert_eq!(names[..2], singles[..], "{rel}");
        for r in &d.records[..2] {
            match r.format.as_str() {
                "edf" => check_edf(r, "test_generator.edf"),
                "scp" => check_scp(r, SCP_FILE),
                other => panic!("{rel}: {other}"),
            }
        }
        let skipped: Vec<&str> = d.skipped.iter().map(|s| s.entry.as_str()).collect();
        assert!(
            !skipped
                .iter()
                .any(|s| s.ends_with(".edf") || s.ends_with(".scp")),
            "{rel}: {skipped:?}"
        );
    }
}

#[test]
fn standalone_scp_upload() {
    let d = decode(&format!("scp/{SCP_FILE}"));
    assert_eq!(d.records.len(), 1);
    assert_eq!(d.records[0].name, SCP_FILE);
    check_scp(&d.records[0], SCP_FILE);
}

#[test]
fn standalone_edf_upload_from_path_bytes_and_stream() {
    let path = shared("edf/test_generator.edf");
    let d = decode_upload(Source::Path(&path), &DecodeOptions::default()).unwrap();
    assert_eq!(d.records.len(), 1);
    assert!(d.archive.is_none());
    assert_eq!(d.records[0].name, "test_generator.edf");
    check_edf(&d.records[0], "test_generator.edf");
    let bytes = std::fs::read(&path).unwrap();
    let src = Source::Bytes {
        name: "upload.edf".into(),
        data: SharedBytes::from_vec(bytes.clone()),
    };
    let d = decode_upload(src, &DecodeOptions::default()).unwrap();
    assert_eq!(d.records[0].name, "upload.edf");
    check_edf(&d.records[0], "test_generator.edf");
    let src = Source::Reader {
        name: "stream.edf".into(),
        reader: Box::new(std::io::Cursor::new(bytes)),
    };
    let d = decode_upload(src, &DecodeOptions::default()).unwrap();
    check_edf(&d.records[0], "test_generator.edf");
}

#[test]
fn a_cut_standalone_edf_is_refused_naming_the_formats_tried() {
    let mut bytes = std::fs::read(shared("edf/test_generator.edf")).unwrap();
    bytes.truncate(256 * 12 + 100); // header intact, data records cut
    let src = Source::Bytes {
        name: "cut.edf".into(),
        data: SharedBytes::from_vec(bytes),
    };
    // the EDF detector checks the file size against the header, so nothing claims it
    match decode_upload(src, &DecodeOptions::default()) {
        Err(ecg_archive::ArchiveError::UnknownFormat { name, tried }) => {
            assert_eq!(name, "cut.edf");
            assert!(tried.contains(&"edf"), "{tried:?}");
        }
        other => panic!("{:?}", other.map(|d| d.records.len())),
    }
}
