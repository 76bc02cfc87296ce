//! SCP-ECG decoding with `ecg-scp`, per shared test file (`../shared/testdata/scp/`).
//!
//! Criterion groups, per file (throughput = file bytes):
//! - `scp_detect`: `ecg_scp::detect` on the whole file (CRCs included);
//! - `scp_decode`: `ecg_scp::decode` from memory to a `Record` with every lead's samples;
//! - `scp_decode_stats`: decode + `Signal::stats()` of every lead (what
//!   `ecg inspect --json --stats` computes).
//!
//! Then, because the development machine is shared and wall-clock times swing with its
//! load, a CPU-time table (Linux `/proc/self/stat`, 10 ms ticks, so each figure sums at
//! least 0.5 s of CPU): per file, the CPU time of one in-process `decode`, and, in the
//! same run, the CPU time of one whole `save2gdf -f=BIN FILE OUT` process (BioSig, Debian
//! biosig-tools; children's user + system time, output on /dev/shm) with its wall time.
//!
//! The whole-process comparison of our own binary with BioSig is
//! `benches/peers/scp_peer.sh` (hyperfine, same files, same run).
//!
//! Run: `cargo bench -p ecg-benches --bench scp` (`ECG_SCP_BENCH_NO_PEER=1` skips
//! save2gdf).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ecg_core::{DecodeOptions, SharedBytes};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/scp");

/// Every shared SCP file that decodes, small to large.
const FILES: [&str; 15] = [
    "gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp",
    "gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp",
    "gen_s0010_leadII_1000Hz_5s_v20_huff_d0.scp",
    "scptools_ECG_20170504_163507.scp",
    "scptools_ECG_20081029_105642.scp",
    "scptools_example_full_anon.scp",
    "scptools_ECG_20070321_110542.scp",
    "ecgtoolkit_Example.scp",
    "gen_s0010_12lead_500Hz_10s_v20_huff_d1.scp",
    "gen_s0010_12lead_500Hz_10s_v13_raw.scp",
    "ecgviewer_demo.scp",
    "scpecgrw_test.scp",
    "gen_s0010_12lead_1000Hz_10s_v20_huff_d2.scp",
    "gen_s0010_15lead_1000Hz_10s_v20_raw_d1.scp",
    "contec_0000050_ecg_scp.scp",
];

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .configure_from_args();
    let files: Vec<(&str, Vec<u8>)> = FILES
        .iter()
        .map(|f| (*f, std::fs::read(format!("{SHARED}/{f}")).unwrap()))
        .collect();
    let opts = DecodeOptions::default();

    let mut g = c.benchmark_group("scp_detect");
    for (name, bytes) in &files {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| black_box(ecg_scp::detect(black_box(bytes))))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("scp_decode");
    for (name, bytes) in &files {
        let shared = SharedBytes::from_vec(bytes.clone());
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                let r = ecg_scp::decode(name, shared.clone(), &opts).unwrap();
                black_box(r.signals.len())
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("scp_decode_stats");
    for (name, bytes) in &files {
        let shared = SharedBytes::from_vec(bytes.clone());
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                let r = ecg_scp::decode(name, shared.clone(), &opts).unwrap();
                let sum: i64 = r
                    .signals
                    .iter()
                    .map(|s| s.stats().unwrap().digital_sum)
                    .sum();
                black_box(sum)
            })
        });
    }
    g.finish();
    c.final_summary();
    cpu_table(&files, &opts);
}

/// (own user + system, children's user + system) CPU seconds of this process.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which ends at the last ')': field 14 is utime.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    let tick = 100.0; // USER_HZ on Linux
    let at = |i: usize| f.get(i - 3).copied().unwrap_or(0.0) / tick;
    (at(14) + at(15), at(16) + at(17))
}

fn cpu_table(files: &[(&str, Vec<u8>)], opts: &DecodeOptions) {
    let peer = std::env::var_os("ECG_SCP_BENCH_NO_PEER").is_none()
        && Command::new("save2gdf").arg("-v").output().is_ok();
    let out = if std::path::Path::new("/dev/shm").is_dir() {
        "/dev/shm/ecg-scp-bench"
    } else {
        "/tmp/ecg-scp-bench"
    };
    println!("\nCPU time per file (in-process decode vs whole save2gdf -f=BIN process)");
    println!("| file | ours: decode CPU us | save2gdf CPU ms | save2gdf wall ms | CPU ratio |");
    println!("|---|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for (name, bytes) in files {
        let shared = SharedBytes::from_vec(bytes.clone());
        let (start, _) = cpu_seconds();
        let mut n = 0u64;
        let mut used = 0.0;
        while used < 0.5 {
            for _ in 0..16 {
                let r = ecg_scp::decode(name, shared.clone(), opts).unwrap();
                black_box(r.signals.len());
            }
            n += 16;
            used = cpu_seconds().0 - start;
        }
        let ours_us = used / n as f64 * 1e6;
        if !peer {
            println!("| {name} | {ours_us:.1} | | | |");
            continue;
        }
        let path = format!("{SHARED}/{name}");
        // BioSig must exit 0 and write samples (it refuses some files with status 0).
        let _ = std::fs::remove_file(format!("{out}.s01"));
        let ok = Command::new("save2gdf")
            .args(["-f=BIN", &path, out])
            .output()
            .is_ok_and(|o| o.status.success())
            && std::fs::metadata(format!("{out}.s01")).is_ok_and(|m| m.len() > 0);
        if !ok {
            println!("| {name} | {ours_us:.1} | fails | | |");
            continue;
        }
        let (_, child0) = cpu_seconds();
        let t0 = Instant::now();
        let mut runs = 0u32;
        while runs < 10 || (cpu_seconds().1 - child0) < 0.5 {
            Command::new("save2gdf")
                .args(["-f=BIN", &path, out])
                .output()
                .unwrap();
            runs += 1;
        }
        let wall_ms = t0.elapsed().as_secs_f64() / runs as f64 * 1e3;
        let peer_ms = (cpu_seconds().1 - child0) / runs as f64 * 1e3;
        let ratio = peer_ms * 1e3 / ours_us;
        ratios.push(ratio);
        println!("| {name} | {ours_us:.1} | {peer_ms:.2} | {wall_ms:.2} | {ratio:.0}x |");
    }
    if !ratios.is_empty() {
        let g = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "\ngeometric mean CPU ratio (save2gdf process / our decode): {g:.0}x, min {min:.0}x"
        );
    }
    // save2gdf wrote `out` and `out.sNN`.
    let (dir, stem) = out.rsplit_once('/').unwrap_or((".", out));
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().starts_with(stem) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
