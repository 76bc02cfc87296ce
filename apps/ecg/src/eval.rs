//! `ecg eval`: beat-by-beat (bxb / ANSI/AAMI EC57) comparison of test annotations with
//! reference annotations, record by record, with gross and average statistics and AF
//! episode comparison. The logic lives in `ecg_analysis::eval`.
//!
//! ```text
//! ecg eval --reference atr --test ecg --test-dir out/ data/100 data/sel114 ...
//! ecg eval --analyze data/100 data/sel114 ...        # score our analyser in-process
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ecg_analysis::eval::{EvalOptions, RecordEval, evaluate_record, gross, markdown_table};
use ecg_core::AnnotationSet;

/// Arguments of `ecg eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// WFDB records (`data/100` or `data/100.hea`); the header gives the sampling
    /// frequency and length.
    #[arg(required = true)]
    pub records: Vec<PathBuf>,
    /// Reference annotator (annotation file extension next to the record).
    #[arg(long, default_value = "atr")]
    pub reference: String,
    /// Test annotator (extension of the test annotation files).
    #[arg(long, default_value = "ecg")]
    pub test: String,
    /// Directory of the test annotation files (default: next to each record).
    #[arg(long, value_name = "DIR")]
    pub test_dir: Option<PathBuf>,
    /// Instead of reading test files, analyse each record with the default engine.
    #[arg(long, conflicts_with_all = ["test", "test_dir"])]
    pub analyze: bool,
    /// Start of the scored interval (`5:00`, `1:02:03` or seconds; EC57 uses 5:00).
    #[arg(long, default_value = "0", value_parser = parse_time)]
    pub start: f64,
    /// End of the scored interval (default: end of record).
    #[arg(long, value_parser = parse_time)]
    pub end: Option<f64>,
    /// Match window in seconds.
    #[arg(long, default_value_t = 0.15)]
    pub window: f64,
    /// Print JSON (per record counts and statistics) instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
}

/// Parses `SS`, `MM:SS` or `HH:MM:SS` (seconds may have decimals).
pub fn parse_time(s: &str) -> Result<f64, String> {
    let mut total = 0.0;
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(format!("{s:?} is not a time (SS, MM:SS or HH:MM:SS)"));
    }
    for p in &parts {
        let v: f64 = p
            .parse()
            .map_err(|_| format!("{s:?} is not a time (SS, MM:SS or HH:MM:SS)"))?;
        if v.is_nan() || v < 0.0 {
            return Err(format!("{s:?}: negative or invalid time"));
        }
        total = total * 60.0 + v;
    }
    Ok(total)
}

/// The record path without a `.hea` extension, and its name.
fn record_base(path: &Path) -> (PathBuf, String) {
    let base = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"))
    {
        path.with_extension("")
    } else {
        path.to_path_buf()
    };
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (base, name)
}

fn with_ext(base: &Path, ext: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Evaluates one record.
pub fn evaluate(args: &EvalArgs, path: &Path) -> Result<RecordEval> {
    let (base, name) = record_base(path);
    let record = ecg_wfdb::decode_path(&base, &ecg_core::DecodeOptions::lenient())
        .with_context(|| format!("cannot read WFDB record {}", base.display()))?;
    let Some(first) = record.signals.first() else {
        bail!("record {} has no signal", base.display());
    };
    let fs = first.fs;
    let len = first.len() as i64;
    let ref_path = with_ext(&base, &args.reference);
    let reference = ecg_wfdb::read_annotations_path(&ref_path)
        .with_context(|| format!("cannot read reference annotations {}", ref_path.display()))?;
    let test: AnnotationSet = if args.analyze {
        ecg_analysis::analyze(&record, &ecg_analysis::Config::default())
            .with_context(|| format!("cannot analyse {}", base.display()))?
            .to_annotations("ecg")
    } else {
        let test_path = match &args.test_dir {
            Some(d) => d.join(format!("{name}.{}", args.test)),
            None => with_ext(&base, &args.test),
        };
        ecg_wfdb::read_annotations_path(&test_path)
            .with_context(|| format!("cannot read test annotations {}", test_path.display()))?
    };
    let opts = EvalOptions {
        window_s: args.window,
        start_s: args.start,
        end_s: args.end,
    };
    Ok(evaluate_record(&name, &reference, &test, fs, len, &opts))
}

/// Runs `ecg eval`.
pub fn run(args: &EvalArgs) -> Result<()> {
    if args.window.is_nan() || args.window <= 0.0 {
        bail!("--window must be positive");
    }
    let mut evals = Vec::with_capacity(args.records.len());
    for r in &args.records {
        evals.push(evaluate(args, r)?);
    }
    if args.json {
        let rows: Vec<serde_json::Value> = evals
            .iter()
            .chain(std::iter::once(&gross(&evals)))
            .map(|e| {
                serde_json::json!({
                    "record": e.record,
                    "confusion": e.confusion,
                    "matched": e.matched(),
                    "missed": e.missed(),
                    "extra": e.extra(),
                    "qrs_se": e.qrs_se(),
                    "qrs_pp": e.qrs_pp(),
                    "rms_error_ms": e.rms_error_ms(),
                    "veb_se": e.veb_se(),
                    "veb_pp": e.veb_pp(),
                    "sveb_se": e.sveb_se(),
                    "sveb_pp": e.sveb_pp(),
                    "af": {
                        "episodes": e.af,
                        "episode_se": e.af.episode_se(),
                        "episode_pp": e.af.episode_pp(),
                        "duration_se": e.af.duration_se(),
                        "duration_pp": e.af.duration_pp(),
                        "burden_error": e.af.burden_error(),
                    },
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    print!("{}", markdown_table(&evals));
    let g = gross(&evals);
    if g.af.ref_episodes > 0 || g.af.test_episodes > 0 {
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{:.1}%", 100.0 * x));
        println!(
            "\nAF episodes: reference {}, test {}; episode Se {}, +P {}; duration Se {}, +P {}; burden error {}",
            g.af.ref_episodes,
            g.af.test_episodes,
            pct(g.af.episode_se()),
            pct(g.af.episode_pp()),
            pct(g.af.duration_se()),
            pct(g.af.duration_pp()),
            pct(g.af.burden_error()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("5:00"), Ok(300.0));
        assert_eq!(parse_time("1:02:03.5"), Ok(3723.5));
        assert_eq!(parse_time("42"), Ok(42.0));
        assert!(parse_time("x").is_err());
        assert!(parse_time("1:2:3:4").is_err());
    }
}
