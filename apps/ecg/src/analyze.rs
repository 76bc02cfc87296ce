//! `ecg analyze`: beat detection and classification, rhythm and HRV of one recording.
//!
//! `ecg analyze RECORD --annotations OUT` writes one MIT annotation per beat at its R-peak
//! sample, labelled with its AAMI class as MIT code (`N`, `S`, `V`, `F`, `Q`), plus `+`
//! rhythm annotations (`(AFIB` ... `(N`) around atrial fibrillation episodes: any EC57
//! tool (bxb, wfdb-python) scores the file directly.
//!
//! `ecg analyze --json RECORD` prints the whole [`ecg_analysis::Analysis`] as one JSON
//! object on standard output and nothing else there (the stable contract of `docs/CLI.md`:
//! `"measurements"` for the resting values, `"summary"` for the long-term ones); `--out
//! FILE` writes the same object to a file. Without `--json` a readable summary goes to
//! standard output. Progress and notes always go to standard error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
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
    /// Print the whole analysis as one JSON object on standard output (instead of the
    /// readable summary).
    #[arg(long)]
    pub json: bool,
    /// Also write the whole analysis as JSON to this file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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
    let record =
        &crate::input::decode_record(&args.input, &args.decode.decode_options(), args.record)?;
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
    if let Some(p) = &args.out {
        if p.as_os_str() == "-" {
            if !args.json {
                print_json(&analysis)?;
            }
        } else {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            serde_json::to_writer(&mut w, &analysis)
                .with_context(|| format!("cannot write {}", p.display()))?;
            w.flush()
                .with_context(|| format!("cannot write {}", p.display()))?;
            if !args.quiet {
                eprintln!("wrote {}", p.display());
            }
        }
    }
    if args.json {
        print_json(&analysis)?;
    } else if args.out.as_ref().is_none_or(|p| p.as_os_str() != "-") {
        print!("{}", summary_text(&analysis, elapsed.as_secs_f64()));
    }
    Ok(())
}

/// Writes the analysis as one line of JSON to standard output.
fn print_json(analysis: &Analysis) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut lock, analysis).context("cannot write to standard output")?;
    writeln!(lock).context("cannot write to standard output")?;
    lock.flush().context("cannot write to standard output")?;
    Ok(())
}

/// The human-readable summary printed after an analysis: the long-term summary, then the
/// resting measurements when there are any.
pub fn summary_text(a: &Analysis, seconds: f64) -> String {
    let s = &a.summary;
    let mut out = format!(
        "record {}: {} at {} Hz, beats detected on {} ({}), analysed in {:.2} s\n",
        a.record,
        duration(s.recording_duration_s),
        a.fs,
        match a.leads.len() {
            1 => "1 lead".to_string(),
            n => format!("{n} leads"),
        },
        a.leads.join(", "),
        seconds
    );
    if let Some(start) = &s.start {
        out += &format!("start {start}\n");
    }
    out += &format!(
        "analysed {} ({:.1}% noise)\n",
        duration(s.analysed_duration_s),
        100.0 * s.noise_fraction
    );
    let [n, sv, v, f, q] = s.class_counts;
    out += &format!(
        "beats {}: N {n}  S {sv}  V {v}  F {f}  Q {q}  ({} templates)\n",
        s.total_beats,
        a.templates.len()
    );
    let bpm = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0}"));
    let at = |t: Option<f64>, clock: &Option<String>| match (clock, t) {
        (Some(c), _) => format!(" at {c}"),
        (None, Some(t)) => format!(" at {}", duration(t)),
        _ => String::new(),
    };
    out += &format!(
        "heart rate (bpm): min {}{}, mean {}, max {}{}\n",
        bpm(s.hr_min_bpm),
        at(s.hr_min_time_s, &s.hr_min_clock),
        bpm(s.hr_mean_bpm),
        bpm(s.hr_max_bpm),
        at(s.hr_max_time_s, &s.hr_max_clock)
    );
    out += &format!(
        "ectopy: VE {}, SVE {}; pauses {}{}; AF burden {:.1}% ({:.1} min)\n",
        s.ve_beats,
        s.sve_beats,
        s.pauses,
        s.longest_pause_s
            .map_or(String::new(), |p| format!(" (longest {p:.2} s)")),
        s.af_burden_percent,
        s.af_minutes
    );
    if !s.event_types.is_empty() {
        let list: Vec<String> = s
            .event_types
            .iter()
            .map(|e| format!("{:?} {}", e.kind, e.count))
            .collect();
        out += &format!("events: {}\n", list.join(", "));
    }
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
    if s.hourly.len() > 1 {
        out += "hour  beats  HR min/mean/max   VE   SVE  pauses  AF min\n";
        for r in &s.hourly {
            out += &format!(
                "{:>4}  {:>5}  {:>4}/{:>4}/{:>4}  {:>4}  {:>4}  {:>6}  {:>6.1}\n",
                r.hour,
                r.beats,
                bpm(r.hr_min_bpm),
                bpm(r.hr_mean_bpm),
                bpm(r.hr_max_bpm),
                r.ve_beats,
                r.sve_beats,
                r.pauses,
                r.af_minutes
            );
        }
    }
    if let Some(m) = &a.measurements {
        let ms = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0} ms"));
        let deg = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0}"));
        out += &format!(
            "resting ({:.1}-{:.1} s, median of {} beats): HR {} bpm, PR {}, QRS {}, QT {}, \
             QTc {} (Bazett) / {} (Fridericia), axes P {} QRS {} T {} deg\n",
            m.window_start_s,
            m.window_end_s,
            m.median_beats_used,
            bpm(m.heart_rate_bpm),
            ms(m.pr_ms),
            ms(m.qrs_ms),
            ms(m.qt_ms),
            ms(m.qtc_bazett_ms),
            ms(m.qtc_fridericia_ms),
            deg(m.p_axis_deg),
            deg(m.qrs_axis_deg),
            deg(m.t_axis_deg)
        );
        for st in m.rhythm.iter().chain(&m.statements) {
            out += &format!("  {} [{}]\n", st.text, st.rule);
        }
    }
    out
}

/// `H:MM:SS` (or `D d H:MM:SS` from one day on).
fn duration(seconds: f64) -> String {
    let t = seconds.max(0.0).round() as u64;
    let (d, h, m, s) = (t / 86_400, t / 3600 % 24, t / 60 % 60, t % 60);
    if d > 0 {
        format!("{d} d {h}:{m:02}:{s:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
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
