#![no_main]
//! Fuzz target for `ecg-edf`: detection, strict and lenient decoding, sample windows and
//! statistics of every decoded signal, and re-writing what decoded. Nothing may panic.

use ecg_core::{DecodeOptions, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_edf::detect(data);
    for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
        let Ok(record) = ecg_edf::decode("fuzz.edf", SharedBytes::from_vec(data.to_vec()), &opts)
        else {
            continue;
        };
        for signal in &record.signals {
            let _ = signal.stats();
            let n = signal.len();
            let _ = signal.samples.window(n / 3..n);
            let _ = signal.physical(0..n.min(7));
        }
        // Only re-write small records: a fuzzed header can describe a huge one.
        let samples: usize = record.signals.iter().map(|s| s.len()).sum();
        if samples < 100_000 {
            let mut out = Vec::new();
            if ecg_edf::write_edf_plus(&record, &mut out).is_ok() {
                let back = ecg_edf::decode(
                    "back.edf",
                    SharedBytes::from_vec(out),
                    &DecodeOptions::default(),
                );
                assert!(back.is_ok(), "our own output must decode: {back:?}");
            }
            let _ = ecg_edf::write_bdf_plus(&record, &mut Vec::new());
        }
    }
});
