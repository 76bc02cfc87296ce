#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The formats registered after EDF and SCP (ISHNE, HL7 aECG, CSV, DICOM): a zip holding
//! one file of each decodes to records in entry order, and no registered detector steals
//! another format's files (the project's fixtures and every shared test file).

use std::io::Write;
use std::path::Path;

use ecg_archive::{Decoded, SINGLE_FILE_FORMATS, Source, decode_upload, single_file_format_names};
use ecg_core::{Confidence, DecodeOptions, SharedBytes};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(TESTDATA).join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A zip (stored entries) of `entries`, in order.
fn stored_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        zip.start_file(*name, stored).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `bytes` as an upload named `upload.zip`.
fn upload(bytes: Vec<u8>) -> Source<'static> {
    Source::Bytes {
        name: "upload.zip".into(),
        data: SharedBytes::from_vec(bytes),
    }
}

/// Name, format and signal count of each decoded record, in order.
fn listing(decoded: &Decoded) -> Vec<(&str, &str, usize)> {
    decoded
        .records
        .iter()
        .map(|r| (r.name.as_str(), r.format.as_str(), r.signals.len()))
        .collect()
}

#[test]
fn registry_order() {
    assert_eq!(
        single_file_format_names(),
        ["edf", "scp", "ishne", "aecg", "csv", "dicom"]
    );
}

#[test]
fn zip_with_csv_ishne_and_aecg_entries_decodes_in_order() {
    let entries: [(&str, Vec<u8>); 6] = [
        (
            "exports/leads.csv",
            fixture("csv/mitdb100_semicolon_decimal_comma_ms.csv"),
        ),
        ("holter/100.ecg", fixture("ishne/mitdb100_10s.ecg")),
        ("holter/100.ann", fixture("ishne/mitdb100_10s.ann")),
        ("carts/s0010.xml", fixture("aecg/biosig_s0010_12lead.xml")),
        (
            "notes.txt",
            b"Recorded at the clinic.\nSee the report.\n".to_vec(),
        ),
        ("exports/bare.tsv", b"I\tII\n1\t2\n3\t4\n".to_vec()),
    ];
    let bytes = stored_zip(&entries);
    let source = upload(bytes.clone());
    let decoded = decode_upload(source, &DecodeOptions::default()).unwrap();
    assert_eq!(
        listing(&decoded),
        [
            ("leads.csv", "csv", 2),
            ("100.ecg", "ishne", 2),
            ("s0010.xml", "aecg", 12),
        ]
    );
    let csv = &decoded.records[0];
    assert_eq!(csv.signals[0].fs, 360.0);
    assert_eq!(csv.signals[0].stats().unwrap().digital_sum, -575_600);
    let ishne = &decoded.records[1];
    assert_eq!(
        ishne.signal("II").unwrap().stats().unwrap().digital_sum,
        -230_344
    );
    let aecg = &decoded.records[2];
    assert_eq!(
        aecg.signal("I").unwrap().stats().unwrap().digital_sum,
        -1_061_132
    );

    let skipped: Vec<(&str, &str)> = decoded
        .skipped
        .iter()
        .map(|s| (s.entry.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0].0, "holter/100.ann");
    assert_eq!(skipped[1].0, "notes.txt");
    // the bare table is a CSV, but without a time column the rate must come from the task
    assert_eq!(skipped[2].0, "exports/bare.tsv");
    assert!(
        skipped[2].1.contains("sampling_frequency_hint"),
        "{}",
        skipped[2].1
    );

    let opts = DecodeOptions {
        sampling_frequency_hint: Some(250.0),
        ..Default::default()
    };
    let source = upload(bytes);
    let decoded = decode_upload(source, &opts).unwrap();
    let last = decoded.records.last().unwrap();
    assert_eq!(
        (last.name.as_str(), last.signals[1].fs),
        ("bare.tsv", 250.0)
    );
}

/// The first registered detector that claims `data`.
fn claimed_by(data: &[u8]) -> Option<&'static str> {
    SINGLE_FILE_FORMATS
        .iter()
        .find(|f| f.detector.detect(data) != Confidence::No)
        .map(|f| f.name())
}

#[test]
fn no_detector_steals_another_formats_files() {
    // the project's fixtures of the new formats: exactly their own detector claims them
    for (folder, format) in [("csv", "csv"), ("ishne", "ishne"), ("aecg", "aecg")] {
        let files = ecg_testdata::files_below(&Path::new(TESTDATA).join(folder)).unwrap();
        let mut claimed = 0;
        for f in files {
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "py" | "json" | "md" | "ann") {
                continue;
            }
            let data = std::fs::read(&f).unwrap();
            let claims: Vec<&str> = SINGLE_FILE_FORMATS
                .iter()
                .filter(|r| r.detector.detect(&data) != Confidence::No)
                .map(|r| r.name())
                .collect();
            assert_eq!(claims, [format], "{}", f.display());
            claimed += 1;
        }
        assert!(claimed >= 2, "{folder}: {claimed}");
    }
    // every shared test file: the new detectors claim none of them
    let files = ecg_testdata::files_below(&ecg_testdata::shared_testdata()).unwrap();
    assert!(files.len() > 300, "shared test data missing");
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let first = claimed_by(&data);
        assert!(
            matches!(first, None | Some("edf" | "scp")),
            "{} claimed by {first:?}",
            f.display()
        );
    }
}

/// DICOM waveform files go through the registry like the other single-file formats (the
/// last detector, after CSV); a DICOM image in the same upload is skipped, not decoded.
#[test]
fn zip_with_dicom_waveforms_decodes_and_skips_a_dicom_image() {
    let entries: [(&str, Vec<u8>); 3] = [
        ("pacs/s0010.dcm", fixture("dicom/pydicom_s0010_12lead.dcm")),
        (
            "pacs/image.dcm",
            fixture("dicom/pydicom_secondary_capture.dcm"),
        ),
        ("pacs/100.dcm", fixture("dicom/pydicom_mitdb100_2lead.dcm")),
    ];
    let bytes = stored_zip(&entries);
    let source = upload(bytes);
    let decoded = decode_upload(source, &DecodeOptions::default()).unwrap();
    assert_eq!(
        listing(&decoded),
        [("s0010.dcm", "dicom", 12), ("100.dcm", "dicom", 2)]
    );
    // pydicom's read-back of lead I of s0010 and lead II (MLII) of MIT-BIH 100
    // (testdata/dicom/REFERENCE.json)
    let i = decoded.records[0].signal("I").unwrap().stats().unwrap();
    assert_eq!((i.samples, i.digital_sum), (10_000, -2_122_006));
    let ii = decoded.records[1].signal("II").unwrap().stats().unwrap();
    assert_eq!((ii.samples, ii.digital_sum), (3_600, 3_456_056));
    let skipped: Vec<&str> = decoded.skipped.iter().map(|s| s.entry.as_str()).collect();
    assert_eq!(skipped, ["pacs/image.dcm"]);
}
