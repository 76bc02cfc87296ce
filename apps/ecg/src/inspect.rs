//! `ecg inspect`: what a file or archive holds, as text or as the JSON contract.

use std::path::PathBuf;

use anyhow::Result;
use ecg_core::{Record, Signal};
use serde_json::{Map, Value, json};

use crate::input;

/// Arguments of `ecg inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Files to inspect: an archive, a single ECG file (EDF, SCP, ...), a WFDB header
    /// (`100.hea`) or a WFDB record path without extension (`data/100`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object (the stable contract of docs/CLI.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute per-signal statistics (sample count, digital min/max/sum, physical sum).
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub input: input::InputArgs,
}

/// Runs `ecg inspect`.
pub fn run(args: &InspectArgs) -> Result<()> {
    let opts = args.input.decode_options();
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    for path in &args.paths {
        let decoded = input::decode(path, &opts)?;
        records.extend(decoded.records);
        skipped.extend(decoded.skipped);
    }
    if args.json {
        let records = records
            .iter()
            .map(|r| record_json(r, args.stats))
            .collect::<Result<Vec<_>>>()?;
        let skipped: Vec<Value> = skipped
            .iter()
            .map(|s| json!({"entry": s.entry, "reason": s.reason}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"records": records, "skipped": skipped}))?
        );
        return Ok(());
    }
    for r in &records {
        print_record(r, args.stats)?;
    }
    if !skipped.is_empty() {
        println!("Skipped entries:");
        for s in &skipped {
            println!("  {}: {}", s.entry, s.reason);
        }
    }
    Ok(())
}

/// Rounds for printing: keeps JSON free of float noise without losing what references use.
fn round(x: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (x * m).round() / m
}

fn record_json(r: &Record, stats: bool) -> Result<Value> {
    let signals = r
        .signals
        .iter()
        .map(|s| signal_json(s, stats))
        .collect::<Result<Vec<_>>>()?;
    let mut obj = Map::new();
    obj.insert("name".into(), json!(r.name));
    obj.insert("format".into(), json!(r.format));
    if let Some(source) = &r.source {
        obj.insert("source".into(), json!(source));
    }
    obj.insert("duration_s".into(), json!(round(r.duration_s(), 3)));
    obj.insert("signals".into(), Value::Array(signals));
    if let Some(d) = r.start_date {
        obj.insert("start_date".into(), json!(d.to_string()));
    }
    if let Some(t) = r.start_time {
        obj.insert("start_time".into(), json!(t.to_string()));
    }
    if !r.segments.is_empty() {
        obj.insert("segments".into(), serde_json::to_value(&r.segments)?);
    }
    obj.insert("personal".into(), serde_json::to_value(&r.personal)?);
    obj.insert("readings".into(), serde_json::to_value(&r.readings)?);
    let c = &r.classification;
    let sets: Vec<Value> = c
        .annotations
        .iter()
        .map(|a| json!({"annotator": a.annotator, "count": a.annotations.len()}))
        .collect();
    obj.insert(
        "classification".into(),
        json!({
            "annotation_sets": sets,
            "events": c.events,
            "statements": c.statements,
            "measurements": c.measurements,
        }),
    );
    obj.insert("warnings".into(), serde_json::to_value(&r.warnings)?);
    Ok(Value::Object(obj))
}

fn signal_json(s: &Signal, stats: bool) -> Result<Value> {
    let mut obj = Map::new();
    obj.insert("label".into(), json!(s.label));
    obj.insert("sampling_frequency".into(), json!(s.fs));
    obj.insert("unit".into(), json!(s.unit));
    obj.insert("samples".into(), json!(s.len()));
    obj.insert("gain".into(), json!(s.scale.gain()));
    if let Some(storage) = &s.meta.storage {
        obj.insert("storage".into(), json!(storage));
    }
    if stats {
        let st = s.stats()?;
        obj.insert("digital_min".into(), json!(st.digital_min));
        obj.insert("digital_max".into(), json!(st.digital_max));
        obj.insert("digital_sum".into(), json!(st.digital_sum));
        obj.insert("physical_sum".into(), json!(round(st.physical_sum, 6)));
        obj.insert("missing_samples".into(), json!(st.missing));
    }
    Ok(Value::Object(obj))
}

fn print_record(r: &Record, stats: bool) -> Result<()> {
    match &r.source {
        Some(source) => println!("Record {} ({}, from {source})", r.name, r.format),
        None => println!("Record {} ({})", r.name, r.format),
    }
    let mut when = String::new();
    if let Some(d) = r.start_date {
        when.push_str(&d.to_string());
        when.push(' ');
    }
    if let Some(t) = r.start_time {
        when.push_str(&t.to_string());
    }
    if !when.is_empty() {
        println!("  start:    {}", when.trim());
    }
    println!("  duration: {:.3} s", r.duration_s());
    if r.segments.len() > 1 {
        println!("  segments: {} (discontinuous)", r.segments.len());
    }
    let p = &r.personal;
    let who: Vec<String> = [
        p.patient_id.as_ref().map(|v| format!("id {v}")),
        p.name.as_ref().map(|v| format!("name {v}")),
        p.sex.map(|v| format!("sex {v:?}")),
        p.birth_date.map(|v| format!("born {v}")),
        p.age_years.map(|v| format!("age {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !who.is_empty() {
        println!("  patient:  {}", who.join(", "));
    }
    if let Some(dev) = &r.readings.device {
        println!("  device:   {dev}");
    }
    println!("  signals:  {}", r.signals.len());
    let width = r
        .signals
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    for (i, s) in r.signals.iter().enumerate() {
        print!(
            "    {i:>2} {:<width$} {:>9.3} Hz {:>10} samples  gain {:.6} /{}",
            s.label,
            s.fs,
            s.len(),
            s.scale.gain(),
            if s.unit.is_empty() { "?" } else { &s.unit }
        );
        if stats {
            let st = s.stats()?;
            print!(
                "  min {} max {} sum {} physical sum {:.6}",
                st.digital_min.map_or("-".into(), |v| v.to_string()),
                st.digital_max.map_or("-".into(), |v| v.to_string()),
                st.digital_sum,
                st.physical_sum
            );
            if st.missing > 0 {
                print!(" missing {}", st.missing);
            }
        }
        println!();
    }
    let c = &r.classification;
    for a in &c.annotations {
        println!("  annotations {}: {}", a.annotator, a.annotations.len());
    }
    if !c.events.is_empty() {
        println!("  events: {}", c.events.len());
    }
    for st in &c.statements {
        println!("  statement: {}", st.text);
    }
    if !c.measurements.is_empty() {
        println!("  measurements: {}", c.measurements.len());
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    Ok(())
}
