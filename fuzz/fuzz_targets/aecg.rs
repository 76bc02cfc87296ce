#![no_main]
//! Fuzz target for `ecg-aecg`: detection and decoding (statistics and windows of every
//! signal). Nothing may panic.

use ecg_core::{DecodeOptions, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_aecg::detect(data);
    let Ok(record) = ecg_aecg::decode(
        "fuzz.xml",
        SharedBytes::from_vec(data.to_vec()),
        &DecodeOptions::default(),
    ) else {
        return;
    };
    for signal in &record.signals {
        let _ = signal.stats();
        let n = signal.len();
        let _ = signal.physical(n / 2..n);
    }
});
