//! What a report is made from: [`ReportInput`].

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use ecg_analysis::Analysis;
use ecg_core::{Record, Sex};
use serde::{Deserialize, Serialize};

use crate::options::ReportOptions;

/// Everything a report shows: the record (signals, patient, acquisition, statements), the
/// analysis result, and what people added (corrected patient data, reviewed statements, the
/// conclusion, the approval).
///
/// Built with [`ReportInput::new`] and then adjusted field by field; the struct is
/// `#[non_exhaustive]` so that fields can be added without breaking callers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReportInput<'a> {
    /// The recording.
    pub record: &'a Record,
    /// The analysis of the recording (beats, episodes, HRV, summary). Without it the resting
    /// report still draws the waveforms and the record's own measurements, and the
    /// long-term report shows "—" for every derived number.
    pub analysis: Option<&'a Analysis>,
    /// Patient and acquisition details that replace what the file said (the server's task
    /// metadata). Fields left `None` fall back to the record.
    pub details: ReportDetails,
    /// Resting measurements that replace the derived ones (a physician's correction, or
    /// values from a newer analysis). Fields left `None` fall back to the analysis, then to
    /// the record's own measurements.
    pub measurements: RestingMeasurements,
    /// Reviewed interpretive statements; `None` prints the record's statements.
    pub statements: Option<Vec<String>>,
    /// The reviewer's conclusion (long-term report; printed on the resting report too when
    /// given).
    pub conclusion: Option<String>,
    /// Who approved the report and when; `None` prints "unconfirmed".
    pub approval: Option<Approval>,
    /// Long-term report: the strips to print instead of the automatic selection.
    pub strips: Option<Vec<StripRequest>>,
    /// Software name and version printed in the footer.
    pub software: String,
    /// When the report was made (printed in the footer and the PDF metadata); `None` leaves
    /// it out, which keeps the output byte-for-byte reproducible.
    pub generated_at: Option<NaiveDateTime>,
    /// How the report looks.
    pub options: ReportOptions,
}

impl<'a> ReportInput<'a> {
    /// A report of `record` (and its analysis, when there is one) with default options.
    pub fn new(record: &'a Record, analysis: Option<&'a Analysis>) -> Self {
        ReportInput {
            record,
            analysis,
            details: ReportDetails::default(),
            measurements: RestingMeasurements::default(),
            statements: None,
            conclusion: None,
            approval: None,
            strips: None,
            software: format!("ecg-report {}", env!("CARGO_PKG_VERSION")),
            generated_at: None,
            options: ReportOptions::default(),
        }
    }
}

/// Patient and acquisition details that override the record's (all optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReportDetails {
    /// Patient name as printed ("Last, First").
    pub patient_name: Option<String>,
    /// Patient identifier.
    pub patient_id: Option<String>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Age in years.
    pub age_years: Option<f64>,
    /// Acquisition date and time.
    pub acquired_at: Option<NaiveDateTime>,
    /// Institution.
    pub institution: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Referring physician.
    pub referring_physician: Option<String>,
    /// Acquiring device.
    pub device: Option<String>,
    /// Technician.
    pub technician: Option<String>,
    /// Indication / reason for the recording.
    pub indication: Option<String>,
}

/// Resting 12-lead global measurements. Every field is optional: a missing value prints
/// as "—", never as an invented number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RestingMeasurements {
    /// Ventricular rate (bpm).
    pub hr_bpm: Option<f64>,
    /// Mean RR interval (ms).
    pub rr_ms: Option<f64>,
    /// PR interval (ms).
    pub pr_ms: Option<f64>,
    /// QRS duration (ms).
    pub qrs_ms: Option<f64>,
    /// QT interval (ms).
    pub qt_ms: Option<f64>,
    /// Heart-rate-corrected QT (ms).
    pub qtc_ms: Option<f64>,
    /// P axis (degrees).
    pub p_axis_deg: Option<f64>,
    /// QRS axis (degrees).
    pub qrs_axis_deg: Option<f64>,
    /// T axis (degrees).
    pub t_axis_deg: Option<f64>,
}

impl RestingMeasurements {
    /// Each field of `self`, or `other`'s where `self` has none.
    pub fn or(self, other: RestingMeasurements) -> RestingMeasurements {
        RestingMeasurements {
            hr_bpm: self.hr_bpm.or(other.hr_bpm),
            rr_ms: self.rr_ms.or(other.rr_ms),
            pr_ms: self.pr_ms.or(other.pr_ms),
            qrs_ms: self.qrs_ms.or(other.qrs_ms),
            qt_ms: self.qt_ms.or(other.qt_ms),
            qtc_ms: self.qtc_ms.or(other.qtc_ms),
            p_axis_deg: self.p_axis_deg.or(other.p_axis_deg),
            qrs_axis_deg: self.qrs_axis_deg.or(other.qrs_axis_deg),
            t_axis_deg: self.t_axis_deg.or(other.t_axis_deg),
        }
    }
}

/// The approval of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// The approving physician's name.
    pub physician: String,
    /// When the report was approved.
    pub at: DateTime<FixedOffset>,
}

/// One strip of the long-term report, chosen by a reviewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StripRequest {
    /// Centre of the strip, seconds from the start of the recording.
    pub center_s: f64,
    /// Title printed above the strip.
    pub title: String,
}
