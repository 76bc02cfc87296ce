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
        let sources: Vec<&str> = d.records[..2]
            .iter()
            .map(|r| r.source.as_deref().unwrap())
            .collect();
        assert_eq!(sources[..], singles[..], "{rel}");
        let bases: Vec<&str> = singles
            .iter()
            .map(|s| s.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names[..2], bases[..], "{rel}");
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

/// Compares a WFDB record with wfdb-python's reference (`records["<key>"]`).
fn check_wfdb(record: &Record, key: &str) {
    let wfdb = reference("wfdb");
    let r = &wfdb["records"][key];
    assert!(r.is_object(), "no reference for {key}");
    assert_eq!(record.format, "wfdb");
    let signals = r["signals"].as_array().unwrap();
    assert_eq!(record.signals.len(), signals.len(), "{key}: signal count");
    for (s, want) in record.signals.iter().zip(signals) {
        assert_eq!(s.label, want["name"].as_str().unwrap(), "{key}");
        assert_eq!(s.fs, want["fs"].as_f64().unwrap(), "{key}: {}", s.label);
        let st = s.stats().unwrap();
        assert_eq!(
            st.samples,
            want["n"].as_u64().unwrap(),
            "{key}: {}",
            s.label
        );
        // the reference counts WFDB's invalid-sample sentinel as a value (as ecg-wfdb's
        // own reference test does)
        let sentinel = i64::from(s.missing_value.unwrap_or(0));
        let sum = st.digital_sum + st.missing as i64 * sentinel;
        let (mut min, mut max) = (st.digital_min.map(i64::from), st.digital_max.map(i64::from));
        if st.missing > 0 {
            min = Some(min.map_or(sentinel, |m| m.min(sentinel)));
            max = Some(max.map_or(sentinel, |m| m.max(sentinel)));
        }
        assert_eq!(
            (min, max, sum),
            (
                want["min"].as_i64(),
                want["max"].as_i64(),
                want["sum"].as_i64().unwrap()
            ),
            "{key}: {}",
            s.label
        );
    }
}

fn check_100_annotations(record: &Record) {
    let ann = &reference("wfdb")["annotations"]["100.atr"];
    let set = record
        .classification
        .annotations
        .iter()
        .find(|a| a.annotator == "atr")
        .expect("100.atr read from the archive");
    assert_eq!(set.annotations.len() as u64, ann["count"].as_u64().unwrap());
    let sum: i64 = set.annotations.iter().map(|a| a.sample).sum();
    assert_eq!(sum, ann["sample_sum"].as_i64().unwrap());
}

#[test]
fn two_records_in_one_directory() {
    for rel in [
        "archives/ecg/two_records.zip",
        "archives/ecg/two_records.7z",
        "archives/ecg/two_records.tar.zst",
    ] {
        let d = decode(rel);
        let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["100", "test01_00s"], "{rel}");
        let sources: Vec<&str> = d
            .records
            .iter()
            .map(|r| r.source.as_deref().unwrap())
            .collect();
        assert_eq!(sources, ["rec_a/100.hea", "rec_a/test01_00s.hea"], "{rel}");
        check_wfdb(&d.records[0], "100.hea");
        check_100_annotations(&d.records[0]);
        check_wfdb(&d.records[1], "test01_00s.hea");
        assert!(d.skipped.is_empty(), "{rel}: {:?}", d.skipped);
    }
}

#[test]
fn two_headers_share_one_dat() {
    let dat = std::fs::read(shared("wfdb/3000003_0003.dat")).unwrap();
    // format 80: one byte per sample, offset 128; two interleaved signals; rec_tail reads
    // from byte 1024 (frame 512) on
    let tail = |sig: usize| -> (i64, i64, i64, usize) {
        let v: Vec<i64> = dat[1024..]
            .iter()
            .skip(sig)
            .step_by(2)
            .map(|&b| i64::from(b) - 128)
            .collect();
        (
            v.iter().sum(),
            *v.iter().min().unwrap(),
            *v.iter().max().unwrap(),
            v.len(),
        )
    };
    for rel in [
        "archives/ecg/shared_dat.zip",
        "archives/ecg/shared_dat.7z",
        "archives/ecg/shared_dat.tar.zst",
    ] {
        let d = decode(rel);
        let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["rec_full", "rec_tail"], "{rel}");
        check_wfdb(&d.records[0], "3000003_0003.hea");
        for (i, s) in d.records[1].signals.iter().enumerate() {
            let st = s.stats().unwrap();
            let (sum, min, max, n) = tail(i);
            assert_eq!(n, 516);
            assert_eq!(
                (
                    st.digital_sum,
                    st.digital_min.map(i64::from),
                    st.digital_max.map(i64::from),
                    st.samples as usize
                ),
                (sum, Some(min), Some(max), n),
                "{rel}: rec_tail {}",
                s.label
            );
        }
        assert!(d.skipped.is_empty(), "{rel}: {:?}", d.skipped);
    }
}

#[test]
fn mixed_order_single_files_then_wfdb() {
    for rel in [
        "archives/ecg/mixed.zip",
        "archives/ecg/mixed.7z",
        "archives/ecg/mixed.tar.zst",
    ] {
        let d = decode(rel);
        assert_eq!(d.records.len(), 3, "{rel}");
        assert_eq!(d.records[2].name, "test01_00s", "{rel}");
        assert_eq!(
            d.records[2].source.as_deref(),
            Some("mixed/test01_00s.hea"),
            "{rel}"
        );
        check_wfdb(&d.records[2], "test01_00s.hea");
        assert!(d.skipped.is_empty(), "{rel}: {:?}", d.skipped);
    }
}

#[test]
fn every_zip_method_decodes_record_100() {
    for m in [
        "store",
        "deflate",
        "deflate64",
        "bzip2",
        "lzma",
        "xz",
        "zstd",
    ] {
        let d = decode(&format!("archives/zip_methods/zip_{m}.zip"));
        assert_eq!(d.records.len(), 1, "{m}");
        assert_eq!(d.records[0].name, "100");
        check_wfdb(&d.records[0], "100.hea");
        assert!(d.skipped.is_empty());
    }
}

#[test]
fn standalone_wfdb_header_path_reads_its_directory() {
    let d = decode("wfdb/100.hea");
    assert_eq!(d.records.len(), 1);
    check_wfdb(&d.records[0], "100.hea");
}

#[test]
fn own_fixtures_groups_multi_segment_and_nesting() {
    let own = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/archives");
    let d = decode_upload(
        Source::Path(&Path::new(own).join("groups.tar.xz")),
        &DecodeOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["041s", "test01_00s"]);
    let sources: Vec<&str> = d
        .records
        .iter()
        .map(|r| r.source.as_deref().unwrap())
        .collect();
    assert_eq!(sources, ["041s/041s.hea", "a/test01_00s.hea"]);
    check_wfdb(&d.records[0], "multi-segment/041s/041s.hea");
    check_wfdb(&d.records[1], "test01_00s.hea");
    // b/ has the same header but no signal file: it must not borrow a/'s
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.skipped[0].entry, "b/test01_00s.hea");
    assert!(
        d.skipped[0].reason.contains("test01_00s.dat"),
        "{}",
        d.skipped[0].reason
    );

    for name in [
        "layout.tar",
        "layout.tar.gz",
        "layout.tar.bz2",
        "layout.tar.xz",
        "layout.tar.lz4",
        "layout.tar.zst",
    ] {
        let d = decode_upload(
            Source::Path(&Path::new(own).join(name)),
            &DecodeOptions::default(),
        )
        .unwrap();
        let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [SCP_FILE, "test01_00s", "rec_full", "rec_tail"],
            "{name}"
        );
        let sources: Vec<&str> = d
            .records
            .iter()
            .map(|r| r.source.as_deref().unwrap())
            .collect();
        assert_eq!(
            sources,
            [
                &format!("gen/{SCP_FILE}") as &str,
                "gen/test01_00s.hea",
                "rec_full.hea",
                "rec_tail.hea"
            ],
            "{name}"
        );
        check_scp(&d.records[0], SCP_FILE);
        check_wfdb(&d.records[1], "test01_00s.hea");
        check_wfdb(&d.records[2], "3000003_0003.hea");
        let skipped: Vec<&str> = d.skipped.iter().map(|s| s.entry.as_str()).collect();
        assert_eq!(skipped, ["gen/notes.txt"], "{name}");
    }

    let d = decode_upload(
        Source::Path(&Path::new(own).join("nested.zip")),
        &DecodeOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = d.records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [SCP_FILE, SCP_FILE, "test01_00s", "rec_full", "rec_tail"]
    );
    let sources: Vec<&str> = d
        .records
        .iter()
        .map(|r| r.source.as_deref().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            &format!("inner/layout.tar.gz/gen/{SCP_FILE}") as &str,
            &format!("inner/gen.zip/gen/{SCP_FILE}"),
            "inner/layout.tar.gz/gen/test01_00s.hea",
            "inner/layout.tar.gz/rec_full.hea",
            "inner/layout.tar.gz/rec_tail.hea"
        ]
    );
    let skipped: Vec<&str> = d.skipped.iter().map(|s| s.entry.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "inner/layout.tar.gz/gen/notes.txt",
            "inner/gen.zip/gen/deep.zip",
            "inner/single.scp.gz"
        ]
    );
}
