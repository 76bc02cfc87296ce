//! `ecg analyze`: beat detection and classification, rhythm and HRV of one recording.
//!
//! `ecg analyze RECORD --annotations OUT` writes one MIT annotation per beat at its R-peak
//! sample, labelled with its AAMI class as MIT code (`N`, `S`, `V`, `F`, `Q`), plus `+`
//! rhythm annotations (`(AFIB` ... `(N`) around atrial fibrillation episodes: any EC57
//! tool (bxb, wfdb-python) scores the file directly. `--json FILE` (or `-`) writes the
//! whole [`ecg_analysis::Analysis`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ecg_analysis::{Analysis, Config, Progress, Stage, analyze_with_progress};

/// Arguments of `ecg analyze`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyzeArgs {
    /// The recording: a WFDB record (`data/100` or `data/100.hea`), an EDF/BDF/SCP file or
    /// an archive.
    pub input: PathBuf,
    /// Write the beats as an MIT annotation file (any file name).
    #[arg(long, value_name = "OUT")]
    pub annotations: Option<PathBuf>,
    /// Annotator name stored with the annotations (for `--annotations`).
    #[arg(long, default_value = "ecg")]
    pub annotator: String,
    /// Write the whole analysis as JSON to this file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Which record of the input to analyse, when it holds several (0-based).
    #[arg(long, default_value_t = 0)]
    pub record: usize,
    /// Engine settings as JSON (any subset of the fields of `ecg_analysis::Config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Analyse chunks one after the other instead of in parallel (same result).
    #[arg(long)]
    pub sequential: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Decoder options.
    #[command(flatten)]
    pub decode: crate::input::InputArgs,
}

/// Runs `ecg analyze`.
pub fn run(args: &AnalyzeArgs) -> Result<()> {
    let decoded = crate::input::decode(&args.input, &args.decode.decode_options())?;
    let count = decoded.records.len();
    let Some(record) = decoded.records.get(args.record) else {
        bail!(
            "{} holds {count} record(s); --record {} does not exist",
            args.input.display(),
            args.record
        );
    };
    let mut cfg = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str::<Config>(&text)
                .with_context(|| format!("{} is not a valid analysis configuration", p.display()))?
        }
        None => Config::default(),
    };
    if args.sequential {
        cfg.parallel = false;
    }
    let started = Instant::now();
    let bar = ProgressBar::new(!args.quiet && std::io::stderr().is_terminal());
    let analysis = analyze_with_progress(record, &cfg, &|p| bar.update(p))
        .with_context(|| format!("cannot analyse record {}", record.name))?;
    bar.finish();
    let elapsed = started.elapsed();
    if let Some(out) = &args.annotations {
        let set = analysis.to_annotations(&args.annotator);
        let bytes = ecg_wfdb::write_annotations(&set)
            .with_context(|| format!("cannot encode annotations for {}", out.display()))?;
        std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    }
    match &args.json {
        Some(p) if p.as_os_str() == "-" => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            serde_json::to_writer(&mut lock, &analysis)?;
            writeln!(lock)?;
        }
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            serde_json::to_writer(std::io::BufWriter::new(file), &analysis)
                .with_context(|| format!("cannot write {}", p.display()))?;
            print!("{}", summary_text(&analysis, elapsed.as_secs_f64()));
        }
        None => print!("{}", summary_text(&analysis, elapsed.as_secs_f64())),
    }
    Ok(())
}

/// The human-readable summary printed after an analysis.
pub fn summary_text(a: &Analysis, seconds: f64) -> String {
    let s = &a.summary;
    let mut out = format!(
        "record {}: {:.1} min, {} lead(s) at {} Hz, analysed in {:.2} s\n",
        a.record,
        s.duration_s / 60.0,
        a.leads.len(),
        a.fs,
        seconds
    );
    let [n, sv, v, f, q] = s.class_counts;
    out += &format!(
        "beats {}: N {n}  S {sv}  V {v}  F {f}  Q {q}  ({} templates)\n",
        a.beats.len(),
        a.templates.len()
    );
    if let Some(mean) = s.hr_mean {
        out += &format!("heart rate mean {mean:.0} bpm");
        if let (Some(lo), Some(hi)) = (s.hr_min, s.hr_max) {
            out += &format!(", min {:.0} bpm, max {:.0} bpm", lo.0, hi.0);
        }
        out += "\n";
    }
    let mut kinds = std::collections::BTreeMap::new();
    for e in &a.episodes {
        *kinds.entry(format!("{:?}", e.kind)).or_insert(0u32) += 1;
    }
    if !kinds.is_empty() {
        let list: Vec<String> = kinds.iter().map(|(k, c)| format!("{k} {c}")).collect();
        out += &format!("episodes: {}\n", list.join(", "));
    }
    out += &format!(
        "AF burden {:.1}%, noise {:.1}%\n",
        100.0 * s.af_burden,
        100.0 * s.noise_fraction
    );
    if let Some(h) = &a.hrv {
        out += &format!(
            "HRV: SDNN {:.1} ms, RMSSD {:.1} ms, pNN50 {:.1}%",
            h.sdnn_ms, h.rmssd_ms, h.pnn50
        );
        if let Some(fd) = &h.frequency {
            out += &format!(", LF/HF {:.2}", fd.lf_hf);
        }
        out += "\n";
    }
    out
}

/// A one-line progress bar on standard error (only drawn on a terminal).
struct ProgressBar {
    enabled: bool,
    last: Mutex<(Option<Stage>, u64)>,
}

impl ProgressBar {
    fn new(enabled: bool) -> Self {
        ProgressBar {
            enabled,
            last: Mutex::new((None, u64::MAX)),
        }
    }

    fn update(&self, p: Progress) {
        if !self.enabled || p.total == 0 {
            return;
        }
        let pct = (100 * p.done.min(p.total) / p.total).min(100);
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.0 == Some(p.stage) && last.1 == pct {
            return;
        }
        *last = (Some(p.stage), pct);
        let width = 30;
        let filled = (pct as usize * width) / 100;
        let stage = match p.stage {
            Stage::Detection => "detecting",
            Stage::Classification => "classifying",
            Stage::Rhythm => "rhythm/HRV",
        };
        eprint!(
            "\r{stage:<12} [{}{}] {pct:>3}%",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
    }

    fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
