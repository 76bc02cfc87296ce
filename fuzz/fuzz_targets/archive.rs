#![no_main]
//! Fuzz target for `ecg-archive`: any bytes as an upload (archive or single file), under
//! small limits. Must never panic, hang or allocate without bound; errors are fine.

use ecg_archive::{Source, decode_upload, walk_upload};
use ecg_core::{DecodeOptions, Limits, SharedBytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_total_bytes: 32 << 20,
        max_entry_bytes: 16 << 20,
        max_entries: 2_000,
        max_ratio: 1_000,
        ratio_threshold_bytes: 1 << 20,
        max_samples: 4_000_000,
    };
    let opts = DecodeOptions { limits, strict: false, ..DecodeOptions::default() };
    let bytes = SharedBytes::from_vec(data.to_vec());
    let _ = decode_upload(Source::Bytes { name: "fuzz".into(), data: bytes.clone() }, &opts);
    let mut entries = 0u64;
    let _ = walk_upload(Source::Bytes { name: "fuzz".into(), data: bytes }, &limits, |e| {
        entries += 1;
        assert!(!e.name.starts_with('/') && !e.name.split('/').any(|s| s == ".." || s.is_empty()));
        Ok(())
    });
    assert!(entries <= limits.max_entries * 2);
    let _ = walk_upload(
        Source::Reader { name: "fuzz".into(), reader: Box::new(std::io::Cursor::new(data.to_vec())) },
        &limits,
        |_| Ok(()),
    );
});
