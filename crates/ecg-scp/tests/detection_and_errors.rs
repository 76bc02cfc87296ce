//! Detection in both directions over the whole shared test data, and the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ecg_core::{Confidence, DecodeOptions, Detector, SharedBytes};
use ecg_scp::{Error, ScpDetector, detect};
use support::{decode_shared, shared, shared_root};

fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_scp_file_is_detected() {
    let mut files = Vec::new();
    files_under(&shared_root().join("scp"), &mut files);
    let mut scp = 0;
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "scp"))
    {
        let bytes = std::fs::read(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy();
        let expected = if name.starts_with("healforce") {
            // 0-based pointers and wrong CRCs: SCP-like, not conformant.
            Confidence::Maybe
        } else {
            Confidence::Certain
        };
        assert_eq!(detect(&bytes), expected, "{name}");
        scp += 1;
    }
    assert_eq!(scp, 17);
    assert_eq!(ScpDetector.name(), "scp");
}

#[test]
fn nothing_else_in_the_shared_test_data_is_detected() {
    let mut files = Vec::new();
    for dir in ["edf", "wfdb", "archives", "qtdb"] {
        files_under(&shared_root().join(dir), &mut files);
    }
    assert!(files.len() > 300, "{}", files.len());
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        assert_eq!(
            ScpDetector.detect(&bytes),
            Confidence::No,
            "{}",
            p.display()
        );
    }
    for name in ["not_scp_random.bin", "not_scp_empty.bin"] {
        let bytes = std::fs::read(shared(name)).unwrap();
        assert_eq!(detect(&bytes), Confidence::No, "{name}");
    }
    // Damaged SCP records are recognised as such, so decoding can say what is wrong.
    for name in ["not_scp_crc_flip_section6.bin", "not_scp_truncated.bin"] {
        let bytes = std::fs::read(shared(name)).unwrap();
        assert_eq!(detect(&bytes), Confidence::Maybe, "{name}");
    }
}

#[test]
fn negative_files_are_refused_with_clear_errors() {
    let strict = DecodeOptions::default();
    let e = decode_shared("not_scp_empty.bin", &strict).unwrap_err();
    assert!(matches!(e, Error::Empty), "{e}");
    let e = decode_shared("not_scp_random.bin", &strict).unwrap_err();
    assert!(matches!(e, Error::NotScp { .. }), "{e}");
    assert!(e.to_string().contains("expected section 0"), "{e}");
    let e = decode_shared("not_scp_truncated.bin", &strict).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Truncated {
                declared: 34144,
                actual: 20000
            }
        ),
        "{e}"
    );
    let e = decode_shared("not_scp_crc_flip_section6.bin", &strict).unwrap_err();
    assert!(
        matches!(
            e,
            Error::SectionCrc {
                section: 6,
                offset: 3818,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "section 6 CRC mismatch: stored 0xF032 at byte offset 3818, computed 0x8627"
    );
    for name in ["healforce_62.scp", "healforce_63.scp"] {
        for opts in [strict, DecodeOptions::lenient()] {
            let e = decode_shared(name, &opts).unwrap_err();
            assert!(matches!(e, Error::NonConformant { .. }), "{name}: {e}");
            assert!(e.to_string().contains("0-based"), "{e}");
        }
    }
}

#[test]
fn lenient_mode_decodes_the_crc_damaged_file_with_warnings() {
    let lenient = DecodeOptions::lenient();
    let r = decode_shared("not_scp_crc_flip_section6.bin", &lenient).unwrap();
    let good = decode_shared("ecgtoolkit_Example.scp", &DecodeOptions::default()).unwrap();
    assert_eq!(r.signals.len(), 12);
    let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(|w| w.contains("section 6 CRC mismatch")),
        "{w:?}"
    );
    assert!(w.iter().any(|w| w.contains("record CRC mismatch")), "{w:?}");
    assert_eq!(r.readings.other["scp_crc_mismatch"], "record,section 6");
    // The flipped byte lies in lead I's data: the other leads are intact.
    for k in 1..12 {
        assert_eq!(r.signals[k].samples, good.signals[k].samples, "lead {k}");
    }
    assert_eq!(r.signals[0].len(), 5000);
    assert_ne!(r.signals[0].samples, good.signals[0].samples);
    // Truncation is not a CRC matter: refused in lenient mode too.
    let e = decode_shared("not_scp_truncated.bin", &lenient).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
}

#[test]
fn decode_path_names_the_record_after_the_file() {
    let p = shared("gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp");
    let r = ecg_scp::decode_path(&p, &DecodeOptions::default()).unwrap();
    assert_eq!(r.name, "gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp");
    assert!((r.signals[0].fs - 1e6 / 2778.0).abs() < 1e-9);
    let e =
        ecg_scp::decode_path(&p.with_extension("missing"), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
}

#[test]
fn the_sample_limit_is_enforced_before_allocating() {
    let bytes = std::fs::read(shared("gen_s0010_12lead_1000Hz_10s_v20_huff_d2.scp")).unwrap();
    let mut opts = DecodeOptions::default();
    opts.limits.max_samples = 119_999;
    let e = ecg_scp::decode("x", SharedBytes::from_vec(bytes.clone()), &opts).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                requested: 120_000,
                limit: 119_999,
                ..
            }
        ),
        "{e}"
    );
    opts.limits.max_samples = 120_000;
    assert!(ecg_scp::decode("x", SharedBytes::from_vec(bytes), &opts).is_ok());
}
