//! WFDB decoding: MIT-BIH record 100 (format 212, 650,000 frames x 2 signals) and
//! format-16 records (PTB s0010_re, 15 leads in two files; a103l with a byte offset),
//! full decode to memory from files already in memory (no disk I/O in the loop).
//! `benches/peers/wfdb_peer.py` times wfdb-python on the same files; see
//! `docs/BENCHMARKS.md` for the figures.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecg_core::{DecodeOptions, SharedBytes};
use ecg_wfdb::{ReadOptions, decode_record_with};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/wfdb");

/// The record's header and signal files, read into memory once.
fn pool(files: &[&str]) -> HashMap<String, SharedBytes> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(Path::new(DIR).join(f))
                .unwrap_or_else(|e| panic!("{f}: {e} (shared test data missing)"));
            (f.to_string(), SharedBytes::from_vec(bytes))
        })
        .collect()
}

fn samples_of(header: &str, pool: &HashMap<String, SharedBytes>) -> u64 {
    let rec = decode_record_with(
        header,
        pool,
        &DecodeOptions::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    rec.signals.iter().map(|s| s.len() as u64).sum()
}

fn bench_wfdb(c: &mut Criterion) {
    let cases: [(&str, &str, &[&str]); 3] = [
        ("mitdb_100_fmt212", "100.hea", &["100.hea", "100.dat"]),
        (
            "ptb_s0010_re_fmt16",
            "s0010_re.hea",
            &["s0010_re.hea", "s0010_re.dat", "s0010_re.xyz"],
        ),
        ("a103l_fmt16", "a103l.hea", &["a103l.hea", "a103l.mat"]),
    ];
    let mut g = c.benchmark_group("wfdb_decode");
    for (name, header, files) in cases {
        let p = pool(files);
        let n = samples_of(header, &p);
        g.throughput(Throughput::Elements(n));
        // decode_record as a caller pays it: header, every sample decoded into fresh
        // `Vec<i32>`s (one per signal), checksums verified, the record dropped.
        let eager = ReadOptions {
            annotations: false,
            ..ReadOptions::default()
        };
        g.bench_function(format!("{name}/decode_record"), |b| {
            b.iter(|| {
                let rec =
                    decode_record_with(header, &p, &DecodeOptions::default(), &eager).unwrap();
                let total: usize = rec
                    .signals
                    .iter()
                    .map(|s| s.samples.as_slice().map_or(0, <[i32]>::len))
                    .sum();
                black_box(total)
            })
        });
        // The decoding kernels alone: every sample of every signal of an opened
        // (on-demand) record decoded into one reused buffer, so no page faults of fresh
        // memory are measured.
        let lazy = ReadOptions {
            eager_sample_limit: 0,
            checksum_sample_limit: 0,
            annotations: false,
        };
        let rec = decode_record_with(header, &p, &DecodeOptions::default(), &lazy).unwrap();
        let longest = rec.signals.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut buf = vec![0i32; longest];
        g.bench_function(format!("{name}/decode_into_buffer"), |b| {
            b.iter(|| {
                for s in &rec.signals {
                    s.samples.read(0, &mut buf[..s.len()]).unwrap();
                    black_box(&buf);
                }
            })
        });
        // On demand, as a consumer streams a 7-day record: open (checksums verified in
        // one pass) then `Signal::stats()` over every signal, chunk by chunk.
        let lazy_checked = ReadOptions {
            eager_sample_limit: 0,
            annotations: false,
            ..ReadOptions::default()
        };
        g.bench_function(format!("{name}/open_lazy_and_stats"), |b| {
            b.iter(|| {
                let rec = decode_record_with(header, &p, &DecodeOptions::default(), &lazy_checked)
                    .unwrap();
                let sum: i64 = rec
                    .signals
                    .iter()
                    .map(|s| s.stats().unwrap().digital_sum)
                    .sum();
                black_box(sum)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_wfdb
}
criterion_main!(benches);
