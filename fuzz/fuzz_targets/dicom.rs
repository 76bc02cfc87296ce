#![no_main]
//! Fuzz target for `ecg-dicom`: detection and decoding (statistics and windows of every
//! signal). Nothing may panic. Inputs without the preamble get one, so the fuzzer spends
//! its time in the data set parser.

use ecg_core::{DecodeOptions, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = Vec::with_capacity(data.len() + 132);
    if data.get(128..132) != Some(b"DICM") {
        bytes.extend_from_slice(&[0u8; 128]);
        bytes.extend_from_slice(b"DICM");
    }
    bytes.extend_from_slice(data);
    let _ = ecg_dicom::detect(&bytes);
    let Ok(record) = ecg_dicom::decode(
        "fuzz.dcm",
        SharedBytes::from_vec(bytes),
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
