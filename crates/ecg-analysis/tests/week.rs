//! Scale: a 7-day, 3-lead, 256 Hz recording (464,486,400 samples) through the whole
//! engine, with its wall time, CPU time and peak memory (docs/BENCHMARKS.md, Analysis).
//!
//! The recording is built by concatenation without ever holding it: the 20 QT-database
//! records (15 min each, 2 leads, 250 Hz; 5 h in all) are resampled to 256 Hz, put one
//! after the other, given a third lead (lead 1 - lead 2, like III = II - I), and a lazy
//! [`SampleSource`] serves any window of the week from these 5 hours, repeated. Only the
//! 5-hour base (55 MB of `i32`) and what the engine allocates are in memory, as with a
//! memory-mapped file.
//!
//! ```sh
//! cargo test --release -p ecg-analysis --test week -- --ignored --nocapture
//! WEEK_DAYS=1 cargo test --release -p ecg-analysis --test week -- --ignored --nocapture
//! ```
//!
//! Each run prints one line with the samples, beats, wall and CPU seconds of the analysis
//! and the process's peak resident memory (`VmHWM`, base included); run it once per
//! length (a fresh process each) to compare lengths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ecg_analysis::filter::resample_linear;
use ecg_analysis::{Config, Stage, analyze_with_progress};
use ecg_core::{DecodeOptions, Record, SampleSource, Samples, Scale, Signal};

const QTDB: [&str; 20] = [
    "sel114", "sel116", "sel223", "sel230", "sel301", "sel302", "sel306", "sel307", "sel803",
    "sel808", "sel820", "sel840", "sel14046", "sel14157", "sel16265", "sel16272", "sele0104",
    "sele0106", "sele0107", "sele0110",
];

const FS: f64 = 256.0;

/// One lead of the week: the base repeated end to end.
#[derive(Debug)]
struct Repeated {
    base: Arc<Vec<i32>>,
    len: usize,
}

impl SampleSource for Repeated {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        let n = self.base.len();
        let mut pos = start % n;
        let mut done = 0;
        while done < out.len() {
            let take = (n - pos).min(out.len() - done);
            out[done..done + take].copy_from_slice(&self.base[pos..pos + take]);
            done += take;
            pos = 0;
        }
        Ok(())
    }
}

fn qtdb(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/qtdb"
    ))
    .join(rel)
}

/// The 5-hour base: three leads in microvolts at 256 Hz, and its reference beats (sample
/// positions in the base, at 256 Hz).
fn base() -> ([Vec<i32>; 3], Vec<usize>) {
    let mut leads: [Vec<i32>; 3] = Default::default();
    let mut beats = Vec::new();
    for name in QTDB {
        let record = ecg_wfdb::decode_path(&qtdb(name), &DecodeOptions::default()).unwrap();
        let fs = record.signals[0].fs;
        let two: Vec<Vec<f32>> = record.signals[..2]
            .iter()
            .map(|s| {
                let x: Vec<f32> = s
                    .physical(0..s.len())
                    .unwrap()
                    .into_iter()
                    .map(|v| if v.is_finite() { v as f32 } else { 0.0 })
                    .collect();
                resample_linear(&x, fs, FS)
            })
            .collect();
        let offset = leads[0].len();
        let uv = |v: f32| (v * 1000.0).round() as i32;
        for (&a, &b) in two[0].iter().zip(&two[1]) {
            leads[0].push(uv(a));
            leads[1].push(uv(b));
            leads[2].push(uv(a - b));
        }
        let atr = ecg_wfdb::read_annotations_path(&qtdb(&format!("{name}.atr"))).unwrap();
        beats.extend(
            atr.annotations
                .iter()
                .filter(|a| a.code.is_beat())
                .map(|a| offset + (a.sample as f64 * FS / fs).round() as usize),
        );
    }
    (leads, beats)
}

/// `(utime + stime)` of this process in seconds, and its peak resident set in bytes.
fn process_usage() -> (f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // the fields after the command name (which may hold spaces) start with the state
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based)
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
        .unwrap();
    // the kernel's USER_HZ is 100 on every Linux platform this project targets
    (ticks / 100.0, hwm_kb * 1024)
}

/// The current resident set of this process in bytes.
fn resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .map(|v| {
            v.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap()
        })
        .unwrap()
        * 1024
}

#[test]
#[ignore = "7 days, 464 M samples (about a minute in release on 2 cores); run with --release -- --ignored"]
fn seven_days_three_leads_256_hz() {
    let days: f64 = std::env::var("WEEK_DAYS")
        .ok()
        .map(|v| v.parse().unwrap())
        .unwrap_or(7.0);
    let (leads, base_beats) = base();
    let base_len = leads[0].len();
    let len = (days * 86_400.0 * FS).round() as usize;
    let mut record = Record::new("week", "synthetic");
    for (label, x) in ["ECG1", "ECG2", "ECG3"].into_iter().zip(leads) {
        let source = Repeated {
            base: Arc::new(x),
            len,
        };
        let mut s = Signal::new(label, FS, "mV", Samples::from_source(Arc::new(source)));
        s.scale = Scale::Gain {
            gain: 1000.0,
            baseline: 0.0,
        };
        record.signals.push(s);
    }
    let (cpu0, rss_base) = process_usage();
    let t0 = Instant::now();
    // resident memory when each stage starts (after detection of every chunk, after
    // classification)
    let stages = std::sync::Mutex::new(Vec::<(Stage, f64, u64)>::new());
    let analysis = analyze_with_progress(&record, &Config::default(), &|p| {
        let mut st = stages.lock().unwrap();
        if st.last().is_none_or(|l| l.0 != p.stage) {
            st.push((p.stage, t0.elapsed().as_secs_f64(), resident()));
        }
    })
    .unwrap();
    let wall = t0.elapsed().as_secs_f64();
    let (cpu1, rss_peak) = process_usage();
    let total = 3 * len;
    let s = &analysis.summary;
    println!(
        "{days} d, 3 leads at {FS} Hz: {total} samples, {} beats, analysis wall {wall:.1} s, \
         CPU {:.1} s ({:.1} M samples per CPU second), peak RSS {:.0} MB (base and \
         decoded records {:.0} MB before the analysis), {} threads",
        s.total_beats,
        cpu1 - cpu0,
        total as f64 / (cpu1 - cpu0) / 1e6,
        rss_peak as f64 / 1e6,
        rss_base as f64 / 1e6,
        rayon::current_num_threads()
    );
    for (stage, t, rss) in stages.into_inner().unwrap() {
        println!(
            "  {stage:?} from {t:.1} s, resident then {:.0} MB",
            rss as f64 / 1e6
        );
    }
    // a real result: the base's reference beats, repeated (whole repetitions, then the
    // reference beats of the partial one)
    let expected = ((len / base_len) * base_beats.len()
        + base_beats.iter().filter(|&&b| b < len % base_len).count()) as f64;
    let beats = s.total_beats as f64;
    assert!(
        (beats - expected).abs() < 0.005 * expected,
        "{beats} beats, expected about {expected:.0}"
    );
    assert_eq!(s.hourly.len(), (days * 24.0).ceil() as usize);
    assert_eq!(analysis.samples as usize, len);
    // bounded memory: the input is never held, the engine keeps per-beat results
    assert!(rss_peak < 2_000_000_000, "peak RSS {rss_peak}");
}
