//! Round trips through the test writer, bad input, detection over the shared files, and
//! lazy reading of a sparse 7-day file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{HeaderIn, LeadIn, write_ann, write_ishne};
use ecg_core::{AnnotationCode, Confidence, DecodeOptions, Limits, SharedBytes};
use ecg_ishne::Error;
use proptest::prelude::*;

fn decode(bytes: Vec<u8>, opts: &DecodeOptions) -> Result<ecg_core::Record, Error> {
    ecg_ishne::decode("t.ecg", SharedBytes::from_vec(bytes), opts)
}

fn small() -> Vec<u8> {
    let h = HeaderIn {
        fs: 250,
        first_name: "Ada",
        id: "P1",
        sex: 1,
        pacemaker: 4,
        var_block: b"notes",
        ..Default::default()
    };
    write_ishne(
        &h,
        &[
            LeadIn {
                spec: 6,
                res_nv: 2500,
                samples: vec![1, -2, 3, i16::MIN, i16::MAX],
            },
            LeadIn {
                spec: 11,
                res_nv: 1000,
                samples: vec![10, 20, 30, 40, 50],
            },
            LeadIn {
                spec: 0,
                res_nv: 1000,
                samples: vec![0; 5],
            },
        ],
    )
}

#[test]
fn fields_and_lazy_windows() {
    let r = decode(small(), &DecodeOptions::default()).unwrap();
    assert_eq!(r.signals.len(), 3);
    assert_eq!(r.signals[2].label, "lead3");
    let ii = &r.signals[0];
    assert_eq!(ii.samples.to_vec().unwrap(), vec![1, -2, 3, -32768, 32767]);
    assert_eq!(ii.samples.window(3..5).unwrap().as_ref(), &[-32768, 32767]);
    assert_eq!(ii.physical(2..3).unwrap(), vec![0.0075]);
    assert_eq!(r.signals[1].samples.window(4..5).unwrap().as_ref(), &[50]);
    assert_eq!(r.readings.other["pacemaker"], "4 single chamber bipolar");
    assert_eq!(r.readings.other["variable_block"], "notes");
    assert_eq!(r.personal.sex, Some(ecg_core::Sex::Male));
    assert_eq!(ecg_ishne::detect(&small()), Confidence::Certain);
}

#[test]
fn crc_size_and_field_errors() {
    let mut bad = small();
    bad[40] ^= 1; // first name: CRC now wrong
    assert_eq!(ecg_ishne::detect(&bad), Confidence::Maybe);
    let e = decode(bad.clone(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Crc { .. }), "{e}");
    assert!(e.to_string().contains("byte offset 8"), "{e}");
    let r = decode(bad, &DecodeOptions::lenient()).unwrap();
    assert!(r.warnings[0].message.contains("CRC"));

    let mut short = small();
    short.truncate(short.len() - 3);
    let e = decode(short.clone(), &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Truncated {
                stated: 5,
                leads: 3,
                available: 4,
                ..
            }
        ),
        "{e}"
    );
    let r = decode(short, &DecodeOptions::lenient()).unwrap();
    assert_eq!(r.signals[0].len(), 4);

    let mut b = small();
    b[156] = 13; // 13 leads
    let crc = ecg_ishne::crc_ccitt(&b[10..527]);
    b[8..10].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(
        decode(b, &DecodeOptions::default()),
        Err(Error::Field { offset: 156, .. })
    ));

    let e = decode(b"ISHNE1.0 short".to_vec(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::TooShort { .. }), "{e}");
    let e = decode(b"ANN  1.0".to_vec(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Magic { .. }), "{e}");

    let limits = Limits {
        max_samples: 14,
        ..Default::default()
    };
    let e = decode(
        small(),
        &DecodeOptions {
            limits,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::LimitExceeded { requested: 15, .. }),
        "{e}"
    );
}

#[test]
fn annotation_labels_and_errors() {
    let ann = write_ann(
        200,
        50,
        &[(b'N', 160), (b'V', 120), (b'X', 10), (b'!', 300), (b'Z', 5)],
    );
    assert_eq!(
        ecg_ishne::detect(&ann),
        Confidence::No,
        "annotation files hold no signal"
    );
    let set = ecg_ishne::read_annotations(&ann).unwrap();
    let got: Vec<(i64, u8)> = set
        .annotations
        .iter()
        .map(|a| (a.sample, a.code.0))
        .collect();
    assert_eq!(got, [(210, 1), (330, 5), (340, 16), (640, 22), (645, 13)]);
    assert_eq!(set.annotations[3].aux.as_deref(), Some("ISHNE ! timeout"));
    assert_eq!(set.annotations[4].aux.as_deref(), Some("ISHNE Z"));
    assert_eq!(set.annotations[1].code, AnnotationCode::PVC);
    let mut bad = ann.clone();
    bad[100] ^= 0xff;
    assert!(matches!(
        ecg_ishne::read_annotations(&bad),
        Err(Error::Crc { .. })
    ));
    assert!(matches!(
        ecg_ishne::read_annotations(&ann[..524]),
        Err(Error::TooShort { .. })
    ));
    assert!(matches!(
        ecg_ishne::read_annotations(&small()),
        Err(Error::Magic { .. })
    ));
}

#[test]
fn claims_no_shared_test_file() {
    let files = ecg_testdata::files_below(&ecg_testdata::shared_testdata()).unwrap();
    assert!(files.len() > 300);
    for f in files {
        let b = std::fs::read(&f).unwrap();
        assert_eq!(ecg_ishne::detect(&b), Confidence::No, "{}", f.display());
        assert!(ecg_ishne::read_annotations(&b).is_err());
    }
}

/// A 7-day, 3-lead, 200 Hz file (363 MB) as a sparse file: one minute on day 6 is read
/// through the memory map without touching the rest.
#[test]
fn seven_day_file_reads_one_minute_lazily() {
    use std::io::{Seek, SeekFrom, Write};
    let fs = 200u32;
    let per_lead = 7 * 86_400 * fs;
    let h = HeaderIn {
        fs: fs as i16,
        ..Default::default()
    };
    let head = common::header(&h, &[(5, 2500), (6, 2500), (15, 2500)], per_lead);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("week.ecg");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&head).unwrap();
    let day6 = u64::from(6 * 86_400 * fs);
    let frame_at = |i: u64| head.len() as u64 + i * 6;
    f.seek(SeekFrom::Start(frame_at(day6))).unwrap();
    for k in 0..(60 * fs) {
        let v = (k % 1000) as i16;
        for lead in 0..3i16 {
            f.write_all(&(v + lead).to_le_bytes()).unwrap();
        }
    }
    f.set_len(frame_at(u64::from(per_lead))).unwrap();
    drop(f);
    let r = ecg_ishne::decode_path(&path, &DecodeOptions::default()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.duration_s(), 7.0 * 86_400.0);
    let v5 = r.signal("V5").unwrap();
    let minute = v5
        .samples
        .window(day6 as usize..(day6 + u64::from(60 * fs)) as usize)
        .unwrap();
    assert_eq!(minute.len(), 12_000);
    assert_eq!(&minute[..3], &[2, 3, 4]);
    assert_eq!(
        minute.iter().map(|&v| i64::from(v)).sum::<i64>(),
        (0..12_000i64).map(|k| k % 1000 + 2).sum::<i64>()
    );
    assert_eq!(v5.samples.window(0..2).unwrap().as_ref(), &[0, 0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn write_then_read(
        leads in 1usize..=12,
        n in 0usize..300,
        fs in 1i16..2000,
        seed in proptest::collection::vec(any::<i16>(), 1..600),
        var in proptest::collection::vec(32u8..127, 0..40),
    ) {
        let lead_in: Vec<LeadIn> = (0..leads).map(|l| LeadIn {
            spec: (l % 20) as i16,
            res_nv: 1 + (l as i16) * 100,
            samples: (0..n).map(|i| seed[(i * leads + l) % seed.len()]).collect(),
        }).collect();
        let h = HeaderIn { fs, var_block: &var, ..Default::default() };
        let bytes = write_ishne(&h, &lead_in);
        prop_assert_eq!(ecg_ishne::detect(&bytes), Confidence::Certain);
        let r = decode(bytes, &DecodeOptions::default()).unwrap();
        prop_assert_eq!(r.signals.len(), leads);
        for (s, l) in r.signals.iter().zip(&lead_in) {
            prop_assert_eq!(s.fs, f64::from(fs));
            let want: Vec<i32> = l.samples.iter().map(|&v| i32::from(v)).collect();
            prop_assert_eq!(s.samples.to_vec().unwrap(), want);
        }
    }

    #[test]
    fn corrupted_files_never_panic(pos in 0usize..600, byte in any::<u8>(), cut in 0usize..700) {
        let mut b = small();
        let p = pos % b.len();
        b[p] = byte;
        b.truncate(cut.min(b.len()));
        let _ = ecg_ishne::detect(&b);
        if let Ok(r) = decode(b.clone(), &DecodeOptions::lenient()) {
            for s in &r.signals {
                let _ = s.samples.to_vec();
            }
        }
        let _ = ecg_ishne::read_annotations(&b);
    }
}
