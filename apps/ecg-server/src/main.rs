//! The ECG service (work in progress, issue "apps/ecg-server").

fn main() {}
