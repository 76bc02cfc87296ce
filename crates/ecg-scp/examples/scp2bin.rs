//! Decodes an SCP-ECG file and writes every lead as little-endian int32 samples, one file
//! per lead (`OUT.s01`, `OUT.s02`, ...), plus a text header `OUT` with label, sampling
//! rate, sample count and scale of each lead: the work BioSig's `save2gdf -f=BIN FILE OUT`
//! does. `benches/peers/scp_peer.sh` times both as whole processes.
//!
//! Usage: `cargo run --release -p ecg-scp --example scp2bin -- FILE OUT`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use ecg_core::DecodeOptions;

fn run(input: &str, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let record = ecg_scp::decode_path(Path::new(input), &DecodeOptions::default())?;
    let mut header = BufWriter::new(File::create(out)?);
    writeln!(header, "# {} ({} leads)", record.name, record.signals.len())?;
    for (k, s) in record.signals.iter().enumerate() {
        let file = format!("{out}.s{:02}", k + 1);
        writeln!(
            header,
            "{file}\t{}\t{} Hz\t{} samples\t{} {} per unit",
            s.label,
            s.fs,
            s.len(),
            1.0 / s.scale.gain(),
            s.unit
        )?;
        let samples = s.samples.to_vec()?;
        let bytes: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        File::create(&file)?.write_all(&bytes)?;
    }
    for warning in &record.warnings {
        eprintln!("warning: {warning}");
    }
    header.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, out] = args.as_slice() else {
        eprintln!("usage: scp2bin FILE OUT");
        return ExitCode::from(2);
    };
    match run(input, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scp2bin: {input}: {e}");
            ExitCode::FAILURE
        }
    }
}
