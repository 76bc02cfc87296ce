//! The fixtures of `testdata/csv` (written by `make_fixtures.py` with pandas from MIT-BIH
//! 100 and PTB s0010) decode to what pandas `read_csv` reads from them (REFERENCE.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ecg_core::{DecodeOptions, Record};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/csv"))
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(dir().join("REFERENCE.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn decode(name: &str) -> Record {
    ecg_csv::decode_path(&dir().join(name), &DecodeOptions::default()).unwrap()
}

/// Checks every reference column that is one of our signals (by header text).
fn check(name: &str, record: &Record, header_of: impl Fn(&str) -> String) {
    let all = reference();
    let reference = &all["files"][name];
    let rows = reference["rows"].as_u64().unwrap();
    let mut checked = 0;
    for signal in &record.signals {
        let key = header_of(&signal.label);
        let col = &reference["columns"][&key];
        assert!(col.is_object(), "{name}: no reference column {key:?}");
        assert_eq!(signal.len() as u64, rows, "{name} {key}");
        let stats = signal.stats().unwrap();
        assert_eq!(
            stats.missing,
            col["missing"].as_u64().unwrap(),
            "{name} {key}"
        );
        let min = signal.to_physical(stats.digital_min.unwrap());
        let max = signal.to_physical(stats.digital_max.unwrap());
        assert_eq!(min, col["min"].as_f64().unwrap(), "{name} {key} min");
        assert_eq!(max, col["max"].as_f64().unwrap(), "{name} {key} max");
        let sum = col["sum"].as_f64().unwrap();
        assert!(
            (stats.physical_sum - sum).abs() < 1e-6,
            "{name} {key}: sum {} vs pandas {sum}",
            stats.physical_sum
        );
        let first: Vec<f64> = signal.physical(0..5).unwrap();
        for (k, v) in col["first"].as_array().unwrap().iter().enumerate() {
            match v.as_f64() {
                Some(v) => assert_eq!(first[k], v, "{name} {key} sample {k}"),
                None => assert!(first[k].is_nan()),
            }
        }
        checked += 1;
    }
    assert!(checked >= 2, "{name}: only {checked} columns checked");
}

#[test]
fn comma_with_time_in_seconds() {
    let r = decode("mitdb100_comma_time_s.csv");
    assert_eq!(r.format, "csv");
    assert_eq!(r.signals.len(), 2);
    let ii = r.signal("MLII").unwrap();
    assert_eq!((ii.fs, ii.unit.as_str()), (360.0, "mV"));
    assert_eq!(ii.meta.fields["decimals"], "3");
    assert_eq!(r.readings.other["time_column"], "time");
    assert_eq!(r.readings.other["sampling_frequency_source"], "time column");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // digital statistics count the table's own 0.001 mV steps
    let stats = ii.stats().unwrap();
    assert_eq!(stats.digital_sum, -575_600);
    assert_eq!(
        (stats.digital_min, stats.digital_max),
        (Some(-645), Some(960))
    );
    check("mitdb100_comma_time_s.csv", &r, |l| format!("{l} (mV)"));
}

#[test]
fn semicolon_decimal_comma_time_in_ms() {
    let r = decode("mitdb100_semicolon_decimal_comma_ms.csv");
    assert_eq!(r.readings.other["csv_delimiter"], "semicolon");
    assert_eq!(r.readings.other["csv_decimal_separator"], ",");
    assert_eq!(r.readings.other["time_column"], "Zeit");
    assert_eq!(r.signals[0].fs, 360.0);
    check("mitdb100_semicolon_decimal_comma_ms.csv", &r, |l| {
        format!("{l} [mV]")
    });
}

#[test]
fn tab_with_index_column_needs_the_task_rate() {
    let path = dir().join("mitdb100_tab_no_time_uv.tsv");
    let err = ecg_csv::decode_path(&path, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, ecg_csv::Error::NoSamplingRate));
    assert!(err.to_string().contains("sampling_frequency_hint"), "{err}");
    let opts = DecodeOptions {
        sampling_frequency_hint: Some(360.0),
        ..Default::default()
    };
    let r = ecg_csv::decode_path(&path, &opts).unwrap();
    assert_eq!(
        r.readings.other["sampling_frequency_source"],
        "task metadata"
    );
    assert_eq!(r.signals.len(), 2, "the index column is not a signal");
    assert_eq!(r.signals[0].unit, "uV");
    assert_eq!(r.signals[0].scale.gain(), 1.0);
    check("mitdb100_tab_no_time_uv.tsv", &r, |l| format!("{l} (uV)"));
}

#[test]
fn iso_timestamps_fifteen_leads_with_gaps() {
    let r = decode("s0010_iso_timestamps.csv");
    assert_eq!(r.signals.len(), 15);
    assert_eq!(r.signals[0].fs, 1000.0);
    assert_eq!(r.start_date.unwrap().to_string(), "2024-03-01");
    assert_eq!(r.start_time.unwrap().to_string(), "10:15:30");
    let avr = r.signal("avr").unwrap();
    assert_eq!(avr.missing_value, Some(ecg_csv::MISSING_SAMPLE));
    assert_eq!(avr.stats().unwrap().missing, 10);
    assert_eq!(avr.meta.fields["decimals"], "4");
    check("s0010_iso_timestamps.csv", &r, |l| format!("{l} (mV)"));
}

#[test]
fn space_aligned_without_header_rate_from_comment() {
    let r = decode("mitdb100_space_no_header.txt");
    assert_eq!(r.readings.other["csv_delimiter"], "space");
    assert_eq!(r.readings.other["sampling_frequency_source"], "comment");
    assert_eq!(r.signals[0].fs, 360.0);
    assert_eq!(r.readings.comments[1], "sampling rate: 360 Hz");
    assert_eq!(r.signals[0].label, "ch1");
    check("mitdb100_space_no_header.txt", &r, |l| {
        (l.trim_start_matches("ch").parse::<usize>().unwrap() - 1).to_string()
    });
}
