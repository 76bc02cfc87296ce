#![no_main]
//! Fuzz target for `ecg-scp`: detection, strict and lenient decoding, and the statistics
//! and physical values of every decoded signal. Nothing may panic, and decoding must stay
//! within the sample limit.

use ecg_core::{DecodeOptions, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_scp::detect(data);
    for mut opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
        opts.limits.max_samples = 4_000_000;
        let Ok(record) = ecg_scp::decode("fuzz.scp", SharedBytes::from_vec(data.to_vec()), &opts)
        else {
            continue;
        };
        let total: usize = record.signals.iter().map(|s| s.len()).sum();
        assert!(total as u64 <= 2 * opts.limits.max_samples, "{total} samples");
        for signal in &record.signals {
            let _ = signal.stats();
            let n = signal.len();
            let _ = signal.physical(0..n.min(16));
        }
    }
});
