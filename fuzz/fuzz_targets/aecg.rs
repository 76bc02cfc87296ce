#![no_main]
// Fuzz target aecg: to be written by the issue that owns the decoder.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
