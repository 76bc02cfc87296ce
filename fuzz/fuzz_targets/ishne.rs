#![no_main]
//! Fuzz target for `ecg-ishne`: detection, strict and lenient decoding of Holter files
//! (every lazy signal read in full and in a window) and the annotation reader. Nothing may
//! panic.

use ecg_core::{DecodeOptions, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_ishne::detect(data);
    let _ = ecg_ishne::read_annotations(data);
    for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
        let Ok(record) = ecg_ishne::decode("fuzz.ecg", SharedBytes::from_vec(data.to_vec()), &opts)
        else {
            continue;
        };
        for signal in &record.signals {
            let _ = signal.stats();
            let n = signal.len();
            let _ = signal.samples.window(n / 3..n);
            let _ = signal.physical(0..n.min(7));
        }
    }
});
