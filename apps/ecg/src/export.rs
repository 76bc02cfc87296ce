//! `ecg export`: write a decoded record as CSV (physical units), WFDB or EDF+.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ecg_core::{Record, Signal};

use crate::input;

/// Arguments of `ecg export`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["csv", "wfdb", "edf"])))]
pub struct ExportArgs {
    /// The recording (file, archive, WFDB header or record path).
    pub path: PathBuf,
    /// Write physical values as CSV to this file (`-` for stdout). Signals with another
    /// sampling frequency than the first go to `<stem>_<fs>Hz.csv` files beside it.
    #[arg(long, value_name = "OUT")]
    pub csv: Option<PathBuf>,
    /// Write a WFDB copy (header, signal file, annotation files) into this directory,
    /// named after the record; the smallest format that holds the samples (212, 16, 24, 32).
    #[arg(long, value_name = "DIR")]
    pub wfdb: Option<PathBuf>,
    /// Write an EDF+ file (BDF+ when samples need 24 bits) with the record's events.
    #[arg(long, value_name = "OUT")]
    pub edf: Option<PathBuf>,
    /// Which record of an archive to export (0-based, in `ecg inspect` order).
    #[arg(long, default_value_t = 0)]
    pub record: usize,
    #[command(flatten)]
    pub input: input::InputArgs,
}

/// Runs `ecg export`.
pub fn run(args: &ExportArgs) -> Result<()> {
    let opts = args.input.decode_options();
    let record = input::decode_record(&args.path, &opts, args.record)?;
    if let Some(out) = &args.csv {
        write_csv_groups(&record, out)?;
    }
    if let Some(dir) = &args.wfdb {
        write_wfdb(&record, dir)?;
    }
    if let Some(out) = &args.edf {
        write_edf(&record, out)?;
    }
    Ok(())
}

/// A WFDB record name from any record name: one word, no directory.
fn wfdb_name(name: &str) -> String {
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    let stem = stem.unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "record".into()
    } else {
        clean
    }
}

fn write_wfdb(record: &Record, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let format = ecg_wfdb::suggest_format(record)?;
    let name = wfdb_name(&record.name);
    for (file, bytes) in ecg_wfdb::write_record(record, &name, format)? {
        let path = dir.join(&file);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn write_edf(record: &Record, out: &Path) -> Result<()> {
    let mut needs_24_bits = false;
    for s in &record.signals {
        let st = s.stats()?;
        let fits = |v: Option<i32>| v.is_none_or(|v| (-32768..=32767).contains(&v));
        needs_24_bits |= !(fits(st.digital_min) && fits(st.digital_max));
    }
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = BufWriter::new(file);
    if needs_24_bits {
        ecg_edf::write_bdf_plus(record, &mut w)?;
    } else {
        ecg_edf::write_edf_plus(record, &mut w)?;
    }
    w.flush()?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// Writes one CSV per distinct sampling frequency (first group to `out`).
fn write_csv_groups(record: &Record, out: &Path) -> Result<()> {
    let mut groups: Vec<(f64, Vec<&Signal>)> = Vec::new();
    for s in &record.signals {
        match groups.iter_mut().find(|(fs, _)| *fs == s.fs) {
            Some((_, g)) => g.push(s),
            None => groups.push((s.fs, vec![s])),
        }
    }
    if groups.is_empty() {
        bail!("record {} has no signals", record.name);
    }
    for (i, (fs, signals)) in groups.iter().enumerate() {
        if i == 0 {
            if out.as_os_str() == "-" {
                let stdout = std::io::stdout();
                write_csv(&mut BufWriter::new(stdout.lock()), *fs, signals)?;
            } else {
                write_csv_file(out, *fs, signals)?;
            }
        } else {
            let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned());
            let stem = stem
                .filter(|s| s != "-")
                .unwrap_or_else(|| record.name.clone());
            let path = out.with_file_name(format!("{stem}_{fs}Hz.csv"));
            write_csv_file(&path, *fs, signals)?;
            eprintln!("signals at {fs} Hz written to {}", path.display());
        }
    }
    Ok(())
}

fn write_csv_file(path: &Path, fs: f64, signals: &[&Signal]) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    write_csv(&mut w, fs, signals).with_context(|| format!("writing {}", path.display()))?;
    w.flush()?;
    Ok(())
}

/// Writes `time_s` and one column per signal, chunk by chunk (lazy signals stay lazy).
pub fn write_csv(w: &mut impl Write, fs: f64, signals: &[&Signal]) -> Result<()> {
    write!(w, "time_s")?;
    for s in signals {
        if s.unit.is_empty() {
            write!(w, ",{}", csv_field(&s.label))?;
        } else {
            write!(w, ",{}", csv_field(&format!("{} ({})", s.label, s.unit)))?;
        }
    }
    writeln!(w)?;
    let n = signals.iter().map(|s| s.len()).max().unwrap_or(0);
    const CHUNK: usize = 1 << 15;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let columns = signals
            .iter()
            .map(|s| s.physical(start.min(s.len())..end.min(s.len())))
            .collect::<Result<Vec<_>, _>>()?;
        for i in start..end {
            write!(w, "{}", i as f64 / fs)?;
            for col in &columns {
                match col.get(i - start) {
                    Some(v) if v.is_finite() => write!(w, ",{v}")?,
                    _ => write!(w, ",")?,
                }
            }
            writeln!(w)?;
        }
        start = end;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::{Samples, Scale};

    #[test]
    fn csv_has_time_units_and_gaps_for_missing() {
        let mut a = Signal::new("II", 2.0, "mV", Samples::from_vec(vec![0, 200, -32768]));
        a.scale = Scale::Gain {
            gain: 200.0,
            baseline: 0.0,
        };
        a.missing_value = Some(-32768);
        let b = Signal::new("a,b", 2.0, "", Samples::from_vec(vec![1, 2]));
        let mut out = Vec::new();
        write_csv(&mut out, 2.0, &[&a, &b]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "time_s,II (mV),\"a,b\"\n0,0,1\n0.5,1,2\n1,,\n"
        );
    }
}
