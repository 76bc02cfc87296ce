//! EDF/BDF decoding: `ecg-edf` against pyedflib on the same files, in one run.
//!
//! Files: three shared test files (`../shared/testdata/edf/`) and a 24-hour, 3-channel,
//! 256 Hz EDF+ Holter file written here by `ecg_edf::write_edf_plus` into a temporary
//! directory (`ECG_EDF_BENCH_HOURS` changes its length).
//!
//! Criterion groups, per file (throughput = stored sample bytes):
//! - `edf_open`: header, annotations and lazy signals (`decode_path`, memory-mapped);
//! - `edf_decode_stream`: open + every signal decoded in 64 Ki-sample chunks into one
//!   reused buffer (`Samples::read`, the path of `Signal::stats` and analysis windows);
//! - `edf_digital_all`: open + every signal's digital samples into a `Vec<i32>`;
//! - `edf_physical_all`: open + every signal's physical values (`Signal::physical`);
//! - `edf_stats`: open + `Signal::stats()` of every signal (`ecg inspect --stats`).
//!
//! Then a side-by-side table: the same open + read-all-channels timed for both readers
//! (median of 5), the peer being `benches/peers/edf_peer.py` (pyedflib `readSignal` of all
//! channels, physical and digital) run with `ECG_PEER_PYTHON` (default
//! `/work/venv/bin/python`). The peer's per-signal digital sums are checked against ours,
//! which also shows pyedflib reads the file our writer produced.
//!
//! Run: `cargo bench -p ecg-benches --bench edf`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ecg_core::{DecodeOptions, Event, Record, SampleSource, Samples, Scale, Signal};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/edf");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/edf_peer.py");

/// Deterministic synthetic ECG-like samples (beats every 218 samples, wander, noise),
/// generated on demand so writing a 24-hour file needs no memory.
#[derive(Debug)]
struct SynthEcg {
    len: usize,
    lead: u64,
}

impl SampleSource for SynthEcg {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        for (k, o) in out.iter_mut().enumerate() {
            let i = (start + k) as u64;
            let phase = (i + self.lead * 7) % 218;
            let beat = if phase < 8 {
                6000 - 800 * phase as i32
            } else {
                0
            };
            let wander = ((i % 1280) as i32 - 640) / 2;
            let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (self.lead << 32);
            h ^= h >> 29;
            let noise = (h % 97) as i32 - 48;
            *o = (beat + wander + noise) * (self.lead as i32 + 2) / 3;
        }
        Ok(())
    }
}

fn write_holter(path: &Path, hours: u32) {
    let fs = 256.0;
    let len = 256 * 3600 * hours as usize;
    let mut record = Record::new("holter", "edf");
    for (lead, label) in ["ECG I", "ECG II", "ECG III"].into_iter().enumerate() {
        let mut s = Signal::new(
            label,
            fs,
            "mV",
            Samples::from_source(Arc::new(SynthEcg {
                len,
                lead: lead as u64,
            })),
        );
        s.scale = Scale::Range {
            physical_min: -5.0,
            physical_max: 5.0,
            digital_min: -32768,
            digital_max: 32767,
        };
        record.signals.push(s);
    }
    for k in 0..hours * 12 {
        record.classification.events.push(Event {
            onset_s: f64::from(k) * 300.0 + 12.5,
            duration_s: Some(30.0),
            text: format!("episode {k}"),
        });
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    ecg_edf::write_edf_plus(&record, &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
}

struct BenchFile {
    name: String,
    path: PathBuf,
    samples: u64,
    sample_bytes: u64,
}

fn bench_file(name: &str, path: PathBuf) -> BenchFile {
    let r = ecg_edf::decode_path(&path, &DecodeOptions::default()).unwrap();
    let samples: u64 = r.signals.iter().map(|s| s.len() as u64).sum();
    let width = if r.format == "bdf" { 3 } else { 2 };
    BenchFile {
        name: name.to_string(),
        path,
        samples,
        sample_bytes: samples * width,
    }
}

fn read_digital(path: &Path) -> Vec<Vec<i32>> {
    let r = ecg_edf::decode_path(path, &DecodeOptions::default()).unwrap();
    r.signals
        .iter()
        .map(|s| s.samples.to_vec().unwrap())
        .collect()
}

/// Every signal decoded in chunks into one reused buffer (`Samples::read`), as streaming
/// consumers (`Signal::stats`, analysis windows) do. Returns a checksum.
fn read_streaming(path: &Path) -> i64 {
    let r = ecg_edf::decode_path(path, &DecodeOptions::default()).unwrap();
    let mut buf = vec![0i32; ecg_core::CHUNK_SAMPLES];
    let mut check = 0i64;
    for s in &r.signals {
        let mut start = 0;
        while start < s.len() {
            let chunk = &mut buf[..ecg_core::CHUNK_SAMPLES.min(s.len() - start)];
            s.samples.read(start, chunk).unwrap();
            check += i64::from(chunk[chunk.len() - 1]);
            start += chunk.len();
        }
    }
    check
}

fn read_physical(path: &Path) -> Vec<Vec<f64>> {
    let r = ecg_edf::decode_path(path, &DecodeOptions::default()).unwrap();
    r.signals
        .iter()
        .map(|s| s.physical(0..s.len()).unwrap())
        .collect()
}

fn criterion_groups(c: &mut Criterion, files: &[BenchFile]) {
    for (group_name, run) in [
        ("edf_open", 0),
        ("edf_decode_stream", 4),
        ("edf_digital_all", 1),
        ("edf_physical_all", 2),
        ("edf_stats", 3),
    ] {
        let mut g = c.benchmark_group(group_name);
        for f in files {
            let big = f.sample_bytes > 50_000_000;
            g.sample_size(if big { 10 } else { 30 });
            g.measurement_time(Duration::from_secs(if big { 12 } else { 4 }));
            g.throughput(Throughput::Bytes(f.sample_bytes));
            g.bench_function(&f.name, |b| match run {
                0 => b.iter(|| {
                    black_box(ecg_edf::decode_path(&f.path, &DecodeOptions::default()).unwrap())
                }),
                1 => b.iter(|| black_box(read_digital(&f.path))),
                2 => b.iter(|| black_box(read_physical(&f.path))),
                4 => b.iter(|| black_box(read_streaming(&f.path))),
                _ => b.iter(|| {
                    let r = ecg_edf::decode_path(&f.path, &DecodeOptions::default()).unwrap();
                    for s in &r.signals {
                        black_box(s.stats().unwrap());
                    }
                }),
            });
        }
        g.finish();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_ours(mut f: impl FnMut(), repeat: usize) -> f64 {
    median(
        (0..repeat)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn side_by_side(files: &[BenchFile]) {
    const REPEAT: usize = 5;
    let python =
        std::env::var("ECG_PEER_PYTHON").unwrap_or_else(|_| "/work/venv/bin/python".into());
    let output = Command::new(&python)
        .arg(PEER)
        .arg("--repeat")
        .arg(REPEAT.to_string())
        .args(files.iter().map(|f| &f.path))
        .output();
    let peer: Vec<serde_json::Value> = match output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Ok(o) => {
            eprintln!(
                "peer failed: {}",
                String::from_utf8_lossy(&o.stderr).trim_end()
            );
            return;
        }
        Err(e) => {
            eprintln!("peer {python} not runnable ({e}); no side-by-side table");
            return;
        }
    };
    println!();
    println!(
        "EDF side by side: open + read all channels, median of {REPEAT} runs; peer = pyedflib {} readSignal",
        peer.first()
            .and_then(|p| p["pyedflib"].as_str())
            .unwrap_or("?")
    );
    println!(
        "{:<40} {:>6} | {:>8} | {:>9} {:>9} {:>5} {:>6} | {:>9} {:>9} {:>5} {:>6}",
        "file",
        "MB",
        "stream",
        "dig ours",
        "pyedflib",
        "x",
        "GB/s",
        "phys ours",
        "pyedflib",
        "x",
        "GB/s"
    );
    for (f, p) in files.iter().zip(&peer) {
        // The same values: our digital sums are pyedflib's.
        let ours_sums: Vec<i64> = read_digital(&f.path)
            .iter()
            .map(|v| v.iter().map(|&x| i64::from(x)).sum())
            .collect();
        let peer_sums: Vec<i64> = p["digital_sums"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(ours_sums, peer_sums, "{}: digital sums differ", f.name);
        assert_eq!(p["samples"].as_u64(), Some(f.samples), "{}", f.name);

        let stream = time_ours(
            || {
                black_box(read_streaming(&f.path));
            },
            REPEAT,
        );
        let dig = time_ours(|| drop(black_box(read_digital(&f.path))), REPEAT);
        let phys = time_ours(|| drop(black_box(read_physical(&f.path))), REPEAT);
        let runs = |k: &str| {
            median(
                p[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect(),
            )
        };
        let (pdig, pphys) = (runs("digital_s"), runs("physical_s"));
        let gbs = |s: f64| f.sample_bytes as f64 / s / 1e9;
        println!(
            "{:<40} {:>6.1} | {:>5.2}GB/s | {:>7.1}ms {:>7.1}ms {:>5.1} {:>6.2} | {:>7.1}ms {:>7.1}ms {:>5.1} {:>6.2}",
            f.name,
            f.sample_bytes as f64 / 1e6,
            gbs(stream),
            dig * 1e3,
            pdig * 1e3,
            pdig / dig,
            gbs(dig),
            phys * 1e3,
            pphys * 1e3,
            pphys / phys,
            gbs(phys)
        );
    }
    println!(
        "(MB = stored sample bytes; stream = open + decode all into a reused buffer; dig/phys = open + every channel into a new array, digital / physical; x = pyedflib time / ours; GB/s = sample bytes per second, ours)"
    );
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --benches` only a smoke run.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let mut files: Vec<BenchFile> = [
        "holter_3ch_1h.edf",
        "test_generator.edf",
        "test_generator.bdf",
    ]
    .iter()
    .map(|n| {
        let p = Path::new(SHARED).join(n);
        assert!(p.exists(), "missing {}", p.display());
        bench_file(n, p)
    })
    .collect();
    let dir = tempfile::tempdir().unwrap();
    if bench_mode {
        let hours: u32 = std::env::var("ECG_EDF_BENCH_HOURS")
            .ok()
            .and_then(|h| h.parse().ok())
            .unwrap_or(24);
        let path = dir.path().join(format!("holter_{hours}h_3ch_256hz.edf"));
        let t = Instant::now();
        write_holter(&path, hours);
        println!(
            "wrote {} ({:.0} MB) with ecg_edf::write_edf_plus in {:.2} s",
            path.display(),
            std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        files.push(bench_file(
            &format!("holter_{hours}h_3ch_256hz.edf (written)"),
            path,
        ));
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c, &files);
    c.final_summary();
    if bench_mode {
        side_by_side(&files);
    }
}
