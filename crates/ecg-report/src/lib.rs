//! PDF reports for ECG recordings, written with lopdf: the resting 12-lead report and the
//! long-term (Holter) report.
//!
//! - **Resting** ([`render_resting`]): one landscape page (A4 or US Letter) with the patient
//!   and acquisition header, global measurements, interpretive statements, the leads in a
//!   3x4 (+ rhythm strips), 6x2 or 12x1 layout with a 1 mV calibration pulse per row, lead
//!   labels and column markers, speed/gain/filter settings, and a footer with the software
//!   version, the confirmation state and page numbers.
//! - **Long-term** ([`render_long_term`]): portrait pages with the summary (durations,
//!   beats, heart rate min/mean/max with times, ectopy, pauses, AF burden, HRV, the
//!   reviewer's conclusion), the heart-rate trend (min/mean/max per 5 min), the hourly table,
//!   the event list and a strip for each significant event with the beat labels above the
//!   beats.
//!
//! Waveforms are vector paths on the standard grid (1 mm and 5 mm lines); the page is in
//! millimetres (1 mm = 72/25.4 pt), so it is exact when printed at 100 %. Text is in
//! embedded, subset TrueType fonts with ToUnicode maps: DejaVu Sans is compiled in (Latin,
//! Greek, Cyrillic); CJK and other scripts come from fallback fonts read at run time
//! ([`FontOptions`], default: Debian's `fonts-droid-fallback`). A character no font has is
//! an [`Error::MissingGlyph`], never a silently wrong name.
//!
//! ```
//! use ecg_core::{Record, Samples, Scale, Signal};
//! use ecg_report::{render_resting, LeadLayout, ReportInput};
//!
//! let mut record = Record::new("demo", "synthetic");
//! record.personal.name = Some("Zoë Ωμέγα".into());
//! for lead in ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"] {
//!     let x: Vec<i32> = (0..5000).map(|i| if i % 500 < 20 { 1000 } else { 0 }).collect();
//!     let mut s = Signal::new(lead, 500.0, "uV", Samples::from_vec(x));
//!     s.scale = Scale::Gain { gain: 1.0, baseline: 0.0 };
//!     record.signals.push(s);
//! }
//! let mut input = ReportInput::new(&record, None);
//! input.options.layout = LeadLayout::SixByTwo;
//! let pdf = render_resting(&input)?;
//! assert!(pdf.starts_with(b"%PDF-1.7"));
//! # Ok::<(), ecg_report::Error>(())
//! ```

pub mod error;
mod font;
mod frame;
mod image;
pub mod input;
mod labels;
pub mod leads;
mod long_term;
pub mod options;
mod paper;
mod pdf;
mod resting;
mod trend;

pub use error::{Error, Result};
pub use input::{Approval, ReportDetails, ReportInput, RestingMeasurements, StripRequest};
pub use options::{
    DEFAULT_FALLBACK_FONTS, DisplayFilter, FontOptions, Gain, Language, LeadLayout, Logo,
    PaperSize, ReportOptions, Speed,
};
pub use resting::RestingGeometry;

/// The two kinds of report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Resting 12-lead ECG.
    Resting,
    /// Long-term (Holter) recording.
    LongTerm,
}

impl ReportKind {
    /// Recordings longer than this many seconds get the long-term report by default.
    pub const RESTING_MAX_S: f64 = 60.0;

    /// The usual kind for a record: resting up to [`Self::RESTING_MAX_S`], long-term above.
    pub fn for_record(record: &ecg_core::Record) -> ReportKind {
        if record.duration_s() > Self::RESTING_MAX_S {
            ReportKind::LongTerm
        } else {
            ReportKind::Resting
        }
    }
}

/// Renders the resting 12-lead report (one page) as PDF bytes.
pub fn render_resting(input: &ReportInput<'_>) -> Result<Vec<u8>> {
    resting::render(input)
}

/// Renders the long-term (Holter) report as PDF bytes.
pub fn render_long_term(input: &ReportInput<'_>) -> Result<Vec<u8>> {
    long_term::render(input)
}

/// Renders the report of the given kind.
pub fn render(kind: ReportKind, input: &ReportInput<'_>) -> Result<Vec<u8>> {
    match kind {
        ReportKind::Resting => render_resting(input),
        ReportKind::LongTerm => render_long_term(input),
    }
}
