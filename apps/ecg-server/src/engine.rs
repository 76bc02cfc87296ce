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
        _records: &[Record],
        _kind: AnalysisKind,
        _progress: &(dyn Fn(f64) + Sync),
    ) -> Result<serde_json::Value, EngineError> {
        Err(EngineError::Unavailable(
            "ECG analysis (the ecg-analysis engine has not landed yet)",
        ))
    }
}

/// The report renderer of this build: none yet (`ecg-report` has not landed); every
/// render answers [`EngineError::Unavailable`].
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
