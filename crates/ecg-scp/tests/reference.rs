//! The decoder against the shared test data: BioSig's decode (REFERENCE.json), the
//! generator's truth (gen_manifest.json) and, where BioSig fails or reads past a lead's
//! data, the values documented in tests/data/biosig_patched.json.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ecg_core::{DecodeOptions, Sex};
use support::{LeadStats, decode_shared, json, samples, shared};

fn reference() -> serde_json::Value {
    json(shared("REFERENCE.json"))
}

fn patched() -> serde_json::Value {
    json(std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/biosig_patched.json"
    )))
}

/// Files BioSig decodes and whose values we expect to equal exactly.
const BIOSIG_EXACT: [&str; 11] = [
    "gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp",
    "gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp",
    "gen_s0010_12lead_1000Hz_10s_v20_huff_d2.scp",
    "gen_s0010_12lead_500Hz_10s_v13_raw.scp",
    "gen_s0010_12lead_500Hz_10s_v20_huff_d1.scp",
    "gen_s0010_15lead_1000Hz_10s_v20_raw_d1.scp",
    "gen_s0010_leadII_1000Hz_5s_v20_huff_d0.scp",
    "ecgtoolkit_Example.scp",
    "scptools_ECG_20070321_110542.scp",
    "scptools_ECG_20170504_163507.scp",
    "scptools_example_full_anon.scp",
];

#[test]
fn every_lead_matches_biosig_exactly() {
    let refs = reference();
    for name in BIOSIG_EXACT {
        let r = decode_shared(name, &DecodeOptions::default()).unwrap();
        let b = &refs["files"][name]["biosig"];
        let channels = b["channels"].as_array().unwrap();
        assert_eq!(r.signals.len(), channels.len(), "{name}");
        for (i, c) in channels.iter().enumerate() {
            let s = &r.signals[i];
            let v = samples(&r, i);
            assert_eq!(
                LeadStats::of(&s.label, &v),
                LeadStats::from_json(c),
                "{name} lead {i}"
            );
            let fs = c["sampling_rate_hz"].as_f64().unwrap();
            assert!((s.fs - fs).abs() < 1e-6, "{name}: fs {} vs {fs}", s.fs);
            // The CLI contract: Signal::stats() and uV physical values.
            let st = s.stats().unwrap();
            assert_eq!(st.digital_sum, c["digital_sum"].as_i64().unwrap());
            assert_eq!(st.digital_min.map(i64::from), c["digital_min"].as_i64());
            assert_eq!(st.digital_max.map(i64::from), c["digital_max"].as_i64());
            assert_eq!(s.unit, "uV");
            let scaling = c["scaling"].as_f64().unwrap();
            let phys_sum = c["physical_sum"].as_f64().unwrap();
            assert!(
                (st.physical_sum - phys_sum).abs() < 1e-6 * phys_sum.abs().max(1.0),
                "{name}: physical sum {} vs {phys_sum}",
                st.physical_sum
            );
            assert!(
                (s.to_physical(1) - scaling).abs() < 1e-12,
                "{name}: scaling"
            );
        }
        assert!(
            r.warnings.is_empty() || name == "scptools_example_full_anon.scp",
            "{name}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn generated_files_equal_the_generator_truth() {
    let manifest = json(shared("gen_manifest.json"));
    for (name, truth) in manifest.as_object().unwrap() {
        let r = decode_shared(name, &DecodeOptions::default()).unwrap();
        let leads = truth["leads"].as_array().unwrap();
        assert_eq!(r.signals.len(), leads.len(), "{name}");
        for (i, l) in leads.iter().enumerate() {
            let v = samples(&r, i);
            assert_eq!(r.signals[i].label, l["label"].as_str().unwrap(), "{name}");
            assert_eq!(v.len() as u64, l["n_samples"].as_u64().unwrap(), "{name}");
            assert_eq!(
                v.iter().map(|&x| x as i64).sum::<i64>(),
                l["sum"].as_i64().unwrap()
            );
            assert_eq!(*v.iter().min().unwrap() as i64, l["min"].as_i64().unwrap());
            assert_eq!(*v.iter().max().unwrap() as i64, l["max"].as_i64().unwrap());
            let first: Vec<i64> = l["first10"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            assert_eq!(v[..10].iter().map(|&x| x as i64).collect::<Vec<_>>(), first);
        }
        let interval = truth["sample_interval_us"].as_f64().unwrap();
        assert_eq!(r.signals[0].fs, 1e6 / interval, "{name}");
        let avm = truth["avm_nV"].as_f64().unwrap();
        assert!(
            (r.signals[0].to_physical(1000) - avm).abs() < 1e-9,
            "{name}"
        );
        let version = truth["version_byte"].as_u64().unwrap();
        assert_eq!(
            r.readings.other["scp_version"],
            format!("{}.{}", version / 10, version % 10)
        );
        let p = &truth["patient"];
        assert_eq!(r.personal.patient_id.as_deref(), p["id"].as_str());
        let acq = p["acq_date"].as_array().unwrap();
        let date = r.start_date.unwrap();
        use ecg_core::chrono::Datelike;
        assert_eq!(
            (date.year() as i64, date.month() as i64, date.day() as i64),
            (
                acq[0].as_i64().unwrap(),
                acq[1].as_i64().unwrap(),
                acq[2].as_i64().unwrap()
            )
        );
    }
}

/// contec: section 3 declares 37855 samples per lead but section 6 stores 65534 bytes
/// (32767 samples) per lead. BioSig reads 37855 per lead, i.e. on into the next lead's
/// data (and past the section for the last lead). We give the 32767 stored samples.
#[test]
fn contec_gives_the_stored_samples_where_biosig_reads_into_the_next_lead() {
    let name = "contec_0000050_ecg_scp.scp";
    let r = decode_shared(name, &DecodeOptions::default()).unwrap();
    let p = patched();
    let prefixes = p["prefixes"][name]["channels"].as_array().unwrap();
    assert_eq!(r.signals.len(), 12);
    for (i, c) in prefixes.iter().enumerate() {
        assert_eq!(
            LeadStats::of(&r.signals[i].label, &samples(&r, i)),
            LeadStats::from_json(c)
        );
        assert_eq!(r.signals[i].fs, 800.0);
    }
    // BioSig's 37855 values of lead k are our lead k followed by the first 5088 samples
    // of lead k + 1: their statistics and checksum equal REFERENCE.json.
    let refs = reference();
    let channels = refs["files"][name]["biosig"]["channels"]
        .as_array()
        .unwrap();
    for (k, c) in channels.iter().enumerate().take(11) {
        let mut v = samples(&r, k);
        v.extend_from_slice(&samples(&r, k + 1)[..37855 - 32767]);
        assert_eq!(
            LeadStats::of(&r.signals[k].label, &v),
            LeadStats::from_json(c),
            "lead {k}"
        );
    }
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("declares 37855 samples")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.start_date.unwrap().to_string(), "2020-11-16");
    assert_eq!(r.start_time.unwrap().to_string(), "21:44:39");
    assert_eq!(r.personal.sex, None);
    assert_eq!(r.readings.device.as_deref(), Some("ECG90"));
}

/// ecgviewer: section 3 says samples 0..=10000 (sample numbers start at 1), section 6
/// stores 10000 samples per lead. BioSig's 10001st sample is the next lead's first.
#[test]
fn ecgviewer_has_10000_samples_per_lead() {
    let name = "ecgviewer_demo.scp";
    let r = decode_shared(name, &DecodeOptions::default()).unwrap();
    let p = patched();
    let prefixes = p["prefixes"][name]["channels"].as_array().unwrap();
    let refs = reference();
    let channels = refs["files"][name]["biosig"]["channels"]
        .as_array()
        .unwrap();
    assert_eq!(r.signals.len(), 8);
    for (i, c) in prefixes.iter().enumerate() {
        let v = samples(&r, i);
        assert_eq!(
            LeadStats::of(&r.signals[i].label, &v),
            LeadStats::from_json(c)
        );
        let mut with_next = v.clone();
        with_next.push(if i + 1 < 8 { samples(&r, i + 1)[0] } else { 0 });
        assert_eq!(
            LeadStats::of(&r.signals[i].label, &with_next),
            LeadStats::from_json(&channels[i])
        );
    }
    assert!((r.signals[0].to_physical(1000) - 183.0).abs() < 1e-9);
    let pd = &r.personal;
    assert_eq!(pd.last_name.as_deref(), Some("Patient"));
    assert_eq!(pd.first_name.as_deref(), Some("Demo"));
    assert_eq!(pd.patient_id.as_deref(), Some("12-678-QW"));
    assert_eq!(pd.sex, Some(Sex::Male));
    assert_eq!((pd.height_cm, pd.weight_kg), (Some(187.0), Some(82.0)));
    assert_eq!(pd.birth_date.unwrap().to_string(), "1957-06-24");
    assert_eq!(pd.age_years, Some(47.0));
    assert_eq!(r.start_date.unwrap().to_string(), "2004-06-24");
    assert_eq!(r.start_time.unwrap().to_string(), "16:52:16");
    assert_eq!(r.readings.comments, vec!["demo patient".to_string()]);
    assert_eq!(r.readings.other["scp_version"], "1.3");
}

/// BioSig aborts on this file; it decodes once section 7's 14 pacemaker spikes are
/// removed (nothing else changed), and our decode of the original equals that.
#[test]
fn the_file_biosig_crashes_on_matches_biosig_without_its_spike_table() {
    let name = "scptools_ECG_20081029_105642.scp";
    let r = decode_shared(name, &DecodeOptions::default()).unwrap();
    let p = patched();
    let channels = p["files"][name]["channels"].as_array().unwrap();
    assert_eq!(r.signals.len(), channels.len());
    for (i, c) in channels.iter().enumerate() {
        assert_eq!(
            LeadStats::of(&r.signals[i].label, &samples(&r, i)),
            LeadStats::from_json(c)
        );
    }
    assert!((r.signals[0].fs - 1e6 / 1667.0).abs() < 1e-9);
    // The pacemaker spikes are events; the global measurements are there.
    let c = &r.classification;
    assert_eq!(c.events.len(), 14);
    assert_eq!(c.events[0].onset_s, 0.098);
    assert!(
        c.events[0].text.contains("amplitude 1000 uV"),
        "{}",
        c.events[0].text
    );
    let m = |n: &str| {
        c.measurements
            .iter()
            .find(|m| m.name == n && m.lead.is_none())
            .map(|m| m.value)
    };
    assert_eq!(m("RR"), Some(750.0));
    assert_eq!(m("QRS"), Some(337.0 - 250.0));
    assert_eq!(m("ventricular rate"), Some(80.0));
    assert_eq!(m("QTc"), Some(412.0));
    assert_eq!(m("P axis"), None); // 999 = undefined
    let texts: Vec<&str> = c.statements.iter().map(|s| s.text.as_str()).collect();
    assert!(texts.contains(&"sinus rhythm"), "{texts:?}");
    assert!(texts.contains(&"Normal ECG"), "{texts:?}");
}

/// scpecgrw_test: AVM 0 and a reference beat subtraction flag without sections 4/5.
/// BioSig refuses; with the AVM set and the flag cleared (lead data unchanged) it
/// decodes the Huffman data exactly as we do but returns the second differences
/// themselves (-1899..1944), not the samples: second-differencing our samples gives
/// BioSig's output bit for bit. Our samples are what a writer test writes, uniform
/// integers in 0..=999 in every lead.
#[test]
fn scpecgrw_decodes_with_warnings_where_biosig_refuses() {
    let name = "scpecgrw_test.scp";
    let r = decode_shared(name, &DecodeOptions::default()).unwrap();
    let p = patched();
    let channels = p["files"][name]["channels"].as_array().unwrap();
    assert_eq!(r.signals.len(), 12);
    for (i, c) in channels.iter().enumerate() {
        let v = samples(&r, i);
        let d2 = support::encoder::differences(&v, 2);
        assert_eq!(
            LeadStats::of(&r.signals[i].label, &d2),
            LeadStats::from_json(c),
            "lead {i}"
        );
        assert_eq!(
            (v.iter().min(), v.iter().max()),
            (Some(&0), Some(&999)),
            "lead {i}"
        );
        assert_eq!(r.signals[i].unit, "");
    }
    let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    let w = w.join("\n");
    assert!(w.contains("amplitude value multiplier is 0"), "{w}");
    assert!(
        w.contains("flags reference beat subtraction but section 4 is absent"),
        "{w}"
    );
    assert_eq!(
        r.personal.last_name.as_deref(),
        Some("src.LastNam\u{f7}\u{ff}")
    );
    assert_eq!(
        r.personal.medications,
        vec!["Drug TextDesciptio".to_string()]
    );
    assert_eq!(
        (r.personal.systolic_mmhg, r.personal.diastolic_mmhg),
        (Some(50.0), Some(60.0))
    );
    assert_eq!(r.readings.lowpass_hz, Some(10.0));
    assert_eq!(r.readings.highpass_hz, Some(0.5));
    assert_eq!(r.classification.statements.len(), 1);
}

#[test]
fn metadata_of_the_device_files() {
    let r = decode_shared(
        "scptools_ECG_20070321_110542.scp",
        &DecodeOptions::default(),
    )
    .unwrap();
    let p = &r.personal;
    assert_eq!(p.last_name.as_deref(), Some("Karlsson"));
    assert_eq!(p.first_name.as_deref(), Some("Peter"));
    assert_eq!(p.name.as_deref(), Some("Karlsson, Peter"));
    assert_eq!(p.patient_id.as_deref(), Some("191010101010"));
    assert_eq!(p.birth_date.unwrap().to_string(), "1968-02-27");
    assert_eq!(
        (p.height_cm, p.weight_kg, p.sex),
        (Some(180.0), Some(85.0), Some(Sex::Male))
    );
    assert_eq!(r.start_date.unwrap().to_string(), "2007-03-21");
    assert_eq!(r.start_time.unwrap().to_string(), "11:05:42");
    let d = &r.readings;
    assert_eq!(
        d.manufacturer.as_deref(),
        Some("Welch Allyn Cardio Control")
    );
    assert_eq!(d.device.as_deref(), Some("MDW14"));
    assert_eq!(d.other["scp_version"], "2.0");
    let c = &r.classification;
    let statements: Vec<&str> = c.statements.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(statements.len(), 9); // statement 9 is empty
    assert_eq!(statements[0], "sinusrytm");
    assert!(
        statements
            .iter()
            .any(|s| s.starts_with("\u{e5}lderskorrigerat Sokolow")),
        "{statements:?}"
    );
    let lead_ms: Vec<_> = c
        .measurements
        .iter()
        .filter(|m| m.lead.as_deref() == Some("I"))
        .collect();
    let get = |n: &str| lead_ms.iter().find(|m| m.name == n).map(|m| m.value);
    assert_eq!(get("P duration"), Some(92.0));
    assert_eq!(get("QT"), Some(360.0));
    assert_eq!(get("R amplitude"), Some(1413.0));
    assert_eq!(get("J amplitude"), Some(-105.0));
    let global = |n: &str| {
        c.measurements
            .iter()
            .find(|m| m.name == n && m.lead.is_none())
            .map(|m| m.value)
    };
    assert_eq!(global("ventricular rate"), Some(75.0));
    assert_eq!(global("PR"), Some(257.0 - 100.0));
    assert_eq!(global("QRS axis"), Some(53.0));
    assert_eq!(d.other["qtc_formula"], "Bazett");

    let r = decode_shared("ecgtoolkit_Example.scp", &DecodeOptions::default()).unwrap();
    assert_eq!(r.personal.last_name.as_deref(), Some("Clark"));
    assert_eq!(r.personal.birth_date.unwrap().to_string(), "1953-05-08");
    assert_eq!(r.personal.race.as_deref(), Some("caucasian"));
    assert_eq!(r.readings.device.as_deref(), Some("ELI250"));
    assert_eq!(r.readings.manufacturer.as_deref(), Some("ECGConversion"));
    assert_eq!(r.start_date.unwrap().to_string(), "2002-11-22");
    assert_eq!(r.start_time.unwrap().to_string(), "09:10:00");

    // The anonymiser wrote big-endian years: the dates are refused, with warnings.
    let r = decode_shared("scptools_example_full_anon.scp", &DecodeOptions::default()).unwrap();
    assert_eq!(r.start_date, None);
    assert_eq!(r.personal.birth_date, None);
    assert!(
        r.warnings.iter().any(|w| w.message.contains("53255-01-01")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.signals[2].label, "V3R");
}
