//! Hostile and damaged input: typed errors with their context, warnings where EDFlib's
//! behaviour is followed, and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_core::{
    Confidence, DecodeOptions, Event, Limits, Record, Samples, Scale, SharedBytes, Signal,
};
use ecg_edf::{Error, Result, decode, detect, write_edf_plus};

/// A valid EDF+C file: ECG (4 samples/record) and HR (1 sample/record), 3 records of 1 s,
/// annotations in a 3rd signal. Header: 4 * 256 = 1024 bytes.
fn base() -> Vec<u8> {
    let mut r = Record::new("base", "edf");
    let mut ecg = Signal::new("ECG", 4.0, "mV", Samples::from_vec((0..12).collect()));
    ecg.scale = Scale::Range {
        physical_min: -5.0,
        physical_max: 5.0,
        digital_min: -32768,
        digital_max: 32767,
    };
    r.signals.push(ecg);
    r.signals.push(Signal::new(
        "HR",
        1.0,
        "bpm",
        Samples::from_vec(vec![60, 61, 62]),
    ));
    r.classification.events.push(Event {
        onset_s: 1.5,
        duration_s: Some(0.5),
        text: "beat".into(),
    });
    let mut out = Vec::new();
    write_edf_plus(&r, &mut out).unwrap();
    out
}

const NS: usize = 3;

fn run(bytes: &[u8], opts: &DecodeOptions) -> Result<Record> {
    decode("bad", SharedBytes::from_vec(bytes.to_vec()), opts)
}

fn strict(bytes: &[u8]) -> Result<Record> {
    run(bytes, &DecodeOptions::default())
}

/// Overwrites a header field (space padded).
fn set(bytes: &mut [u8], offset: usize, width: usize, text: &str) {
    let mut f = text.as_bytes().to_vec();
    f.resize(width, b' ');
    bytes[offset..offset + width].copy_from_slice(&f);
}

/// Offset of signal `i`'s entry in the per-signal block starting at `start` (in units of
/// `ns`) with entries of `width` bytes.
fn sig(start: usize, width: usize, i: usize) -> usize {
    256 + NS * start + i * width
}

#[test]
fn the_base_file_is_valid() {
    let b = base();
    assert_eq!(detect(&b), Confidence::Certain);
    let r = strict(&b).unwrap();
    assert_eq!(r.signals.len(), 2);
    assert_eq!(
        r.signals[0].samples.to_vec().unwrap(),
        (0..12).collect::<Vec<_>>()
    );
    assert_eq!(r.classification.events.len(), 1);
    assert!(r.warnings.is_empty());
}

#[test]
fn every_truncation_is_an_error_in_strict_mode_and_never_panics() {
    let b = base();
    for len in 0..b.len() {
        let e = strict(&b[..len]).unwrap_err();
        assert!(
            matches!(e, Error::TooShort { .. } | Error::Truncated { .. }),
            "{len}: {e:?}"
        );
        assert_eq!(detect(&b[..len]), Confidence::No, "{len}");
        // Lenient mode decodes the complete records, with a warning once data is missing.
        if let Ok(r) = run(&b[..len], &DecodeOptions::lenient()) {
            assert!(!r.warnings.is_empty(), "{len}");
            for s in &r.signals {
                s.stats().unwrap();
            }
        }
    }
}

#[test]
fn wrong_header_sizes() {
    let mut b = base();
    set(&mut b, 184, 8, "768");
    let e = strict(&b).unwrap_err();
    assert!(
        matches!(
            e,
            Error::HeaderSize {
                stated: 768,
                signals: 3,
                expected: 1024
            }
        ),
        "{e:?}"
    );
    set(&mut b, 184, 8, "abc");
    assert!(matches!(
        strict(&b).unwrap_err(),
        Error::Field { offset: 184, .. }
    ));
    // ns = 0, negative, garbage, huge.
    let mut b = base();
    for ns in ["0", "-1", "x", "9999"] {
        set(&mut b, 252, 4, ns);
        let e = strict(&b).unwrap_err();
        match ns {
            "9999" => assert!(
                matches!(e, Error::HeaderSize { signals: 9999, .. }),
                "{e:?}"
            ),
            _ => assert!(
                matches!(
                    e,
                    Error::Field {
                        field: "number of signals",
                        offset: 252,
                        ..
                    }
                ),
                "{ns}: {e:?}"
            ),
        }
        assert_eq!(detect(&b), Confidence::No);
    }
    // A huge ns with a matching header size but a small file: too short, no allocation.
    set(&mut b, 252, 4, "9999");
    set(&mut b, 184, 8, "2560000");
    let e = strict(&b).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooShort {
                needed: 2_560_000,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn non_ascii_garbage_in_numeric_fields_names_the_field() {
    let cases: [(usize, usize, &str, &str); 6] = [
        (236, 8, "1\u{e9}", "number of data records"),
        (244, 8, "one", "duration of a data record"),
        (sig(104, 8, 1), 8, "NaN", "physical minimum"),
        (sig(112, 8, 0), 8, "inf", "physical maximum"),
        (sig(120, 8, 0), 8, "-32768.5", "digital minimum"),
        (
            sig(216, 8, 1),
            8,
            "0",
            "number of samples in each data record",
        ),
    ];
    for (offset, width, text, field) in cases {
        let mut b = base();
        set(&mut b, offset, width, text);
        let e = strict(&b).unwrap_err();
        match &e {
            Error::Field {
                field: f,
                offset: o,
                ..
            } => {
                assert_eq!((*f, *o), (field, offset), "{e}");
            }
            _ => panic!("{text}: {e:?}"),
        }
        assert!(
            e.to_string().contains(&format!("byte offset {offset}")),
            "{e}"
        );
    }
    // Raw bytes that are not text at all.
    let mut b = base();
    b[244..252].copy_from_slice(&[0xff, 0xfe, 0, 1, 2, 3, 4, 5]);
    assert!(matches!(
        strict(&b).unwrap_err(),
        Error::Field { offset: 244, .. }
    ));
}

#[test]
fn degenerate_physical_ranges() {
    let mut b = base();
    set(&mut b, sig(104, 8, 1), 8, "7");
    set(&mut b, sig(112, 8, 1), 8, "7");
    let e = strict(&b).unwrap_err();
    assert!(matches!(e, Error::Scale { signal: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("\"HR\""), "{e}");
    let r = run(&b, &DecodeOptions::lenient()).unwrap();
    assert_eq!(r.signals[1].scale, Scale::default());
    assert_eq!(r.signals[1].to_physical(60), 60.0);
    assert!(r.warnings[0].message.contains("physical minimum equals"));

    let mut b = base();
    set(&mut b, sig(120, 8, 0), 8, "5");
    set(&mut b, sig(128, 8, 0), 8, "5");
    assert!(matches!(
        strict(&b).unwrap_err(),
        Error::Scale { signal: 0, .. }
    ));
}

#[test]
fn zero_duration_records_with_signals() {
    let mut b = base();
    set(&mut b, 244, 8, "0");
    let e = strict(&b).unwrap_err();
    assert!(matches!(e, Error::ZeroDuration { .. }), "{e:?}");
    set(&mut b, 244, 8, "-1");
    assert!(matches!(
        strict(&b).unwrap_err(),
        Error::Field { offset: 244, .. }
    ));
}

#[test]
fn record_count_minus_one_and_mismatches_follow_edflib_with_warnings() {
    let mut b = base();
    set(&mut b, 236, 8, "-1");
    assert_eq!(detect(&b), Confidence::Maybe);
    let r = strict(&b).unwrap();
    assert_eq!(r.signals[0].len(), 12);
    assert_eq!(r.readings.other["data_records"], "3");
    assert!(r.warnings[0].message.contains("-1"), "{:?}", r.warnings);

    // -1 with half a record more: the complete records.
    let mut c = b.clone();
    c.extend_from_slice(&[0; 7]);
    let r = strict(&c).unwrap();
    assert_eq!(r.signals[0].len(), 12);
    assert!(
        r.warnings[0].message.contains("7 bytes of an incomplete"),
        "{:?}",
        r.warnings
    );

    // Fewer records stated than stored: the stated ones (as EDFlib), with a warning.
    set(&mut b, 236, 8, "2");
    assert_eq!(detect(&b), Confidence::Maybe);
    let r = strict(&b).unwrap();
    assert_eq!(r.signals[0].len(), 8);
    assert!(
        r.warnings[0].message.contains("ignored"),
        "{:?}",
        r.warnings
    );

    // More records stated than stored: refused (EDFlib: "Filesize"), lenient decodes.
    set(&mut b, 236, 8, "4");
    assert_eq!(detect(&b), Confidence::No);
    assert!(matches!(
        strict(&b).unwrap_err(),
        Error::Truncated { records: 4, .. }
    ));
    let r = run(&b, &DecodeOptions::lenient()).unwrap();
    assert_eq!(r.signals[0].len(), 12);
}

#[test]
fn malformed_annotations() {
    let b = base();
    let record_bytes = (4 + 1) * 2 + annotation_bytes(&b);
    let first_tal = 1024 + 10;
    // Break the time-keeping TAL's sign in record 1.
    let mut c = b.clone();
    c[first_tal + record_bytes] = b'x';
    let e = strict(&c).unwrap_err();
    match &e {
        Error::Annotation {
            signal,
            record,
            offset,
            ..
        } => assert_eq!(
            (*signal, *record, *offset),
            (2, 1, (first_tal + record_bytes) as u64)
        ),
        _ => panic!("{e:?}"),
    }
    let r = run(&c, &DecodeOptions::lenient()).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.message.contains("malformed")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.signals[0].len(), 12);

    // An annotation block of only 0x14 bytes: no terminator.
    let mut c = b.clone();
    for k in 0..annotation_bytes(&b) {
        c[first_tal + k] = 0x14;
    }
    assert!(matches!(
        strict(&c).unwrap_err(),
        Error::Annotation { record: 0, .. }
    ));

    // Invalid UTF-8 in a text: decoded lossily with a warning.
    let mut c = b.clone();
    let at = find(&c, b"beat").unwrap();
    c[at] = 0xff;
    let r = strict(&c).unwrap();
    assert_eq!(r.classification.events[0].text, "\u{fffd}eat");
    assert!(r.warnings[0].message.contains("UTF-8"), "{:?}", r.warnings);
}

#[test]
fn discontinuous_without_time_keeping_is_refused_in_strict_mode() {
    let mut b = base();
    set(&mut b, 192, 44, "EDF+D");
    assert!(strict(&b).unwrap().segments.len() == 1);
    // Empty the annotation block of record 2: no time-keeping TAL.
    let record_bytes = (4 + 1) * 2 + annotation_bytes(&b);
    let start = 1024 + 2 * record_bytes + 10;
    for k in 0..annotation_bytes(&b) {
        b[start + k] = 0;
    }
    let e = strict(&b).unwrap_err();
    assert!(matches!(e, Error::Annotation { record: 2, .. }), "{e:?}");
    let r = run(&b, &DecodeOptions::lenient()).unwrap();
    assert_eq!(r.segments.len(), 1);
    assert!(r.warnings[0].message.contains("time-keeping"));
}

#[test]
fn sample_limit_is_enforced() {
    let opts = DecodeOptions {
        limits: Limits {
            max_samples: 14,
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };
    let e = run(&base(), &opts).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                requested: 15,
                limit: 14,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn random_corruption_never_panics() {
    let b = base();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut ok, mut err) = (0, 0);
    for _ in 0..3000 {
        let mut c = b.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % c.len() as u64) as usize;
            c[at] = next() as u8;
        }
        let _ = detect(&c);
        for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
            match run(&c, &opts) {
                Ok(r) => {
                    ok += 1;
                    for s in &r.signals {
                        s.stats().unwrap();
                        let n = s.len();
                        s.samples.window(n / 2..n).unwrap();
                    }
                }
                Err(e) => {
                    err += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
    assert!(ok > 0 && err > 0, "{ok} {err}");
}

fn annotation_bytes(b: &[u8]) -> usize {
    let f = &b[sig(216, 8, 2)..sig(216, 8, 2) + 8];
    std::str::from_utf8(f)
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap()
        * 2
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
