#![no_main]
// Fuzz target ishne: to be written by the issue that owns the decoder.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
