//! Archive walk + decode (`ecg-archive`) side by side with bare decompression.
//!
//! Data: `benches/peers/archive.sh build DIR [SIZE_MB]` writes `DIR/big.tar.zst` and
//! `DIR/big.zip`, WFDB + EDF + SCP records of the shared test data repeated to about
//! 1 GiB. Set `ECG_ARCHIVE_BENCH_DIR=DIR` to use them; without it the bench builds a
//! 128 MiB set in a temporary directory (`ECG_ARCHIVE_BENCH_MB` changes the size).
//!
//! Criterion group `archive_walk_decode`, per archive: `ecg_archive` (`decode_upload` of
//! the path: walk, detection, decoding of every record, in parallel with rayon) and the
//! peer (`zstd -dc FILE > /dev/null`, `unzip -p FILE > /dev/null`) in the same run.
//! `ECG_ARCHIVE_BENCH_ONCE=1` instead decodes each archive once and prints the time (used
//! by the peer script under `/usr/bin/time -v` for the peak memory).
//!
//! Run: `benches/peers/archive.sh run` (builds 1 GiB, runs everything), or
//! `cargo bench -p ecg-benches --bench archive`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ecg_archive::{Source, decode_upload};
use ecg_core::DecodeOptions;

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/archive.sh");

fn data_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Ok(dir) = std::env::var("ECG_ARCHIVE_BENCH_DIR") {
        return (PathBuf::from(dir), None);
    }
    let tmp = tempfile::tempdir().unwrap();
    let mb = std::env::var("ECG_ARCHIVE_BENCH_MB").unwrap_or_else(|_| "128".into());
    let status = Command::new("bash")
        .args([PEER, "build"])
        .arg(tmp.path())
        .arg(&mb)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "building the bench archives failed");
    (tmp.path().to_path_buf(), Some(tmp))
}

fn decode(path: &Path) -> (usize, usize) {
    let d = decode_upload(Source::Path(path), &DecodeOptions::default()).unwrap();
    let samples: usize = d
        .records
        .iter()
        .flat_map(|r| &r.signals)
        .map(|s| s.len())
        .sum();
    (d.records.len(), samples + d.skipped.len())
}

fn peer(cmd: &str, path: &Path) {
    let mut args: Vec<&str> = cmd.split(' ').collect();
    let program = args.remove(0);
    let status = Command::new(program)
        .args(args)
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn main() {
    let (dir, _keep) = data_dir();
    let archives = [
        ("tar.zst", dir.join("big.tar.zst"), "zstd -dc"),
        ("zip", dir.join("big.zip"), "unzip -p"),
    ];
    if std::env::var("ECG_ARCHIVE_BENCH_ONCE").is_ok() {
        for (kind, path, _) in &archives {
            let t = Instant::now();
            let (records, _) = decode(path);
            println!(
                "once {kind}: {records} records in {:.3} s",
                t.elapsed().as_secs_f64()
            );
        }
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let mut g = c.benchmark_group("archive_walk_decode");
    for (kind, path, cmd) in &archives {
        let len = std::fs::metadata(path).unwrap().len();
        g.throughput(Throughput::Bytes(len));
        g.bench_function(format!("{kind}/ecg_archive"), |b| {
            b.iter(|| black_box(decode(path)))
        });
        g.bench_function(format!("{kind}/{}", cmd.replace(' ', "_")), |b| {
            b.iter(|| peer(cmd, path))
        });
    }
    g.finish();
    c.final_summary();
}
