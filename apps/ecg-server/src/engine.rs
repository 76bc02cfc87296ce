//! The two library steps the server drives, each behind a small trait so the server holds
//! no ECG logic: [`AnalysisEngine`] (records -> structured result, `ecg-analysis`) and
//! [`ReportRenderer`] (records + final result -> PDF, `ecg-report`).

use ecg_core::Record;
use serde::{Deserialize, Serialize};

/// What kind of analysis a task asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    /// Resting 12-lead ECG.
    Resting,
    /// Long-term (Holter) recording.
    LongTerm,
}

impl AnalysisKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisKind::Resting => "resting",
            AnalysisKind::LongTerm => "long_term",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "resting" => Some(AnalysisKind::Resting),
            "long_term" => Some(AnalysisKind::LongTerm),
            _ => None,
        }
    }
}

/// Why an engine step failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// This build has no implementation of the step.
    #[error("{0} is not available in this build")]
    Unavailable(&'static str),
    /// The library refused the input (message names the record and the reason).
    #[error("{0}")]
    Failed(String),
}

/// Records -> structured analysis result.
pub trait AnalysisEngine: Send + Sync + 'static {
    /// Name and version, recorded in every result.
    fn name(&self) -> String;

    /// Analyses the records. `progress` takes the fraction done (0.0-1.0) and may be called
    /// from several threads. The result is a JSON object that contains `total_beats`.
    fn analyse(
        &self,
        records: &[Record],
        kind: AnalysisKind,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<serde_json::Value, EngineError>;
}

/// Records + final result -> PDF bytes.
pub trait ReportRenderer: Send + Sync + 'static {
    /// Renders the report.
    fn render(
        &self,
        records: &[Record],
        result: &serde_json::Value,
    ) -> Result<Vec<u8>, EngineError>;
}

/// The analysis engine of this build: `ecg-analysis`.
#[derive(Debug, Default)]
pub struct EcgAnalysisEngine;

impl AnalysisEngine for EcgAnalysisEngine {
    fn name(&self) -> String {
        format!("ecg-analysis {}", env!("CARGO_PKG_VERSION"))
    }

    fn analyse(
        &self,
        records: &[Record],
        _kind: AnalysisKind,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<serde_json::Value, EngineError> {
        // The engine has one configuration for resting and long-term recordings today; the
        // kind is recorded in the result by the caller.
        let cfg = ecg_analysis::Config::default();
        let n = records.len().max(1) as f64;
        let mut total_beats = 0usize;
        let mut per_record = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            let report = |p: ecg_analysis::Progress| {
                let within = match p.stage {
                    ecg_analysis::Stage::Detection if p.total > 0 => {
                        0.8 * p.done as f64 / p.total as f64
                    }
                    ecg_analysis::Stage::Detection => 0.0,
                    ecg_analysis::Stage::Classification => 0.85,
                    ecg_analysis::Stage::Rhythm => 0.95,
                };
                progress((i as f64 + within) / n);
            };
            let analysis = ecg_analysis::analyze_with_progress(record, &cfg, &report)
                .map_err(|e| EngineError::Failed(format!("record {:?}: {e}", record.name)))?;
            total_beats += analysis.beats.len();
            per_record.push(
                serde_json::to_value(&analysis)
                    .map_err(|e| EngineError::Failed(format!("serialising the analysis: {e}")))?,
            );
        }
        progress(1.0);
        Ok(serde_json::json!({
            "total_beats": total_beats,
            "records": per_record,
        }))
    }
}

/// A report renderer that has nothing to render with: every render answers
/// [`EngineError::Unavailable`] (for builds or tests without PDF output).
#[derive(Debug, Default)]
pub struct NoReportRenderer;

impl ReportRenderer for NoReportRenderer {
    fn render(
        &self,
        _records: &[Record],
        _result: &serde_json::Value,
    ) -> Result<Vec<u8>, EngineError> {
        Err(EngineError::Unavailable("report generation"))
    }
}

/// The report renderer of this build: `ecg-report`. It renders the task's first record:
/// the resting 12-lead report for `resting` tasks, the long-term report otherwise, with
/// the result's (reviewed) analysis, statements, conclusion and approval, and the
/// `language`, `paper`, `speed`, `gain` and `layout` of the task's `report` metadata.
#[derive(Debug, Default)]
pub struct EcgReportRenderer;

fn parse_opt<T: std::str::FromStr<Err = String>>(
    report: &serde_json::Value,
    key: &str,
) -> Result<Option<T>, EngineError> {
    match report.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.parse::<T>()
                .map(Some)
                .map_err(|e| EngineError::Failed(format!("report.{key}: {e}")))
        }
    }
}

impl ReportRenderer for EcgReportRenderer {
    fn render(
        &self,
        records: &[Record],
        result: &serde_json::Value,
    ) -> Result<Vec<u8>, EngineError> {
        let record = records
            .first()
            .ok_or_else(|| EngineError::Failed("the task has no record".into()))?;
        let analysis: Option<ecg_analysis::Analysis> = match result["analysis"]["records"].get(0) {
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                EngineError::Failed(format!("the analysis is not an ecg-analysis result: {e}"))
            })?),
            None => None,
        };
        let mut input = ecg_report::ReportInput::new(record, analysis.as_ref());
        let review = &result["review"];
        let statements = crate::review::statement_texts(review);
        if !statements.is_empty() {
            input.statements = Some(statements);
        }
        input.conclusion = review["conclusion"]
            .as_str()
            .filter(|c| !c.trim().is_empty())
            .map(str::to_owned);
        if let (Some(by), Some(at)) = (
            result["approved_by"].as_str(),
            result["approved_at"].as_str(),
        ) {
            let at = ecg_core::chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|e| EngineError::Failed(format!("approved_at {at:?}: {e}")))?;
            // the actor is "Name (tenant, key ...)": the report prints the name
            let physician = by.split(" (").next().unwrap_or(by).trim().to_owned();
            input.approval = Some(ecg_report::Approval { physician, at });
            input.generated_at = Some(at.naive_utc());
        }
        input.software = format!("ecg-server {}", env!("CARGO_PKG_VERSION"));
        let report = &result["report"];
        let o = &mut input.options;
        if let Some(v) = parse_opt(report, "language")? {
            o.language = v;
        }
        if let Some(v) = parse_opt(report, "paper")? {
            o.paper = v;
        }
        if let Some(v) = parse_opt(report, "speed")? {
            o.speed = v;
        }
        if let Some(v) = parse_opt(report, "gain")? {
            o.gain = v;
        }
        if let Some(v) = parse_opt(report, "layout")? {
            o.layout = v;
        }
        let kind = match result["kind"].as_str() {
            Some("resting") => ecg_report::ReportKind::Resting,
            _ => ecg_report::ReportKind::LongTerm,
        };
        ecg_report::render(kind, &input)
            .map_err(|e| EngineError::Failed(format!("record {:?}: {e}", record.name)))
    }
}
