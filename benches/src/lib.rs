//! Criterion benchmarks of the ECG workspace; see `benches/` and `docs/BENCHMARKS.md`.
