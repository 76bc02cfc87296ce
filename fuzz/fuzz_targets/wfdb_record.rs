#![no_main]
//! Fuzz target for WFDB records: the input is split into a header, a second header (a
//! segment or a record sharing the signal file) and signal-file bytes; the record is
//! decoded in strict and lenient mode, eagerly and on demand, every signal's samples are
//! read, and records that decode are written back and must decode again. Nothing may
//! panic.

use std::collections::HashMap;

use ecg_core::{DecodeOptions, Limits, SharedBytes};
use ecg_wfdb::{ReadOptions, SignalFormat};

fn take<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    if data.len() < 2 {
        return &[];
    }
    let n = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
    let (part, rest) = data[2..].split_at(n);
    *data = rest;
    part
}

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let mut rest = input;
    let hea = take(&mut rest);
    let hea2 = take(&mut rest);
    let dat = SharedBytes::from_vec(rest.to_vec());
    let mut pool = HashMap::new();
    pool.insert("r.hea".to_string(), SharedBytes::from_vec(hea.to_vec()));
    pool.insert("a.hea".to_string(), SharedBytes::from_vec(hea2.to_vec()));
    for name in ["r.dat", "a.dat", "r.atr", "x.dat"] {
        pool.insert(name.to_string(), dat.clone());
    }
    let limits = Limits {
        max_samples: 1 << 20,
        ..Limits::default()
    };
    for strict in [true, false] {
        let opts = DecodeOptions { limits, strict, ..DecodeOptions::default() };
        for eager_sample_limit in [0, 1 << 24] {
            let read = ReadOptions {
                eager_sample_limit,
                ..ReadOptions::default()
            };
            let Ok(rec) = ecg_wfdb::decode_record_with("r.hea", &pool, &opts, &read) else {
                continue;
            };
            for s in &rec.signals {
                let _ = s.stats();
                let n = s.len();
                let _ = s.samples.window(n / 3..n);
                let _ = s.samples.window(n.saturating_sub(3)..n);
            }
            if strict && eager_sample_limit > 0 {
                let format = ecg_wfdb::suggest_format(&rec).unwrap_or(SignalFormat::Int32);
                if let Ok(files) = ecg_wfdb::write_record(&rec, "back", format) {
                    let back: HashMap<String, SharedBytes> = files
                        .into_iter()
                        .map(|(n, b)| (n, SharedBytes::from_vec(b)))
                        .collect();
                    let again = ecg_wfdb::decode_record("back.hea", &back, &opts);
                    assert!(again.is_ok(), "our own output must decode: {again:?}");
                }
            }
        }
    }
});
