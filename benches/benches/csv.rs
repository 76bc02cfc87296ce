//! CSV parsing: `ecg-csv` against pandas `read_csv` on the same file, in one run.
//!
//! File: a 12-lead table with a time column in seconds (`time (s),I (mV),...,V6 (mV)`,
//! 500 Hz, values with 3 decimals, synthetic ECG-like shapes), written here into a
//! temporary directory; `ECG_CSV_BENCH_MB` sets its size (default 120 MB).
//!
//! Criterion group `csv_decode` (throughput = file bytes): `ecg_csv::decode` of the
//! memory-mapped file: dialect sniffing, every row parsed into per-lead `i32` columns,
//! sampling rate derived from the time column; once on the default rayon pool (blocks of
//! lines parsed in parallel) and once inside a 1-thread pool (the sequential parse).
//!
//! Then a side-by-side table: the same decodes timed (median of 3) next to the peer,
//! `benches/peers/csv_peer.py` (pandas `read_csv`, C engine) run with `ECG_PEER_PYTHON`
//! (default `/work/venv/bin/python`). The peer's column sums are checked against ours,
//! and the parallel record against the sequential one.
//!
//! Run: `cargo bench -p ecg-benches --bench csv`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ecg_core::{DecodeOptions, SharedBytes};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/csv_peer.py");
const LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Writes the benchmark table (about `mb` megabytes) and returns its path.
fn write_table(dir: &Path, mb: usize) -> PathBuf {
    let path = dir.join(format!("ecg_12lead_500hz_{mb}mb.csv"));
    let file = std::fs::File::create(&path).unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut header = String::from("time (s)");
    for l in LEADS {
        header.push_str(&format!(",{l} (mV)"));
    }
    writeln!(out, "{header}").unwrap();
    let mut written = header.len() + 1;
    let mut i: u64 = 0;
    let mut line = String::with_capacity(128);
    while written < mb * 1_000_000 {
        use std::fmt::Write as _;
        line.clear();
        write!(line, "{}.{:03}", i / 500, (i % 500) * 2).unwrap();
        for lead in 0..12u64 {
            let phase = (i + lead * 7) % 400;
            let beat = if phase < 10 {
                1500 - 150 * phase as i64
            } else {
                0
            };
            let wander = ((i % 2000) as i64 - 1000) / 8;
            let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (lead << 40);
            h ^= h >> 31;
            let noise = (h % 41) as i64 - 20;
            let v = beat + wander + noise - 100 * lead as i64; // microvolts
            let sign = if v < 0 { "-" } else { "" };
            write!(line, ",{sign}{}.{:03}", v.abs() / 1000, v.abs() % 1000).unwrap();
        }
        line.push('\n');
        out.write_all(line.as_bytes()).unwrap();
        written += line.len();
        i += 1;
    }
    out.flush().unwrap();
    path
}

fn decode(path: &Path) -> ecg_core::Record {
    let data = SharedBytes::map_file(path).unwrap();
    ecg_csv::decode("bench.csv", data, &DecodeOptions::default()).unwrap()
}

/// [`decode`] inside a 1-thread rayon pool: the sequential row parse.
fn decode_one_thread(pool: &rayon::ThreadPool, path: &Path) -> ecg_core::Record {
    pool.install(|| decode(path))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mb: usize = std::env::var("ECG_CSV_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let dir = tempfile::tempdir().unwrap();
    let path = write_table(dir.path(), mb);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let record = decode(&path);
    let rows = record.signals[0].len();
    eprintln!(
        "csv bench file: {} ({bytes} bytes, {rows} rows, {} leads, {} Hz)",
        path.display(),
        record.signals.len(),
        record.signals[0].fs
    );

    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    assert!(
        decode_one_thread(&one_thread, &path) == record,
        "the sequential and the parallel parse differ"
    );
    let threads = rayon::current_num_threads();

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    {
        let mut g = c.benchmark_group("csv_decode");
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(format!("12lead_{mb}mb"), |b| {
            b.iter(|| black_box(decode(&path)))
        });
        g.bench_function(format!("12lead_{mb}mb_1thread"), |b| {
            b.iter(|| black_box(decode_one_thread(&one_thread, &path)))
        });
        g.finish();
    }
    c.final_summary();

    // Side by side, same file, same session.
    let time = |f: &dyn Fn() -> ecg_core::Record| {
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect();
        median(runs)
    };
    let ours_s = time(&|| decode(&path));
    let sequential_s = time(&|| decode_one_thread(&one_thread, &path));
    let python =
        std::env::var("ECG_PEER_PYTHON").unwrap_or_else(|_| "/work/venv/bin/python".into());
    let out = Command::new(&python)
        .arg(PEER)
        .args(["--repeat", "3"])
        .arg(&path)
        .output();
    let mbps = |s: f64| bytes as f64 / s / 1e6;
    println!("\ncsv side by side ({bytes} bytes, {rows} rows x 13 columns, median of 3):");
    println!(
        "  ecg-csv decode ({threads} threads):  {ours_s:.3} s  {:.0} MB/s",
        mbps(ours_s)
    );
    println!(
        "  ecg-csv decode (1 thread):   {sequential_s:.3} s  {:.0} MB/s",
        mbps(sequential_s)
    );
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let j: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
            let runs: Vec<f64> = j["runs_s"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let peer_s = median(runs);
            println!(
                "  pandas {} read_csv:    {peer_s:.3} s  {:.0} MB/s   (ecg-csv is {:.2}x pandas, {:.2}x with 1 thread)",
                j["pandas"].as_str().unwrap_or("?"),
                mbps(peer_s),
                peer_s / ours_s,
                peer_s / sequential_s
            );
            assert_eq!(j["rows"].as_u64().unwrap(), rows as u64);
            for s in &record.signals {
                let key = format!("{} (mV)", s.label);
                let theirs = j["sums"][&key].as_f64().unwrap();
                let mine = s.stats().unwrap().physical_sum;
                assert!(
                    (mine - theirs).abs() <= 1e-6 * theirs.abs().max(1.0),
                    "{key}: {mine} vs pandas {theirs}"
                );
            }
            println!("  column sums agree with pandas (12 leads)");
        }
        Ok(o) => println!(
            "  pandas peer failed: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(e) => println!("  pandas peer not run ({python}: {e})"),
    }
}
