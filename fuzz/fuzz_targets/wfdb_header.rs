#![no_main]
//! Fuzz target for WFDB header parsing: `is_header` and `parse_header` on arbitrary bytes,
//! and decoding the header as a record with no signal files available. Nothing may panic.

use std::collections::HashMap;

use ecg_core::{DecodeOptions, Limits, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_wfdb::is_header("r.hea", data);
    if let Ok(h) = ecg_wfdb::parse_header("r.hea", data) {
        for s in &h.signals {
            let _ = s.skew_frames();
            let _ = s.label(&h.record_name, 0);
        }
    }
    let mut pool = HashMap::new();
    pool.insert("r.hea".to_string(), SharedBytes::from_vec(data.to_vec()));
    let opts = DecodeOptions {
        limits: Limits {
            max_samples: 1 << 20,
            ..Limits::default()
        },
        strict: false,
        ..DecodeOptions::default()
    };
    if let Ok(rec) = ecg_wfdb::decode_record("r.hea", &pool, &opts) {
        for s in &rec.signals {
            let _ = s.stats();
        }
    }
});
