//! Typed errors on bad documents, a test writer with proptest round trips, and no panics
//! on arbitrary or corrupted input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_aecg::Error;
use ecg_core::{DecodeOptions, Limits, SharedBytes};
use proptest::prelude::*;

fn decode(xml: &str, opts: &DecodeOptions) -> Result<ecg_core::Record, Error> {
    ecg_aecg::decode(
        "t.xml",
        SharedBytes::from_vec(xml.as_bytes().to_vec()),
        opts,
    )
}

/// Writes a minimal aECG document: one rhythm sequence set with these leads.
fn write_aecg(increment: &str, unit: &str, leads: &[(&str, f64, f64, Vec<i32>)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<component><series><code code="RHYTHM"/><component><sequenceSet>
"#,
    );
    s.push_str(&format!(
        r#"<component><sequence><code code="TIME_RELATIVE"/><value xsi:type="GLIST_PQ"><head value="0" unit="{unit}"/><increment value="{increment}" unit="{unit}"/></value></sequence></component>
"#
    ));
    for (code, origin, scale, digits) in leads {
        let d: Vec<String> = digits.iter().map(i32::to_string).collect();
        s.push_str(&format!(
            r#"<component><sequence><code code="{code}"/><value xsi:type="SLIST_PQ"><origin value="{origin}" unit="uV"/><scale value="{scale}" unit="uV"/><digits>{}</digits></value></sequence></component>
"#,
            d.join(" ")
        ));
    }
    s.push_str("</sequenceSet></component></series></component></AnnotatedECG>\n");
    s
}

#[test]
fn typed_errors() {
    let ok = write_aecg("4", "ms", &[("MDC_ECG_LEAD_I", 0.0, 1.0, vec![1, 2, 3])]);
    assert_eq!(
        decode(&ok, &DecodeOptions::default()).unwrap().signals[0].fs,
        250.0
    );

    let e = decode(
        &ok.replace("<digits>1 2 3", "<digits>1 x 3"),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Value {
                element: "digits",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("byte offset"), "{e}");
    let e = decode(
        &ok.replace(r#"scale value="1""#, r#"scale value="0""#),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Value {
                element: "scale",
                ..
            }
        ),
        "{e}"
    );
    let e = decode(
        &ok.replace(r#"increment value="4""#, r#"increment value="-4""#),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoTimeAxis { .. }), "{e}");
    let e = decode(&ok[..ok.len() - 40], &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Xml { .. }), "{e}");
    let e = decode(
        &ok.replace(
            "</sequence></component>\n<component><sequence><code code=\"MDC",
            "</sequenc></component>\n<component><sequence><code code=\"MDC",
        ),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Xml { .. }), "{e}");
    let e = decode(
        "<?xml version=\"1.0\"?><html><body/></html>",
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::NotAecg { ref found } if found == "html"),
        "{e}"
    );
    let e = decode("", &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NotAecg { .. }), "{e}");
    let e = decode(
        "<AnnotatedECG xmlns=\"urn:hl7-org:v3\"/>",
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoWaveforms), "{e}");
    let limits = Limits {
        max_samples: 2,
        ..Default::default()
    };
    let e = decode(
        &ok,
        &DecodeOptions {
            limits,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { limit: 2, .. }), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn write_then_read(
        leads in proptest::collection::vec((0usize..12, -100i32..100, 1u32..50, proptest::collection::vec(any::<i32>(), 0..200)), 1..6),
        rate in prop_oneof![Just(("2", "ms", 500.0)), Just(("0.001", "s", 1000.0)), Just(("0.002778", "s", 360.0)), Just(("8", "ms", 125.0))],
    ) {
        const CODES: [&str; 12] = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"];
        let specs: Vec<(String, f64, f64, Vec<i32>)> = leads.iter().map(|(c, o, s, d)| {
            (format!("MDC_ECG_LEAD_{}", CODES[*c]), f64::from(*o), f64::from(*s) / 10.0, d.clone())
        }).collect();
        let refs: Vec<(&str, f64, f64, Vec<i32>)> = specs.iter().map(|(c, o, s, d)| (c.as_str(), *o, *s, d.clone())).collect();
        let xml = write_aecg(rate.0, rate.1, &refs);
        let r = decode(&xml, &DecodeOptions::default());
        let empty = refs.iter().all(|l| l.3.is_empty());
        if empty {
            // digits present but empty still make (empty) signals
            prop_assert!(r.is_ok());
        }
        let r = r.unwrap();
        prop_assert_eq!(r.signals.len(), refs.len());
        for (s, (code, origin, scale, digits)) in r.signals.iter().zip(&refs) {
            prop_assert_eq!(s.fs, rate.2);
            prop_assert_eq!(&s.meta.fields["lead_code"], code);
            prop_assert_eq!(s.samples.as_slice().unwrap(), &digits[..]);
            if let Some(&d) = digits.first() {
                let want = origin + scale * f64::from(d);
                let got = s.physical(0..1).unwrap()[0];
                prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{} vs {}", got, want);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ecg_aecg::detect(&bytes);
        let _ = ecg_aecg::decode("x", SharedBytes::from_vec(bytes), &DecodeOptions::default());
    }

    #[test]
    fn corrupted_documents_never_panic(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
        let base = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/aecg/handmade_rhythm_median_annotations.xml")).unwrap();
        let mut b = base[..4000.min(base.len())].to_vec();
        b.extend_from_slice(&base[base.len() - 2000..]);
        let p = pos % b.len();
        b[p] = byte;
        b.truncate(cut.max(1).min(b.len()));
        let _ = ecg_aecg::detect(&b);
        let _ = ecg_aecg::decode("x", SharedBytes::from_vec(b), &DecodeOptions::default());
    }
}
