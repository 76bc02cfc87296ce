//! `ecg report RECORD --out report.pdf`: the PDF report of one recording.
//!
//! The recording is decoded, analysed with `ecg-analysis`, and rendered with `ecg-report`:
//! the resting 12-lead report for recordings up to 60 s, the long-term (Holter) report for
//! longer ones (`--kind` chooses explicitly).

use std::path::PathBuf;

use anyhow::{Context, Result};
use ecg_core::chrono;
use ecg_report::{
    Approval, Gain, Language, LeadLayout, Logo, PaperSize, ReportInput, ReportKind, Speed,
};

/// Which report `--kind` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// Resting up to 60 s, long-term above.
    Auto,
    /// Resting 12-lead report.
    Resting,
    /// Long-term (Holter) report.
    LongTerm,
}

/// Arguments of `ecg report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The recording: a WFDB record (`data/100` or `data/100.hea`), an EDF/BDF/SCP file or
    /// an archive.
    pub input: PathBuf,
    /// The PDF file to write.
    #[arg(long, short, value_name = "PDF")]
    pub out: PathBuf,
    /// Which report.
    #[arg(long, value_enum, default_value = "auto")]
    pub kind: KindArg,
    /// Which record of the input, when it holds several (0-based).
    #[arg(long, default_value_t = 0)]
    pub record: usize,
    /// Paper size: a4 or letter.
    #[arg(long, default_value = "a4")]
    pub paper: PaperSize,
    /// Paper speed in mm/s: 25 or 50.
    #[arg(long, default_value = "25")]
    pub speed: Speed,
    /// Gain in mm/mV: 5, 10 or 20.
    #[arg(long, default_value = "10")]
    pub gain: Gain,
    /// Resting lead layout: 3x4, 3x4+1, 6x2 or 12x1.
    #[arg(long, default_value = "3x4+1")]
    pub layout: LeadLayout,
    /// Rhythm strip lead(s) of the 3x4+1 layout (repeat for up to three).
    #[arg(long = "rhythm", value_name = "LEAD")]
    pub rhythm: Vec<String>,
    /// Language of the labels: en, de or fr.
    #[arg(long, default_value = "en")]
    pub language: Language,
    /// Logo printed top right (PNG or JPEG).
    #[arg(long, value_name = "FILE")]
    pub logo: Option<PathBuf>,
    /// Display high-pass in Hz (0 = off).
    #[arg(long, default_value_t = 0.5)]
    pub highpass: f64,
    /// Display low-pass in Hz (0 = off).
    #[arg(long, default_value_t = 150.0)]
    pub lowpass: f64,
    /// Mains notch in Hz (50 or 60; off when not given).
    #[arg(long)]
    pub notch: Option<f64>,
    /// Patient name printed instead of the file's.
    #[arg(long)]
    pub name: Option<String>,
    /// Patient id printed instead of the file's.
    #[arg(long)]
    pub patient_id: Option<String>,
    /// Referring physician.
    #[arg(long)]
    pub referring: Option<String>,
    /// Institution.
    #[arg(long)]
    pub institution: Option<String>,
    /// Interpretive statement (repeat; replaces the file's statements).
    #[arg(long = "statement", value_name = "TEXT")]
    pub statements: Vec<String>,
    /// The reviewer's conclusion.
    #[arg(long)]
    pub conclusion: Option<String>,
    /// Print the report as confirmed by this physician (now).
    #[arg(long, value_name = "NAME")]
    pub approved_by: Option<String>,
    /// Long-term report: most event strips.
    #[arg(long, default_value_t = 30)]
    pub max_strips: usize,
    /// Do not analyse: waveforms and the file's own measurements only.
    #[arg(long)]
    pub no_analysis: bool,
    /// Decoder options.
    #[command(flatten)]
    pub decode: crate::input::InputArgs,
}

/// Runs `ecg report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let record =
        &crate::input::decode_record(&args.input, &args.decode.decode_options(), args.record)?;
    let analysis = if args.no_analysis {
        None
    } else {
        Some(
            ecg_analysis::analyze(record, &ecg_analysis::Config::default())
                .with_context(|| format!("cannot analyse record {}", record.name))?,
        )
    };
    let mut input = ReportInput::new(record, analysis.as_ref());
    let o = &mut input.options;
    o.paper = args.paper;
    o.speed = args.speed;
    o.gain = args.gain;
    o.layout = args.layout;
    if !args.rhythm.is_empty() {
        o.rhythm_leads = args.rhythm.clone();
    }
    o.language = args.language;
    o.max_strips = args.max_strips;
    o.filter.highpass_hz = (args.highpass > 0.0).then_some(args.highpass);
    o.filter.lowpass_hz = (args.lowpass > 0.0).then_some(args.lowpass);
    o.filter.notch_hz = args.notch;
    if let Some(path) = &args.logo {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        o.logo = Some(Logo { bytes });
    }
    input.details.patient_name = args.name.clone();
    input.details.patient_id = args.patient_id.clone();
    input.details.referring_physician = args.referring.clone();
    input.details.institution = args.institution.clone();
    if !args.statements.is_empty() {
        input.statements = Some(args.statements.clone());
    }
    input.conclusion = args.conclusion.clone();
    input.approval = args.approved_by.as_ref().map(|name| Approval {
        physician: name.clone(),
        at: chrono::Local::now().fixed_offset(),
    });
    input.generated_at = Some(chrono::Local::now().naive_local());
    let kind = match args.kind {
        KindArg::Auto => ReportKind::for_record(record),
        KindArg::Resting => ReportKind::Resting,
        KindArg::LongTerm => ReportKind::LongTerm,
    };
    let pdf = ecg_report::render(kind, &input)
        .with_context(|| format!("cannot render the report of record {}", record.name))?;
    std::fs::write(&args.out, &pdf)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "{}: {} report, {} bytes",
        args.out.display(),
        match kind {
            ReportKind::Resting => "resting 12-lead",
            ReportKind::LongTerm => "long-term",
        },
        pdf.len()
    );
    Ok(())
}
