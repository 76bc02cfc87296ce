//! Hostile and broken input: typed errors naming the file and line or byte offset, never
//! a panic, never an allocation the caller's limits do not allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use ecg_core::{DecodeOptions, Limits, SharedBytes};
use ecg_wfdb::{Error, SignalFormat, decode_record, read_annotations};

fn pool(files: &[(&str, &[u8])]) -> HashMap<String, SharedBytes> {
    files
        .iter()
        .map(|(n, b)| (n.to_string(), SharedBytes::from_vec(b.to_vec())))
        .collect()
}

/// 16-bit little-endian samples.
fn le16(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn malformed_header_lines_name_file_and_line() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"r 1 250 10\nr.dat 16 2x0 16 0 0\n", 2, "gain"),
        (b"r 1 250 10\nr.dat 16 200 16 zero 0\n", 2, "ADC zero"),
        (b"r 1 250 10\nr.dat 16 200 16 0 0 abc\n", 2, "checksum"),
        (b"r 1 250 10\nr.dat 16:x 200\n", 2, "format field"),
        (b"r 1 250 ten\nr.dat 16\n", 1, "number of samples"),
        (b"r 1 0 10\nr.dat 16\n", 1, "not positive"),
        (b"r 1 250/0 10\nr.dat 16\n", 1, "counter frequency"),
        (b"# c\n\nr 3 250 10\nr.dat 16\n", 5, "announces 3 signals"),
    ];
    for (text, line, what) in cases {
        let p = pool(&[("r.hea", text), ("r.dat", &le16(&[0; 10]))]);
        let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
        match &err {
            Error::Header { file, line: l, .. } => {
                assert_eq!(file, "r.hea");
                assert_eq!(l, line, "{err}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains(what), "{err} lacks {what}");
    }
}

#[test]
fn unknown_formats_are_refused() {
    for code in ["7", "17", "999", "x", "1000000000000"] {
        let text = format!("r 1 250 10\nr.dat {code} 200\n");
        let p = pool(&[("r.hea", text.as_bytes()), ("r.dat", &[0; 40])]);
        let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownFormat { line: 2, code: c, .. } if c == code),
            "{code}: {err}"
        );
    }
}

#[test]
fn missing_header_and_signal_files() {
    let p = pool(&[
        ("r.hea", b"r 2 250 10\nr.dat 16\ns.dat 16\n"),
        ("r.dat", &le16(&[0; 10])),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "r.hea, line 3: `s.dat` is missing");
    let err = decode_record("nope.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "`nope.hea` is not in the file pool");
    let err = ecg_wfdb::decode_path(
        std::path::Path::new("/nonexistent/dir/rec"),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/dir/rec.hea"),
        "{err}"
    );
}

#[test]
fn truncated_signal_files() {
    // 10 frames of 2 signals in format 16 need 40 bytes; give 26 (6 frames and a half).
    let data = le16(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    let hea = b"r 2 250 10\nr.dat 16 200 16 0 1\nr.dat 16 200 16 0 2\n";
    let p = pool(&[("r.hea", hea), ("r.dat", &data)]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    match &err {
        Error::Truncated {
            file,
            offset,
            header,
            line,
            expected_frames,
            available_frames,
        } => {
            assert_eq!(
                (file.as_str(), *offset, header.as_str(), *line),
                ("r.dat", 24, "r.hea", 2)
            );
            assert_eq!((*expected_frames, *available_frames), (10, 6));
        }
        other => panic!("unexpected {other}"),
    }
    // Lenient: the 6 complete frames, then missing samples, and a warning.
    let rec = decode_record("r.hea", &p, &DecodeOptions::lenient()).unwrap();
    let s0 = rec.signals[0].samples.to_vec().unwrap();
    assert_eq!(&s0[..6], &[1, 3, 5, 7, 9, 11]);
    assert!(s0[6..].iter().all(|&v| v == -32768));
    assert_eq!(rec.signals[0].stats().unwrap().missing, 4);
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.message.contains("truncated at byte offset 24"))
    );
    // An empty signal file and a byte offset past the end.
    let p = pool(&[
        ("r.hea", b"r 1 250 10\nr.dat 16+100\n"),
        ("r.dat", &le16(&[1; 10])),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                available_frames: 0,
                ..
            }
        ),
        "{err}"
    );
    let p = pool(&[("r.hea", b"r 1 250 10\nr.dat 212\n"), ("r.dat", b"")]);
    assert!(decode_record("r.hea", &p, &DecodeOptions::default()).is_err());
}

#[test]
fn checksum_mismatch_strict_and_lenient() {
    let data = le16(&[10, 20, 30]);
    let p = pool(&[
        ("r.hea", b"r 1 250 3\nr.dat 16 200 16 0 10 61 0 I\n"),
        ("r.dat", &data),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "r.hea, line 2: checksum mismatch for signal 0 (I): the header says 61, the samples \
         in r.dat sum to 60"
    );
    let rec = decode_record("r.hea", &p, &DecodeOptions::lenient()).unwrap();
    assert_eq!(rec.signals[0].samples.to_vec().unwrap(), vec![10, 20, 30]);
    assert!(rec.warnings[0].message.contains("checksum mismatch"));
    let p = pool(&[
        ("r.hea", b"r 1 250 3\nr.dat 16 200 16 0 10 60 0 I\n"),
        ("r.dat", &data),
    ]);
    assert!(
        decode_record("r.hea", &p, &DecodeOptions::default())
            .unwrap()
            .warnings
            .is_empty()
    );
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    // A trillion frames stated by the header.
    let p = pool(&[
        ("r.hea", b"r 1 250 1000000000000\nr.dat 16\n"),
        ("r.dat", &[0; 4]),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    // Four billion signals announced: refused at the record line.
    let p = pool(&[("r.hea", b"r 4000000000 250 10\n")]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "r.hea: signals announced by the record line: 4000000000 exceeds the limit of 65536"
    );
    // Fewer announced than that, none described.
    let p = pool(&[("r.hea", b"r 40000 250 10\n")]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("announces 40000 signals"), "{err}");
    // A multi-segment header with no segments to define its signals (found by fuzzing:
    // a signal count alone must not make millions of signals).
    let p = pool(&[("m.hea", b"m/0 60000 250\n")]);
    let rec = decode_record("m.hea", &p, &DecodeOptions::default()).unwrap();
    assert!(rec.signals.is_empty() && !rec.warnings.is_empty());
    let p = pool(&[("m.hea", b"m/1 3 250 10\nmissing 10\n")]);
    let rec = decode_record("m.hea", &p, &DecodeOptions::lenient()).unwrap();
    assert!(rec.signals.is_empty());
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.message.contains("missing.hea"))
    );
    // Samples per frame times frames over the caller's limit.
    let opts = DecodeOptions {
        limits: Limits {
            max_samples: 1000,
            ..Limits::default()
        },
        strict: true,
        ..DecodeOptions::default()
    };
    let p = pool(&[
        ("r.hea", b"r 1 250 600\nr.dat 16x2\n"),
        ("r.dat", &[0; 2400]),
    ]);
    let err = decode_record("r.hea", &p, &opts).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                requested: 1200,
                limit: 1000,
                ..
            }
        ),
        "{err}"
    );
    // A header without a length over a file bigger than the limit.
    let p = pool(&[("r.hea", b"r 1 250\nr.dat 16\n"), ("r.dat", &[0; 4000])]);
    assert!(matches!(
        decode_record("r.hea", &p, &opts),
        Err(Error::LimitExceeded { .. })
    ));
    // Multi-segment: huge segment lengths.
    let p = pool(&[("m.hea", b"m/2 1 250\n~ 999999999999\n~ 999999999999\n")]);
    assert!(matches!(
        decode_record("m.hea", &p, &DecodeOptions::default()),
        Err(Error::LimitExceeded { .. })
    ));
}

#[test]
fn broken_flac_and_annotation_files() {
    let p = pool(&[
        ("r.hea", b"r 1 250 10\nr.dat 516 200\n"),
        ("r.dat", b"fLaC\0\0\0\0garbage"),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Flac { file, .. } if file == "r.dat"),
        "{err}"
    );
    let p = pool(&[
        ("r.hea", b"r 1 250 10\nr.dat 516 200\n"),
        ("r.dat", &[0u8; 64]),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("fLaC"), "{err}");
    let err = read_annotations(&[0x10, 0x14, 0x00, 0xfc, 0x05], "atr").unwrap_err();
    assert!(matches!(err, Error::Annotation { .. }), "{err}");
}

#[test]
fn nested_and_inconsistent_multi_segment_records() {
    let p = pool(&[
        ("m.hea", b"m/1 1 250 10\ninner 10\n" as &[u8]),
        ("inner.hea", b"inner/1 1 250 10\nx 10\n"),
    ]);
    let err = decode_record("m.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Segment { line: 2, .. }), "{err}");
    // A segment that names itself.
    let p = pool(&[("m.hea", b"m/1 1 250 10\nm 10\n" as &[u8])]);
    assert!(decode_record("m.hea", &p, &DecodeOptions::default()).is_err());
}

#[test]
fn signals_sharing_a_file_must_agree_on_format() {
    let p = pool(&[
        ("r.hea", b"r 2 250 2\nr.dat 16\nr.dat 212\n"),
        ("r.dat", &[0; 8]),
    ]);
    let err = decode_record("r.hea", &p, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Header { line: 3, .. }), "{err}");
}

/// Every prefix of a valid header and every truncation of a signal file decodes or fails
/// with an error; none panics.
#[test]
fn truncations_never_panic() {
    let hea: &[u8] = b"# c\r\nr 3 360/720(5) 20 10:00:00 01/02/2003\r\nr.dat 212x2:1+3 200(10)/mV 12 0 5 0 0 A\r\nr.dat 212 100 12 0 0 0 0 B\r\ns.dat 8 10 8 0 -3\r\n";
    let data: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
    for cut in 0..=hea.len() {
        for dcut in [0, 1, 2, 3, 50, 101, 200] {
            let p = pool(&[
                ("r.hea", &hea[..cut]),
                ("r.dat", &data[..dcut]),
                ("s.dat", &data[..dcut / 3]),
            ]);
            for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
                if let Ok(rec) = decode_record("r.hea", &p, &opts) {
                    for s in &rec.signals {
                        s.stats().unwrap();
                    }
                }
            }
        }
    }
    for f in SignalFormat::ALL {
        let text = format!("r 2 250\nr.dat {} 200\nr.dat {} 200\n", f.code(), f.code());
        for n in 0..12 {
            let p = pool(&[("r.hea", text.as_bytes()), ("r.dat", &data[..n])]);
            if let Ok(rec) = decode_record("r.hea", &p, &DecodeOptions::default()) {
                for s in &rec.signals {
                    s.samples.to_vec().unwrap();
                }
            }
        }
    }
}
