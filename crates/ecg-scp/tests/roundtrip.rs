//! Round trips through the test encoder (tests/support/encoder.rs, written from the
//! standard) for what no public file uses: custom Huffman tables with table switching,
//! reference beat subtraction, bimodal compression, protocol 3.0, non-simultaneous leads,
//! manufacturer sections and every section 1 tag; plus proptest round trips and
//! never-panic properties.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ecg_core::{Confidence, DecodeOptions, Record, Sex, SharedBytes};
use ecg_scp::{Error, MISSING_SAMPLE, QRS_ANNOTATOR, decode, detect, lead_code};
use proptest::prelude::*;
use support::encoder::{
    Coding, Qrs, Reference, ScpWriter, assemble, custom_tables, fix_crcs, section_offset,
};

fn dec(bytes: Vec<u8>) -> Record {
    decode(
        "t.scp",
        SharedBytes::from_vec(bytes),
        &DecodeOptions::default(),
    )
    .unwrap()
}

fn try_dec(bytes: Vec<u8>, opts: &DecodeOptions) -> ecg_scp::Result<Record> {
    decode("t.scp", SharedBytes::from_vec(bytes), opts)
}

fn samples(r: &Record, i: usize) -> Vec<i32> {
    r.signals[i].samples.to_vec().unwrap()
}

/// A synthetic ECG-like lead: a slow wave plus a sharp "QRS" every `rr` samples.
fn ecg_like(n: usize, rr: usize, phase: usize, amp: i32) -> Vec<i32> {
    (0..n)
        .map(|i| {
            let t = (i + phase) % rr;
            let qrs = match t {
                10..=14 => (t as i32 - 9) * amp,
                15..=19 => (20 - t as i32) * amp,
                _ => 0,
            };
            let slow = ((i as f64 / 37.0).sin() * 40.0) as i32;
            qrs + slow
        })
        .collect()
}

#[test]
fn custom_huffman_tables_switch_both_ways() {
    let x = vec![
        0, 1, -1, 2, -3, 3, 77, 5, -100, 127, -128, 1000, 30000, -32768, 0, 0, 2, 77, 1,
    ];
    for diff in 0..=2 {
        let mut w = ScpWriter::new(vec![(1, x.clone()), (2, x.iter().rev().copied().collect())]);
        w.coding = Coding::Custom(custom_tables());
        w.difference = diff;
        let r = dec(w.to_bytes());
        assert_eq!(samples(&r, 0), x, "d{diff}");
        assert_eq!(samples(&r, 1), x.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(
            r.signals[0].meta.storage.as_deref(),
            Some(&*format!("scp/huffman-custom/d{diff}"))
        );
    }
}

#[test]
fn malformed_custom_tables_are_refused() {
    let x = vec![1, 2, 3];
    let mut tables = custom_tables();
    // A switch to a table that does not exist.
    tables[0][7].base_value = 3;
    let mut w = ScpWriter::new(vec![(1, x.clone())]);
    w.coding = Coding::Custom(custom_tables());
    let mut bytes = w.to_bytes();
    let s2 = section_offset(&bytes, 2).unwrap();
    // table 1, code structure 8 (the switch), base value field
    let at = s2 + 16 + 2 + 2 + 7 * 9 + 3;
    bytes[at..at + 2].copy_from_slice(&3i16.to_le_bytes());
    fix_crcs(&mut bytes);
    let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Malformed { section: 2, .. }), "{e}");
    assert!(
        e.to_string()
            .contains("table switch to a table 1..=2, found table 3"),
        "{e}"
    );
    // Codes that are not prefix-free.
    let mut w = ScpWriter::new(vec![(1, x)]);
    w.coding = Coding::Custom(custom_tables());
    let mut bytes = w.to_bytes();
    let s2 = section_offset(&bytes, 2).unwrap();
    // table 1, code 2 ('010', 3 bits) becomes '0' (1 bit), a prefix of '00'.
    let at = s2 + 16 + 2 + 2 + 9;
    bytes[at] = 1;
    bytes[at + 1] = 1;
    fix_crcs(&mut bytes);
    let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
    assert!(e.to_string().contains("prefix-free"), "{e}");
}

/// Ten beats of one shape per lead; the reference beat is that shape.
fn subtraction_writer(bimodal: Option<u16>) -> (ScpWriter, Vec<Vec<i32>>) {
    let n = 2000;
    let rr = 200;
    let leads: Vec<Vec<i32>> = (0..3).map(|k| ecg_like(n, rr, 0, 40 * (k + 1))).collect();
    // Reference beat: 120 samples, fiducial at sample 15 (1-based), the beat shape
    // without the slow wave.
    let beats: Vec<Vec<i32>> = (0..3)
        .map(|k| {
            (0..120)
                .map(|i| {
                    let t = i + 5; // sample 1 of the beat is t = 5 of the cycle
                    match t {
                        10..=14 => (t - 9) * 40 * (k + 1),
                        15..=19 => (20 - t) * 40 * (k + 1),
                        _ => 0,
                    }
                })
                .collect()
        })
        .collect();
    // The beat peaks at cycle position 15 (index c + 15 of cycle c), which is sample 11
    // of the reference beat; sample numbers are 1-based (index + 1).
    let qrs: Vec<Qrs> = (0..n / rr)
        .map(|b| {
            let c = (b * rr) as u32; // 0-based index of the cycle start
            let fiducial = c + 15 + 1;
            Qrs {
                beat_type: if b == 4 { 1 } else { 0 },
                start: fiducial - 10,
                fiducial,
                end: fiducial + 60,
                protected: (fiducial - 8, fiducial + 12),
            }
        })
        .collect();
    let mut w = ScpWriter::new(
        leads
            .iter()
            .enumerate()
            .map(|(k, v)| ([1u8, 2, 61][k], v.clone()))
            .collect(),
    );
    w.qrs = qrs;
    w.reference = Some(Reference {
        beats,
        fiducial: 11,
        length_ms: 240, // 120 samples at 2000 us
        difference: 1,
        section5: None,
    });
    w.subtract = true;
    w.bimodal = bimodal;
    (w, leads)
}

#[test]
fn reference_beat_subtraction_round_trips_exactly() {
    for coding in [
        Coding::DefaultHuffman,
        Coding::Raw,
        Coding::Custom(custom_tables()),
    ] {
        let (mut w, leads) = subtraction_writer(None);
        w.coding = coding.clone();
        // The stored residuals differ from the signal (the subtraction did something).
        let plain = ScpWriter {
            subtract: false,
            reference: None,
            qrs: Vec::new(),
            ..w.clone()
        };
        assert_ne!(w.to_bytes().len(), 0);
        let r = dec(w.to_bytes());
        for (i, x) in leads.iter().enumerate() {
            assert_eq!(&samples(&r, i), x, "{coding:?} lead {i}");
            assert_eq!(r.signals[i].meta.fields["scp_reference_beat_added"], "true");
        }
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.readings.other["scp_reference_beat_subtraction"], "true");
        let q = &r.classification.annotations[0];
        assert_eq!(q.annotator, QRS_ANNOTATOR);
        assert_eq!(q.annotations.len(), 10);
        assert_eq!(q.annotations[1].sample, 215);
        assert_eq!(q.annotations[4].sub, 1);
        assert_eq!(q.fs, Some(500.0));
        // Decoding without the reference beat (flag cleared) gives the residuals, which
        // differ from the signal in every type-0 zone.
        let mut bytes = w.to_bytes();
        let s3 = section_offset(&bytes, 3).unwrap();
        bytes[s3 + 17] &= 0xFE;
        fix_crcs(&mut bytes);
        let residual = dec(bytes);
        assert_ne!(samples(&residual, 0), leads[0]);
        // What is left is the slow wave (and the one beat of type 1).
        let big = |v: &[i32]| v.iter().filter(|x| x.abs() > 45).count();
        assert_eq!(big(&samples(&residual, 2)[..800]), 0);
        assert!(big(&leads[2][..800]) > 20);
        assert_eq!(
            dec(plain.to_bytes()).signals[0].samples,
            r.signals[0].samples
        );
    }
}

#[test]
fn different_amplitude_multipliers_are_rescaled() {
    // Section 5 in 2.5 uV units (values doubled), section 6 in 5 uV units.
    let (mut w, leads) = subtraction_writer(None);
    let r = w.reference.as_mut().unwrap();
    let doubled = r
        .beats
        .iter()
        .map(|b| b.iter().map(|v| v * 2).collect())
        .collect();
    r.section5 = Some((2500, doubled));
    let rec = dec(w.to_bytes());
    for (i, x) in leads.iter().enumerate() {
        assert_eq!(&samples(&rec, i), x, "lead {i}");
    }
}

#[test]
fn bimodal_compression_keeps_protected_areas_and_linear_stretches() {
    // A signal that is linear outside the protected area (and jumps at its edges): the
    // protected samples and the linear stretches come back exactly; only the samples of
    // the blocks next to the jumps (within d samples) are interpolated across them.
    let n = 1000;
    let x: Vec<i32> = (0..n as i32)
        .map(|i| {
            if (300..=320).contains(&i) {
                500 - 7 * i
            } else {
                2 * i - 900
            }
        })
        .collect();
    let qrs = vec![Qrs {
        beat_type: 0,
        start: 295,
        fiducial: 310,
        end: 330,
        protected: (301, 321),
    }];
    for d in [1u16, 2, 3, 4] {
        for coding in [Coding::DefaultHuffman, Coding::Raw] {
            let mut w = ScpWriter::new(vec![(1, x.clone())]);
            w.coding = coding.clone();
            w.qrs = qrs.clone();
            w.reference = Some(Reference {
                beats: vec![vec![0; 50]],
                fiducial: 10,
                length_ms: 100,
                difference: 0,
                section5: None,
            });
            w.bimodal = Some(d);
            let bytes = w.to_bytes();
            let r = dec(bytes);
            let y = samples(&r, 0);
            let d_ = d as usize;
            for i in (0..n).filter(|&i| i + d_ <= 300 || i >= 321 + d_ || (300..=320).contains(&i))
            {
                assert_eq!(y[i], x[i], "d = {d}, {coding:?}, sample {i}");
            }
            if d == 1 {
                assert_eq!(y, x);
            }
            assert_eq!(r.signals[0].fs, 500.0);
            assert_eq!(
                r.readings.other["scp_bimodal_decimation_factor"],
                d.to_string()
            );
            assert!(
                r.signals[0]
                    .meta
                    .storage
                    .as_deref()
                    .unwrap()
                    .ends_with("/bimodal")
            );
        }
    }
    // A noisy signal: protected samples exact, the rest close.
    let y: Vec<i32> = (0..n as i32)
        .map(|i| ((i * 7919) % 61) - 30 + i / 3)
        .collect();
    let mut w = ScpWriter::new(vec![(2, y.clone())]);
    w.qrs = qrs.clone();
    w.reference = Some(Reference {
        beats: vec![vec![0; 50]],
        fiducial: 10,
        length_ms: 100,
        difference: 0,
        section5: None,
    });
    w.bimodal = Some(4);
    let r = dec(w.to_bytes());
    let z = samples(&r, 0);
    assert_eq!(z.len(), n);
    assert_eq!(&z[300..=320], &y[300..=320]);
    let mean_err: f64 = z
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - b).abs() as f64)
        .sum::<f64>()
        / n as f64;
    assert!(mean_err < 20.0, "{mean_err}");
}

#[test]
fn hostile_sample_counts_are_refused_before_allocating() {
    // Section 3 claims 4e9 samples for a lead of a few hundred bytes.
    for (coding, bimodal) in [
        (Coding::Raw, Some(2)),
        (Coding::DefaultHuffman, Some(2)),
        (Coding::DefaultHuffman, None),
        (Coding::Custom(custom_tables()), None),
    ] {
        let mut w = ScpWriter::new(vec![(1, vec![5; 100])]);
        w.coding = coding.clone();
        w.bimodal = bimodal;
        w.reference = Some(Reference {
            beats: vec![vec![0; 5]],
            fiducial: 1,
            length_ms: 10,
            difference: 0,
            section5: None,
        });
        let mut bytes = w.to_bytes();
        let s3 = section_offset(&bytes, 3).unwrap();
        bytes[s3 + 16 + 6..s3 + 16 + 10].copy_from_slice(&4_000_000_000u32.to_le_bytes());
        fix_crcs(&mut bytes);
        let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed { section: 6, .. } | Error::Huffman { section: 6, .. }
            ),
            "{coding:?} {bimodal:?}: {e}"
        );
    }
}

#[test]
fn bimodal_with_reference_beat_subtraction() {
    let (mut w, leads) = subtraction_writer(Some(2));
    // The residual (slow wave only, everything else subtracted) is smooth; with
    // decimation it comes back nearly, and the protected areas exactly.
    w.coding = Coding::DefaultHuffman;
    let r = dec(w.to_bytes());
    for (i, x) in leads.iter().enumerate() {
        let y = samples(&r, i);
        assert_eq!(y.len(), x.len());
        for q in &w.qrs {
            let (a, b) = ((q.protected.0 - 1) as usize, (q.protected.1 - 1) as usize);
            assert_eq!(&y[a..=b], &x[a..=b], "lead {i}, protected {a}..={b}");
        }
        let max_err = y.iter().zip(x).map(|(a, b)| (a - b).abs()).max().unwrap();
        assert!(max_err <= 6, "lead {i}: {max_err}");
    }
    // Without section 4 bimodal data cannot be expanded: a clear error.
    let mut bytes = w.to_bytes();
    let p = (22..6 + 136).step_by(10).find(|&p| bytes[p] == 4).unwrap();
    bytes[p + 2..p + 10].fill(0);
    fix_crcs(&mut bytes);
    let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::MissingSection { section: 4, .. }), "{e}");
}

#[test]
fn protocol_3_0_records() {
    let x = ecg_like(500, 100, 3, 50);
    let mut w = ScpWriter::new(vec![(1, x.clone()), (2, x.clone())]);
    w.protocol = 30;
    // Byte 6 of section 6 is reserved from 3.0: a 1 there is not bimodal compression.
    w.byte6_override = Some(1);
    w.extra.push((12, vec![0; 10]));
    w.extra.push((15, vec![1, 2, 3, 4]));
    let bytes = w.to_bytes();
    assert_eq!(detect(&bytes), Confidence::Certain);
    let r = dec(bytes);
    assert_eq!(r.readings.other["scp_version"], "3.0");
    assert_eq!(samples(&r, 0), x);
    assert_eq!(r.readings.other["scp_sections"], "0,1,2,3,6,12,15");
    let w_: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w_.iter().any(|w| w.contains("reserved in SCP-ECG 3.0")),
        "{w_:?}"
    );
    assert!(w_.iter().any(|w| w.contains("section 12")), "{w_:?}");
    assert!(!r.readings.other.contains_key("scp_manufacturer_sections"));

    // Long-term data alone (section 12 without section 6) is reported as unsupported.
    let body3 = vec![1u8, 0x0C, 1, 0, 0, 0, 10, 0, 0, 0, 1];
    let bytes = assemble(30, &[(3, body3.clone()), (12, vec![0; 20])]);
    let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Unsupported { section: 12, .. }), "{e}");
    let bytes = assemble(20, &[(3, body3), (12, vec![0; 20])]);
    let e = try_dec(bytes, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::MissingSection { section: 6, .. }), "{e}");
}

#[test]
fn versions_1_and_2_and_manufacturer_sections() {
    let x = ecg_like(300, 90, 0, 30);
    for protocol in [10, 11, 12, 13, 20, 21, 22] {
        let mut w = ScpWriter::new(vec![(3, x.clone())]);
        w.protocol = protocol;
        w.extra.push((200, b"vendor data".to_vec()));
        let bytes = w.to_bytes();
        assert_eq!(detect(&bytes), Confidence::Certain);
        let r = dec(bytes);
        assert_eq!(samples(&r, 0), x);
        assert_eq!(r.signals[0].label, "V1");
        assert_eq!(
            r.readings.other["scp_version"],
            format!("{}.{}", protocol / 10, protocol % 10)
        );
        assert_eq!(
            r.readings.other["scp_manufacturer_sections"],
            "200 (28 bytes)"
        );
    }
    // A broken manufacturer section is skipped with a warning, in strict mode too.
    let mut w = ScpWriter::new(vec![(3, x.clone())]);
    w.extra.push((200, b"vendor data".to_vec()));
    let mut bytes = w.to_bytes();
    let s = section_offset(&bytes, 200).unwrap();
    bytes[s + 16] ^= 0xFF;
    let crc = ecg_scp::crc_ccitt(&bytes[2..]);
    bytes[0..2].copy_from_slice(&crc.to_le_bytes());
    let r = dec(bytes);
    assert_eq!(samples(&r, 0), x);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("manufacturer-specific section"))
    );
}

#[test]
fn leads_recorded_at_different_times_share_one_time_axis() {
    // A 3x4-style layout: I and II in samples 1..=100, V1 in 101..=200.
    let a: Vec<i32> = (0..100).collect();
    let mut w = ScpWriter::new(vec![(1, a.clone()), (2, a.clone()), (3, a.clone())]);
    w.leads[2].1 = 101;
    let r = dec(w.to_bytes());
    assert_eq!(r.signals.len(), 3);
    for s in &r.signals {
        assert_eq!(s.len(), 200);
        assert_eq!(s.missing_value, Some(MISSING_SAMPLE));
    }
    let v1 = samples(&r, 2);
    assert!(v1[..100].iter().all(|&v| v == MISSING_SAMPLE));
    assert_eq!(&v1[100..], &a[..]);
    let st = r.signals[0].stats().unwrap();
    assert_eq!((st.samples, st.missing, st.digital_sum), (200, 100, 4950));
    assert_eq!(r.signals[2].meta.fields["scp_start_sample"], "101");
}

fn tag(t: u8, v: &[u8]) -> (u8, Vec<u8>) {
    (t, v.to_vec())
}

#[test]
fn every_section_1_tag_lands_in_the_record() {
    let mut w = ScpWriter::new(vec![(1, vec![1, 2, 3])]);
    let mut t14 = vec![1, 0, 2, 0, 3, 0, 0, 8];
    t14.extend_from_slice(b"MODEL\0");
    t14.extend_from_slice(&[20, 0xA0, 0x37, 0xF0, 2]);
    t14.extend_from_slice(&[0; 16]);
    t14.push(4);
    t14.extend_from_slice(b"1.2\0SN-9\0sys 3.1\0scp-impl\0");
    let mut t15 = t14.clone();
    t15[7] = 17;
    t15.truncate(35);
    t15.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
    w.tags = vec![
        tag(0, "Müller\0".as_bytes()),
        tag(1, b"Anna\0"),
        tag(2, b"ID-7\0"),
        tag(3, b"Schmidt\0"),
        tag(4, &[18, 0, 2]),          // 18 months
        tag(5, &[0xB0, 0x07, 6, 15]), // 1968-06-15
        tag(6, &[70, 0, 2]),          // 70 inch
        tag(7, &[154, 0, 3]),         // 154 pound
        tag(8, &[9]),
        tag(9, &[2]),
        tag(10, &[0, 3, 12, 0]), // coded drug, no text
        tag(10, b"\x00\x01\x02Aspirin 100 mg\0"),
        tag(11, &[130, 0]),
        tag(12, &[85, 0]),
        tag(13, b"chest pain\0"),
        tag(14, &t14),
        tag(15, &t15),
        tag(16, b"General Hospital\0"),
        tag(17, b"Core Lab\0"),
        tag(18, b"Cardiology\0"),
        tag(19, b"Analysis Dept\0"),
        tag(20, b"Dr Ref\0"),
        tag(21, b"Dr Confirm\0"),
        tag(22, b"Tech T\0"),
        tag(23, b"Room 5\0"),
        tag(24, &[3]),
        tag(25, &[0xE8, 0x07, 2, 29]),
        tag(26, &[23, 59, 58]),
        tag(27, &[5, 0]), // 0.05 Hz
        tag(28, &[150, 0]),
        tag(29, &[0x02 | 0x04]),
        tag(30, b"first comment\0"),
        tag(30, b"second comment\0"),
        tag(31, b"SEQ-1\0"),
        tag(32, &[0, 1, 42]),
        tag(33, &[2, 1]),
        tag(34, &[0x3C, 0x00, 0, 0, b'C', b'E', b'T', 0]),
        tag(35, b"hypertension\0"),
        tag(99, &[0xAB]),
        tag(201, b"vendor text\0"),
    ];
    let r = dec(w.to_bytes());
    let p = &r.personal;
    assert_eq!(p.last_name.as_deref(), Some("Müller"));
    assert_eq!(p.name.as_deref(), Some("Müller, Anna"));
    assert_eq!(p.patient_id.as_deref(), Some("ID-7"));
    assert_eq!(p.other["second_last_name"], "Schmidt");
    assert_eq!(p.age_years, Some(1.5));
    assert_eq!(p.birth_date.unwrap().to_string(), "1968-06-15");
    assert!((p.height_cm.unwrap() - 177.8).abs() < 1e-9);
    assert!((p.weight_kg.unwrap() - 69.853_225).abs() < 1e-5);
    assert_eq!(p.sex, Some(Sex::Unspecified));
    assert_eq!(p.race.as_deref(), Some("black"));
    assert_eq!(
        p.medications,
        vec!["drug class 3 code 12 (table 0)", "Aspirin 100 mg"]
    );
    assert_eq!(
        (p.systolic_mmhg, p.diastolic_mmhg),
        (Some(130.0), Some(85.0))
    );
    assert_eq!(p.other["referral_indication"], "chest pain");
    assert_eq!(p.other["medical_history_codes"], "table 0: 1,42");
    assert_eq!(p.other["medical_history"], "hypertension");
    let d = &r.readings;
    assert_eq!(d.device.as_deref(), Some("MODEL"));
    assert_eq!(d.manufacturer.as_deref(), Some("Mortara Instruments"));
    assert_eq!(d.serial_number.as_deref(), Some("SN-9"));
    assert_eq!(d.software_version.as_deref(), Some("sys 3.1"));
    assert_eq!(d.other["acquiring_device_mains_frequency_hz"], "60");
    assert_eq!(
        d.other["acquiring_device_capabilities"],
        "print,interpret,store,acquire"
    );
    assert_eq!(d.other["acquiring_device_scp_implementation"], "scp-impl");
    assert_eq!(d.other["acquiring_device_analysis_program_revision"], "1.2");
    assert_eq!(d.other["analysing_device_manufacturer"], "Schiller");
    assert_eq!(d.institution.as_deref(), Some("General Hospital"));
    assert_eq!(d.department.as_deref(), Some("Cardiology"));
    assert_eq!(d.referring_physician.as_deref(), Some("Dr Ref"));
    assert_eq!(d.technician.as_deref(), Some("Tech T"));
    assert_eq!(d.other["analysing_institution"], "Core Lab");
    assert_eq!(d.other["analysing_department"], "Analysis Dept");
    assert_eq!(d.other["confirming_physician"], "Dr Confirm");
    assert_eq!(d.other["room"], "Room 5");
    assert_eq!(d.other["stat_code"], "3");
    assert_eq!(d.other["sequence_number"], "SEQ-1");
    assert_eq!(
        (d.highpass_hz, d.lowpass_hz, d.notch_hz),
        (Some(0.05), Some(150.0), Some(50.0))
    );
    assert_eq!(d.other["filters"], "50 Hz notch,artifact");
    assert_eq!(d.comments, vec!["first comment", "second comment"]);
    assert_eq!(
        d.other["electrodes_12_lead"],
        "Mason-Likar, individual electrodes"
    );
    assert_eq!(d.other["electrodes_xyz"], "Frank");
    assert_eq!(d.other["utc_offset_minutes"], "60");
    assert_eq!(d.other["time_zone"], "CET");
    assert_eq!(d.other["scp_tag_99"], "ab");
    assert_eq!(d.other["manufacturer_tag_201"], "vendor text");
    assert_eq!(r.start_date.unwrap().to_string(), "2024-02-29");
    assert_eq!(r.start_time.unwrap().to_string(), "23:59:58");
}

#[test]
fn ucs2_text_and_broken_tags() {
    let mut w = ScpWriter::new(vec![(1, vec![1])]);
    let mut t14 = vec![0u8; 19];
    t14[16] = 0x07; // ISO 10646 (UCS-2)
    w.tags = vec![
        tag(14, &t14),
        tag(0, &[0x1F, 0x04, 0x35, 0x04, 0x42, 0x04, 0x40, 0x04, 0, 0]),
        tag(5, &[0xD0, 0x07, 2, 30]), // 2000-02-30
        tag(26, &[25, 0, 0]),
        // a length running past the section end
        (1, vec![]),
    ];
    let mut bytes = w.to_bytes();
    let s1 = section_offset(&bytes, 1).unwrap();
    // Make the last tag (tag 1, length 0) claim 200 bytes.
    let body_len = u32::from_le_bytes(bytes[s1 + 4..s1 + 8].try_into().unwrap()) as usize;
    let pos = (s1 + 16..s1 + body_len)
        .rev()
        .find(|&i| bytes[i] == 1 && bytes[i + 1] == 0)
        .unwrap();
    bytes[pos + 1] = 200;
    fix_crcs(&mut bytes);
    let r = dec(bytes);
    assert_eq!(r.personal.last_name.as_deref(), Some("Петр"));
    assert_eq!(r.personal.birth_date, None);
    assert_eq!(r.start_time, None);
    let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("2000-02-30 is not a valid date")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("25:00:00 is not valid")),
        "{w:?}"
    );
    assert!(w.iter().any(|w| w.contains("says 200 bytes")), "{w:?}");
}

#[test]
fn universal_statement_codes_of_section_11() {
    let mut w = ScpWriter::new(vec![(1, vec![1, 2])]);
    let mut s11 = vec![1, 0xE8, 0x07, 1, 2, 10, 11, 12, 3];
    for (seq, kind, data) in [
        (1u8, 1u8, &b"SR\0LVH\0"[..]),
        (2, 2, b"Normal axis\0"),
        (3, 3, b"1 & 2\0"),
    ] {
        s11.push(seq);
        s11.extend_from_slice(&((data.len() + 1) as u16).to_le_bytes());
        s11.push(kind);
        s11.extend_from_slice(data);
    }
    w.extra.push((11, s11));
    let r = dec(w.to_bytes());
    let st = &r.classification.statements;
    assert_eq!(st.len(), 4);
    assert_eq!(
        (st[0].code.as_deref(), st[0].text.as_str()),
        (Some("SR"), "SR")
    );
    assert_eq!(st[1].code.as_deref(), Some("LVH"));
    assert_eq!(
        (st[2].code.as_deref(), st[2].text.as_str()),
        (None, "Normal axis")
    );
    assert_eq!(st[3].text, "statement logic: 1 & 2");
    assert_eq!(
        st[0].source.as_deref(),
        Some("SCP section 11, confirmed, 2024-01-02 10:11:12")
    );
    assert_eq!(lead_code("aVF"), Some(64));
}

fn lead_values() -> impl Strategy<Value = Vec<i32>> {
    // Random walks with occasional jumps (escape codes, 16-bit wrap of differences).
    prop::collection::vec(
        (-20i32..=20, prop::bool::weighted(0.05), any::<i16>()),
        1..300,
    )
    .prop_map(|steps| {
        let mut x = 0i32;
        steps
            .into_iter()
            .map(|(d, jump, j)| {
                x = if jump {
                    j as i32
                } else {
                    (x + d).clamp(-32768, 32767)
                };
                x
            })
            .collect()
    })
}

fn coding() -> impl Strategy<Value = Coding> {
    prop_oneof![
        Just(Coding::Raw),
        Just(Coding::DefaultHuffman),
        Just(Coding::Custom(custom_tables())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lossless_round_trips(
        leads in prop::collection::vec(lead_values(), 1..4),
        diff in 0u8..=2,
        coding in coding(),
        protocol in prop::sample::select(vec![13u8, 20, 22, 30]),
        interval in 1000u16..=8000,
        avm in 1u16..=20000,
    ) {
        // Leads of one record share a length.
        let n = leads.iter().map(Vec::len).min().unwrap();
        let leads: Vec<Vec<i32>> = leads.into_iter().map(|mut v| { v.truncate(n); v }).collect();
        let mut w = ScpWriter::new(leads.iter().enumerate().map(|(k, v)| (k as u8 + 1, v.clone())).collect());
        w.difference = diff;
        w.coding = coding;
        w.protocol = protocol;
        w.interval_us = interval;
        w.avm_nv = avm;
        let bytes = w.to_bytes();
        prop_assert_eq!(detect(&bytes), Confidence::Certain);
        let r = dec(bytes);
        prop_assert_eq!(r.signals.len(), leads.len());
        for (i, x) in leads.iter().enumerate() {
            prop_assert_eq!(&samples(&r, i), x);
            prop_assert!((r.signals[i].fs - 1e6 / interval as f64).abs() < 1e-9);
            prop_assert!((r.signals[i].to_physical(1) - avm as f64 / 1000.0).abs() < 1e-12);
        }
    }

    #[test]
    fn bimodal_round_trips_keep_protected_samples(
        slope in -5i32..=5,
        noise in prop::collection::vec(-50i32..=50, 100..400),
        areas in prop::collection::vec((1u32..400, 0u32..30), 0..5),
        d in 1u16..=4,
    ) {
        let n = noise.len();
        let x: Vec<i32> = noise.iter().enumerate().map(|(i, e)| slope * i as i32 + e).collect();
        let qrs: Vec<Qrs> = areas.iter().map(|&(a, len)| Qrs {
            beat_type: 1, start: a, fiducial: a, end: a, protected: (a, a + len),
        }).collect();
        let mut w = ScpWriter::new(vec![(1, x.clone())]);
        w.qrs = qrs;
        w.reference = Some(Reference { beats: vec![vec![0; 5]], fiducial: 1, length_ms: 10, difference: 0, section5: None });
        w.bimodal = Some(d);
        let r = dec(w.to_bytes());
        let y = samples(&r, 0);
        prop_assert_eq!(y.len(), n);
        for &(a, len) in &areas {
            let lo = (a as usize - 1).min(n);
            let hi = ((a + len) as usize).min(n);
            prop_assert_eq!(&y[lo..hi], &x[lo..hi]);
        }
        if d == 1 {
            prop_assert_eq!(&y, &x);
        }
    }

    #[test]
    fn corrupted_records_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        fix in any::<bool>(),
    ) {
        let (mut w, _) = subtraction_writer(Some(2));
        w.coding = Coding::Custom(custom_tables());
        let mut bytes = w.to_bytes();
        for (i, b) in &flips {
            let i = i.index(bytes.len());
            bytes[i] ^= b | 1;
        }
        if fix && bytes.len() > 22 {
            // Keep the CRCs right so the decoder goes past the checks.
            let ok = std::panic::catch_unwind(|| { let mut c = bytes.clone(); fix_crcs(&mut c); c });
            if let Ok(c) = ok { bytes = c; }
        }
        let _ = detect(&bytes);
        for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
            let _ = try_dec(bytes.clone(), &opts);
        }
        let cut = cut.index(bytes.len());
        let _ = detect(&bytes[..cut]);
        let _ = try_dec(bytes[..cut].to_vec(), &DecodeOptions::lenient());
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = detect(&bytes);
        let _ = try_dec(bytes, &DecodeOptions::lenient());
    }
}

/// Writes records of every encoder path into `$SCP_FUZZ_SEEDS` (a directory) as seeds
/// for `cargo fuzz run scp`.
#[test]
#[ignore = "writes fuzzing seeds; run with SCP_FUZZ_SEEDS=dir"]
fn write_fuzz_seeds() {
    let dir = std::path::PathBuf::from(std::env::var("SCP_FUZZ_SEEDS").unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let x = ecg_like(400, 100, 0, 30);
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut w = ScpWriter::new(vec![(1, x.clone()), (2, x.clone())]);
    w.coding = Coding::Custom(custom_tables());
    seeds.push(("custom_tables.scp", w.to_bytes()));
    let (w, _) = subtraction_writer(None);
    seeds.push(("subtraction.scp", w.to_bytes()));
    let (w, _) = subtraction_writer(Some(3));
    seeds.push(("bimodal_subtraction.scp", w.to_bytes()));
    let mut w = ScpWriter::new(vec![(1, x.clone())]);
    w.protocol = 30;
    w.extra.push((12, vec![0; 8]));
    seeds.push(("v30.scp", w.to_bytes()));
    let mut w = ScpWriter::new(vec![(1, x.clone()), (3, x)]);
    w.leads[1].1 = 401;
    w.extra.push((
        11,
        vec![0, 0xE8, 7, 1, 1, 0, 0, 0, 1, 1, 4, 0, 1, b'S', b'R', 0],
    ));
    seeds.push(("sequential_leads.scp", w.to_bytes()));
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
