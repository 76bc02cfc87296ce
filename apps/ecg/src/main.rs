//! `ecg`: the command-line tool of the ECG workspace.
//!
//! See `docs/CLI.md` for every subcommand and the stable JSON contracts.

mod analyze;
mod annotations;
mod eval;
mod export;
mod input;
mod inspect;
mod report;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Inspect, convert and analyse ECG recordings (WFDB, EDF/BDF, SCP-ECG, archives).
#[derive(Debug, Parser)]
#[command(name = "ecg", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what a file or archive holds (records, signals, patient, annotations).
    Inspect(inspect::InspectArgs),
    /// Write a record as CSV (physical units), WFDB or EDF+.
    Export(export::ExportArgs),
    /// List or summarise a WFDB annotation file.
    Annotations(annotations::AnnotationsArgs),
    /// Analyse a recording: beats, AAMI classes, rhythm episodes, HRV.
    Analyze(analyze::AnalyzeArgs),
    /// Compare test annotations with reference annotations (bxb / EC57 style).
    Eval(eval::EvalArgs),
    /// Write the PDF report of a recording (resting 12-lead or long-term).
    Report(report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Export(args) => export::run(args),
        Command::Annotations(args) => annotations::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecg: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
