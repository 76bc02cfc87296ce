#![no_main]
//! Fuzz target for MIT annotation files: reading, detection, and write -> read of what was
//! read (which must give the same set back). Nothing may panic.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecg_wfdb::is_annotation_file(data);
    let Ok(set) = ecg_wfdb::read_annotations(data, "atr") else {
        return;
    };
    if let Ok(bytes) = ecg_wfdb::write_annotations(&set) {
        let back = ecg_wfdb::read_annotations(&bytes, "atr").expect("own output reads");
        // The writer stores the time resolution with the shortest decimal that reads back
        // exactly, so the whole set survives.
        assert_eq!(back, set);
    }
});
