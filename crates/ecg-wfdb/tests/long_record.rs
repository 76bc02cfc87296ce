//! A 7-day, 2-lead, 250 Hz format-212 record (302 million samples, a 453 MB signal file)
//! as a sparse file: opening it and reading a minute must not decode the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Instant;

use ecg_core::DecodeOptions;

const FS: u64 = 250;
const FRAMES: u64 = 7 * 24 * 3600 * FS;

/// Writes the record into a fresh directory: zeros everywhere (sparse) except one marked
/// minute on day 5, where lead 0 holds the ramp `i % 2000 - 1000` and lead 1 its negation.
fn seven_day_record(tag: &str) -> (PathBuf, u64) {
    let dir = std::env::temp_dir().join(format!("ecg-wfdb-7d-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("holter.hea"),
        format!("holter 2 {FS} {FRAMES} 08:00:00 01/03/2024\nholter.dat 212 200 12 0 0\nholter.dat 212 200 12 0 0\n"),
    )
    .unwrap();
    let mut f = std::fs::File::create(dir.join("holter.dat")).unwrap();
    f.set_len(FRAMES * 3).unwrap();
    let start = 5 * 24 * 3600 * FS + 123;
    let mut minute = Vec::with_capacity(60 * FS as usize * 3);
    for i in 0..60 * FS {
        let a = (i % 2000) as i32 - 1000;
        let b = -a;
        let (a, b) = (a as u32 & 0xfff, b as u32 & 0xfff);
        minute.extend_from_slice(&[a as u8, ((a >> 8) | ((b >> 4) & 0xf0)) as u8, b as u8]);
    }
    f.seek(SeekFrom::Start(start * 3)).unwrap();
    f.write_all(&minute).unwrap();
    (dir, start)
}

#[test]
fn a_minute_of_a_seven_day_record_is_read_on_demand() {
    let (dir, start) = seven_day_record("window");
    let t = Instant::now();
    let rec = ecg_wfdb::decode_path(&dir.join("holter"), &DecodeOptions::default()).unwrap();
    let lead = &rec.signals[0];
    assert!(lead.samples.is_lazy());
    assert_eq!(lead.len() as u64, FRAMES);
    assert!((rec.duration_s() - 7.0 * 86400.0).abs() < 1e-6);
    let s = start as usize;
    let w0 = lead
        .samples
        .window(s - 2..s + 60 * FS as usize + 2)
        .unwrap();
    let w1 = rec.signals[1].samples.window(s..s + 10).unwrap();
    let elapsed = t.elapsed();
    assert_eq!(&w0[..4], &[0, 0, -1000, -999]);
    assert_eq!(w0[2 + 1999], 999);
    assert_eq!(w0[w0.len() - 1], 0);
    assert_eq!(
        w1.as_ref(),
        &[1000, 999, 998, 997, 996, 995, 994, 993, 992, 991]
    );
    // Decoding all 302 million samples takes seconds; a minute takes microseconds. The
    // bound is loose for a loaded 2-core machine and the dev profile.
    assert!(
        elapsed.as_secs_f64() < 2.0,
        "open + one minute took {elapsed:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[ignore = "decodes 302 million samples; run with cargo test --release -p ecg-wfdb -- --ignored"]
fn whole_seven_day_record_statistics() {
    let (dir, _) = seven_day_record("stats");
    let rec = ecg_wfdb::decode_path(&dir.join("holter.hea"), &DecodeOptions::default()).unwrap();
    let t = Instant::now();
    for (i, s) in rec.signals.iter().enumerate() {
        let st = s.stats().unwrap();
        assert_eq!(st.samples, FRAMES);
        assert_eq!(st.missing, 0);
        // 7 full ramps of 2000 and 1000 more samples, per lead.
        let ramp: i64 = (0..15000i64).map(|k| k % 2000 - 1000).sum();
        assert_eq!(st.digital_sum, if i == 0 { ramp } else { -ramp });
    }
    eprintln!("stats over 2 x {FRAMES} samples: {:?}", t.elapsed());
    std::fs::remove_dir_all(&dir).unwrap();
}
