//! `ecg annotations`: list or summarise a WFDB (MIT) annotation file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use ecg_core::AnnotationSet;
use serde_json::json;

/// Arguments of `ecg annotations`.
#[derive(Debug, clap::Args)]
pub struct AnnotationsArgs {
    /// The annotation file (`100.atr`, `sel114.q1c`, ...); the annotator is its extension.
    pub file: PathBuf,
    /// Print JSON: the annotation list, or with `--stats` the summary contract.
    #[arg(long)]
    pub json: bool,
    /// Print a summary (count, first/last sample, sample sum, count per mnemonic).
    #[arg(long)]
    pub stats: bool,
}

/// The summary of `ecg annotations --json --stats` (stable contract, docs/CLI.md).
pub fn summary(set: &AnnotationSet) -> serde_json::Value {
    let mut symbols: BTreeMap<String, u64> = BTreeMap::new();
    for a in &set.annotations {
        *symbols.entry(a.code.mnemonic().into_owned()).or_default() += 1;
    }
    json!({
        "count": set.annotations.len(),
        "first_sample": set.annotations.first().map(|a| a.sample),
        "last_sample": set.annotations.last().map(|a| a.sample),
        "sample_sum": set.annotations.iter().map(|a| a.sample).sum::<i64>(),
        "symbols": symbols,
    })
}

/// Runs `ecg annotations`.
pub fn run(args: &AnnotationsArgs) -> Result<()> {
    let set = ecg_wfdb::read_annotations_path(&args.file)
        .with_context(|| format!("cannot read annotations {}", args.file.display()))?;
    if args.stats {
        let s = summary(&set);
        if args.json {
            println!("{s}");
        } else {
            println!(
                "annotator {}: {} annotations",
                set.annotator,
                set.annotations.len()
            );
            println!(
                "  first sample {}, last sample {}",
                s["first_sample"], s["last_sample"]
            );
            if let Some(map) = s["symbols"].as_object() {
                for (k, v) in map {
                    println!("  {k:>6} {v}");
                }
            }
        }
        return Ok(());
    }
    if args.json {
        println!("{}", serde_json::to_string(&set.annotations)?);
        return Ok(());
    }
    let fs = set.fs;
    println!(
        "{:>12} {:>12}  {:<5} {:>4} {:>4} {:>4}  aux",
        "time_s", "sample", "type", "sub", "chan", "num"
    );
    for a in &set.annotations {
        let t = fs.map_or(String::from("-"), |f| format!("{:.3}", a.sample as f64 / f));
        println!(
            "{t:>12} {:>12}  {:<5} {:>4} {:>4} {:>4}  {}",
            a.sample,
            a.code.mnemonic(),
            a.sub,
            a.chan,
            a.num,
            a.aux.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
