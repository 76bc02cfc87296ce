//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod encoder;

use std::path::PathBuf;

use ecg_core::{DecodeOptions, Record, SharedBytes};
use sha2::{Digest, Sha256};

/// A file of the shared SCP test data (a missing file fails the test).
pub fn shared(name: &str) -> PathBuf {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/scp/"
    ))
    .join(name);
    assert!(p.exists(), "missing shared test file {}", p.display());
    p
}

/// The shared test data root.
pub fn shared_root() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
}

/// Parses a JSON file.
pub fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes a shared file.
pub fn decode_shared(name: &str, opts: &DecodeOptions) -> ecg_scp::Result<Record> {
    let bytes = std::fs::read(shared(name)).unwrap();
    ecg_scp::decode(name, SharedBytes::from_vec(bytes), opts)
}

/// SHA-256 (hex) of samples as little-endian int32.
pub fn sha256_i32(v: &[i32]) -> String {
    let mut h = Sha256::new();
    for x in v {
        h.update(x.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Per-lead statistics as the reference files give them.
#[derive(Debug, PartialEq)]
pub struct LeadStats {
    pub label: String,
    pub n: u64,
    pub sum: i64,
    pub min: i64,
    pub max: i64,
    pub first10: Vec<i64>,
    pub sha: String,
}

impl LeadStats {
    pub fn of(label: &str, v: &[i32]) -> Self {
        LeadStats {
            label: label.to_string(),
            n: v.len() as u64,
            sum: v.iter().map(|&x| x as i64).sum(),
            min: v.iter().copied().min().unwrap_or(0) as i64,
            max: v.iter().copied().max().unwrap_or(0) as i64,
            first10: v.iter().take(10).map(|&x| x as i64).collect(),
            sha: sha256_i32(v),
        }
    }

    /// From a REFERENCE.json / biosig_patched.json channel entry.
    pub fn from_json(c: &serde_json::Value) -> Self {
        LeadStats {
            label: c["label"].as_str().unwrap().to_string(),
            n: c["n_samples"].as_u64().unwrap(),
            sum: c["digital_sum"].as_i64().unwrap(),
            min: c["digital_min"].as_i64().unwrap(),
            max: c["digital_max"].as_i64().unwrap(),
            first10: c["digital_first10"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect(),
            sha: c["digital_sha256_int32le"].as_str().unwrap().to_string(),
        }
    }
}

/// All samples of a signal.
pub fn samples(r: &Record, i: usize) -> Vec<i32> {
    r.signals[i].samples.to_vec().unwrap()
}
