//! A 7-day Holter file: written by the crate's writer, read lazily through a memory map.
//! Heavy (about 470 MB on disk), so ignored by default:
//! `cargo test --release -p ecg-edf -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ecg_core::{DecodeOptions, Event, Record, SampleSource, Samples, Scale, Signal};

/// Sample `i` of lead `lead`, computed on demand (no 7-day buffer anywhere).
fn value(lead: u64, i: u64) -> i32 {
    let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (lead << 40);
    h ^= h >> 31;
    ((h % 20_001) as i32 - 10_000) + if i % 218 < 4 { 9000 } else { 0 }
}

#[derive(Debug)]
struct Synth {
    len: usize,
    lead: u64,
}

impl SampleSource for Synth {
    fn len(&self) -> usize {
        self.len
    }
    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        for (k, o) in out.iter_mut().enumerate() {
            *o = value(self.lead, (start + k) as u64);
        }
        Ok(())
    }
}

/// Anonymous resident memory of this process, in bytes.
fn rss_anon() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
#[ignore = "writes and reads a 7-day, 3-channel, 256 Hz EDF+ file (~470 MB)"]
fn seven_day_file_is_never_copied_whole() {
    const FS: usize = 256;
    const DAYS: usize = 7;
    let len = FS * 86_400 * DAYS;
    let mut record = Record::new("week", "edf");
    for lead in 0..3u64 {
        let mut s = Signal::new(
            format!("ECG {}", lead + 1),
            FS as f64,
            "mV",
            Samples::from_source(Arc::new(Synth { len, lead })),
        );
        s.scale = Scale::Range {
            physical_min: -5.0,
            physical_max: 5.0,
            digital_min: -32768,
            digital_max: 32767,
        };
        record.signals.push(s);
    }
    record.classification.events.push(Event {
        onset_s: 4.0 * 86_400.0 + 12.5,
        duration_s: Some(60.0),
        text: "day 5 episode".into(),
    });
    let dir = std::env::temp_dir().join(format!("ecg-edf-week-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("week.edf");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        ecg_edf::write_edf_plus(&record, &mut out).unwrap();
        std::io::Write::flush(&mut out).unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 464_000_000, "{size}");

    let before = rss_anon();
    let week = ecg_edf::decode_path(&path, &DecodeOptions::default()).unwrap();
    assert_eq!(week.duration_s(), (86_400 * DAYS) as f64);
    assert_eq!(week.signals[1].len(), len);
    assert_eq!(week.classification.events[0].text, "day 5 episode");
    assert_eq!(week.classification.events[0].onset_s, 4.0 * 86_400.0 + 12.5);

    // One minute on day 5, lead II: exactly the samples written.
    let start = (4 * 86_400 + 3_600) * FS;
    let minute = week.signals[1]
        .samples
        .window(start..start + 60 * FS)
        .unwrap();
    for (k, &v) in minute.iter().enumerate() {
        assert_eq!(v, value(1, (start + k) as u64), "sample {}", start + k);
    }
    let grown = rss_anon().saturating_sub(before);
    assert!(
        grown < 32 << 20,
        "decoding and reading one minute grew anonymous memory by {grown} bytes"
    );

    // Statistics of a whole 7-day lead stream record by record.
    let st = week.signals[2].stats().unwrap();
    let expected: i64 = (0..len as u64).map(|i| i64::from(value(2, i))).sum();
    assert_eq!(st.samples, len as u64);
    assert_eq!(st.digital_sum, expected);
    assert!(rss_anon().saturating_sub(before) < 32 << 20);

    drop(week);
    std::fs::remove_dir_all(&dir).unwrap();
}
