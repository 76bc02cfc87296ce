#![no_main]
//! Fuzz target for `ecg-csv`: detection, and decoding with and without a sampling-rate
//! hint (and with a small sample limit), then statistics and windows of every decoded
//! signal. Nothing may panic.

use ecg_core::{DecodeOptions, Limits, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_csv::detect(data);
    let hinted = DecodeOptions {
        sampling_frequency_hint: Some(500.0),
        ..Default::default()
    };
    let small = DecodeOptions {
        limits: Limits {
            max_samples: 64,
            ..Default::default()
        },
        ..hinted
    };
    for opts in [DecodeOptions::default(), hinted, small] {
        let Ok(record) = ecg_csv::decode("fuzz.csv", SharedBytes::from_vec(data.to_vec()), &opts)
        else {
            continue;
        };
        for signal in &record.signals {
            let _ = signal.stats();
            let n = signal.len();
            let _ = signal.physical(n / 2..n);
        }
    }
});
