//! A small test writer of DICOM waveform files: proptest round trips over encodings,
//! channel counts and both VR encodings; typed errors on bad files; no panics on
//! truncated, corrupted or arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_core::{Confidence, DecodeOptions, Limits, Record, SharedBytes};
use ecg_dicom::{Error, Tag};
use proptest::prelude::*;

const EXPLICIT: &str = "1.2.840.10008.1.2.1";
const IMPLICIT: &str = "1.2.840.10008.1.2";
const GENERAL_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.2";

fn even(mut v: Vec<u8>, pad: u8) -> Vec<u8> {
    if v.len() % 2 == 1 {
        v.push(pad);
    }
    v
}

fn long_vr(vr: &[u8; 2]) -> bool {
    matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT")
}

/// One element, explicit or implicit VR little endian.
fn element(explicit: bool, tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let pad = if vr == b"UI" || vr == b"OB" { 0 } else { b' ' };
    let value = even(value.to_vec(), pad);
    let mut out = Vec::new();
    out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    out.extend_from_slice(&(tag as u16).to_le_bytes());
    if explicit {
        out.extend_from_slice(vr);
        if long_vr(vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
    } else {
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(&value);
    out
}

/// A sequence of defined-length items.
fn sequence(explicit: bool, tag: u32, items: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for item in items {
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
        body.extend_from_slice(&(item.len() as u32).to_le_bytes());
        body.extend_from_slice(item);
    }
    element(explicit, tag, b"SQ", &body)
}

fn file(sop: &str, ts: &str, explicit: bool, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend(element(true, 0x0002_0002, b"UI", sop.as_bytes()));
    out.extend(element(true, 0x0002_0010, b"UI", ts.as_bytes()));
    out.extend(element(explicit, 0x0008_0016, b"UI", sop.as_bytes()));
    out.extend_from_slice(body);
    out
}

struct Group {
    fs: String,
    bits: u16,
    interpretation: &'static str,
    channels: u16,
    samples: u32,
    sensitivity: String,
    data: Vec<u8>,
    padding: Option<Vec<u8>>,
}

fn group_item(explicit: bool, g: &Group) -> Vec<u8> {
    let mut item = Vec::new();
    item.extend(element(
        explicit,
        0x003A_0005,
        b"US",
        &g.channels.to_le_bytes(),
    ));
    item.extend(element(
        explicit,
        0x003A_0010,
        b"UL",
        &g.samples.to_le_bytes(),
    ));
    item.extend(element(explicit, 0x003A_001A, b"DS", g.fs.as_bytes()));
    let channels: Vec<Vec<u8>> = (0..g.channels)
        .map(|c| {
            let code = [
                element(
                    explicit,
                    0x0008_0100,
                    b"SH",
                    format!("2:{}", c + 1).as_bytes(),
                ),
                element(explicit, 0x0008_0102, b"SH", b"MDC"),
                element(explicit, 0x0008_0104, b"LO", b"Lead"),
            ]
            .concat();
            let unit = [
                element(explicit, 0x0008_0100, b"SH", b"uV"),
                element(explicit, 0x0008_0102, b"SH", b"UCUM"),
            ]
            .concat();
            [
                sequence(explicit, 0x003A_0208, &[code]),
                element(explicit, 0x003A_0210, b"DS", g.sensitivity.as_bytes()),
                sequence(explicit, 0x003A_0211, &[unit]),
                element(explicit, 0x003A_0213, b"DS", b"10"),
            ]
            .concat()
        })
        .collect();
    item.extend(sequence(explicit, 0x003A_0200, &channels));
    item.extend(element(explicit, 0x5400_1004, b"US", &g.bits.to_le_bytes()));
    item.extend(element(
        explicit,
        0x5400_1006,
        b"CS",
        g.interpretation.as_bytes(),
    ));
    if let Some(p) = &g.padding {
        item.extend(element(explicit, 0x5400_100A, b"OB", p));
    }
    item.extend(element(explicit, 0x5400_1010, b"OW", &g.data));
    item
}

fn waveform_file(explicit: bool, groups: &[Group]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = groups.iter().map(|g| group_item(explicit, g)).collect();
    let ts = if explicit { EXPLICIT } else { IMPLICIT };
    file(
        GENERAL_ECG,
        ts,
        explicit,
        &sequence(explicit, 0x5400_0100, &items),
    )
}

fn ss_group(channels: u16, values: &[i16]) -> Group {
    Group {
        fs: "500".into(),
        bits: 16,
        interpretation: "SS",
        channels,
        samples: (values.len() / channels as usize) as u32,
        sensitivity: "2.5".into(),
        data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        padding: None,
    }
}

fn decode(bytes: Vec<u8>, opts: &DecodeOptions) -> Result<Record, Error> {
    ecg_dicom::decode("t.dcm", SharedBytes::from_vec(bytes), opts)
}

#[test]
fn written_file_decodes() {
    let bytes = waveform_file(true, &[ss_group(2, &[1, -2, 3, -4, 5, -6])]);
    assert_eq!(ecg_dicom::detect(&bytes), Confidence::Certain);
    let r = decode(bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(r.signals.len(), 2);
    assert_eq!(r.signals[0].label, "I");
    assert_eq!(r.signals[1].label, "II");
    assert_eq!(r.signals[1].samples.to_vec().unwrap(), vec![-2, -4, -6]);
    // -2 x 2.5 + 10
    assert_eq!(r.signals[1].physical(0..1).unwrap(), vec![5.0]);
}

#[test]
fn typed_errors() {
    let opts = DecodeOptions::default();
    let good = waveform_file(true, &[ss_group(2, &[1, -2, 3, -4])]);

    let e = decode(b"not dicom at all".to_vec(), &opts).unwrap_err();
    assert!(matches!(e, Error::NotDicom { .. }), "{e}");

    let be = replace(&good, b"1.2.840.10008.1.2.1\0", b"1.2.840.10008.1.2.2\0");
    let e = decode(be.clone(), &opts).unwrap_err();
    assert!(
        matches!(&e, Error::UnsupportedTransferSyntax { uid, name } if uid == "1.2.840.10008.1.2.2" && name.contains("big endian")),
        "{e}"
    );
    // still a DICOM waveform: the detector claims it, the decoder explains
    assert_eq!(ecg_dicom::detect(&be), Confidence::Certain);

    let ct = file("1.2.840.10008.5.1.4.1.1.2", EXPLICIT, true, &[]);
    assert_eq!(ecg_dicom::detect(&ct), Confidence::No);
    let e = decode(ct, &opts).unwrap_err();
    assert!(matches!(e, Error::NotWaveform { .. }), "{e}");

    let empty = file(GENERAL_ECG, EXPLICIT, true, &[]);
    let e = decode(empty, &opts).unwrap_err();
    assert!(matches!(e, Error::NoWaveforms), "{e}");

    let mut g = ss_group(1, &[1, 2]);
    g.bits = 64;
    g.interpretation = "SV";
    let e = decode(waveform_file(true, &[g]), &opts).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("waveform sequence item 1"), "{e}");

    let mut g = ss_group(2, &[1, 2, 3, 4]);
    g.samples = 3;
    let e = decode(waveform_file(false, &[g]), &opts).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");

    let mut g = ss_group(1, &[1, 2]);
    g.sensitivity = "0".into();
    let e = decode(waveform_file(true, &[g]), &opts).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { tag, .. } if *tag == Tag(0x003A_0210)),
        "{e}"
    );

    let mut g = ss_group(1, &[1, 2]);
    g.fs = "fast".into();
    let e = decode(waveform_file(true, &[g]), &opts).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { tag, .. } if *tag == Tag(0x003A_001A)),
        "{e}"
    );
    assert!(e.to_string().contains("byte offset"), "{e}");

    // Number of Waveform Channels 1 with two channel definitions
    let one = replace(
        &waveform_file(true, &[ss_group(2, &[1, 2, 3, 4])]),
        &[0x3A, 0, 0x05, 0, b'U', b'S', 2, 0, 2, 0],
        &[0x3A, 0, 0x05, 0, b'U', b'S', 2, 0, 1, 0],
    );
    let e = decode(one, &opts).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { tag, .. } if *tag == Tag(0x003A_0200)),
        "{e}"
    );

    // a group without Number of Waveform Channels
    let without = replace(
        &waveform_file(false, &[ss_group(1, &[1, 2])]),
        &[0x3A, 0x00, 0x05, 0x00],
        &[0x3A, 0x00, 0x07, 0x00],
    );
    let e = decode(without, &opts).unwrap_err();
    assert!(
        matches!(&e, Error::MissingElement { tag, .. } if *tag == Tag(0x003A_0005)),
        "{e}"
    );

    let ul = Group {
        fs: "250".into(),
        bits: 32,
        interpretation: "UL",
        channels: 1,
        samples: 2,
        sensitivity: "1".into(),
        data: [5u32, u32::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        padding: None,
    };
    let e = decode(waveform_file(true, &[ul]), &opts).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");

    let small = DecodeOptions {
        limits: Limits {
            max_samples: 3,
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };
    let e = decode(good, &small).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { .. }), "{e}");
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = hay.to_vec();
    out[at..at + from.len()].copy_from_slice(to);
    out
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for explicit in [true, false] {
        let mut g = ss_group(2, &[1, 2, 3, 4, 5, 6]);
        g.padding = Some(vec![0x00, 0x80]);
        let bytes = waveform_file(explicit, &[g]);
        let full = decode(bytes.clone(), &DecodeOptions::default()).unwrap();
        assert_eq!(full.signals[0].missing_value, Some(-32768));
        for n in 0..bytes.len() {
            let _ = ecg_dicom::detect(&bytes[..n]);
            assert!(
                decode(bytes[..n].to_vec(), &DecodeOptions::default()).is_err(),
                "prefix {n} of {}",
                bytes.len()
            );
        }
    }
}

fn encoding() -> impl Strategy<Value = (u16, &'static str)> {
    prop_oneof![
        Just((8u16, "SB")),
        Just((8u16, "UB")),
        Just((16u16, "SS")),
        Just((16u16, "US")),
        Just((32u16, "SL")),
    ]
}

proptest! {
    #[test]
    fn round_trip(
        explicit in any::<bool>(),
        (bits, interpretation) in encoding(),
        channels in 1u16..5,
        samples in 0u32..40,
        seed in any::<u64>(),
        sensitivity in 1u32..5000,
    ) {
        let n = channels as usize * samples as usize;
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as i64
        };
        let values: Vec<i64> = (0..n)
            .map(|_| match interpretation {
                "SB" => next() % 128 - (next() % 128),
                "UB" => next() % 256,
                "SS" => next() % 32768 - (next() % 32768),
                "US" => next() % 65536,
                _ => next() % (1 << 31) - (next() % (1 << 31)),
            })
            .collect();
        let data: Vec<u8> = values
            .iter()
            .flat_map(|&v| match bits {
                8 => vec![v as u8],
                16 => (v as u16).to_le_bytes().to_vec(),
                _ => (v as u32).to_le_bytes().to_vec(),
            })
            .collect();
        let sens = format!("{}", f64::from(sensitivity) / 100.0);
        let g = Group {
            fs: "360".into(), bits, interpretation, channels, samples,
            sensitivity: sens.clone(), data, padding: None,
        };
        let r = decode(waveform_file(explicit, &[g]), &DecodeOptions::default()).unwrap();
        prop_assert_eq!(r.signals.len(), channels as usize);
        let s: f64 = sens.parse().unwrap();
        for (c, sig) in r.signals.iter().enumerate() {
            let got = sig.samples.to_vec().unwrap();
            let want: Vec<i32> = values.iter().skip(c).step_by(channels as usize).map(|&v| v as i32).collect();
            prop_assert_eq!(&got, &want);
            let phys = sig.physical(0..sig.len()).unwrap();
            for (p, d) in phys.iter().zip(&want) {
                let expect = f64::from(*d) * s + 10.0;
                prop_assert!((p - expect).abs() <= 1e-9 * expect.abs().max(1.0));
            }
        }
    }

    #[test]
    fn corrupted_files_never_panic(
        explicit in any::<bool>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = waveform_file(explicit, &[ss_group(3, &[7; 30]), ss_group(1, &[1, 2, 3])]);
        for (at, v) in flips {
            let n = bytes.len();
            bytes[132 + at % (n - 132)] = v;
        }
        let _ = ecg_dicom::detect(&bytes);
        if let Ok(r) = decode(bytes, &DecodeOptions::default()) {
            for s in &r.signals {
                let _ = s.stats();
            }
        }
    }

    #[test]
    fn arbitrary_bytes_after_the_preamble_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend(tail);
        let _ = ecg_dicom::detect(&bytes);
        let _ = decode(bytes, &DecodeOptions::default());
    }
}
