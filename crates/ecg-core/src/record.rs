//! [`Record`]: the result of decoding one recording, whatever its format.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::annotation::{AnnotationSet, Event};
use crate::error::{Error, Result};
use crate::signal::Signal;

/// One decoded recording: signals plus everything the file said about the patient, the
/// acquisition and its classification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// File name (single-file formats) or record name from the header (WFDB).
    pub name: String,
    /// Short format name: `wfdb`, `edf`, `bdf`, `scp`, ...
    pub format: String,
    /// Where the record came from inside an upload: the archive entry path of the file
    /// (single-file formats) or of the header (WFDB), e.g. `patient1/ecg_rest.hea`.
    /// `None` for a standalone file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Acquisition start date, when the file gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// Acquisition start time of day (sub-second precision kept), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<NaiveTime>,
    /// The signals, in file order.
    pub signals: Vec<Signal>,
    /// For discontinuous recordings (EDF+D): the contiguous stretches in order. Each
    /// signal's samples are the stretches' samples concatenated. Empty = continuous.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    /// Patient data.
    #[serde(default)]
    pub personal: PersonalData,
    /// Acquisition context: device, institution, filters, ...
    #[serde(default)]
    pub readings: ExtraReadings,
    /// Annotations, events, statements and measurements carried by the file.
    #[serde(default)]
    pub classification: Classification,
    /// Things the decoder tolerated but a user should know about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl Record {
    /// An empty record of the given name and format.
    pub fn new(name: impl Into<String>, format: impl Into<String>) -> Self {
        Record {
            name: name.into(),
            format: format.into(),
            ..Default::default()
        }
    }

    /// Duration in seconds: the end of the last segment for discontinuous records,
    /// otherwise the longest signal's `samples / fs`.
    pub fn duration_s(&self) -> f64 {
        if let Some(last) = self.segments.last() {
            return last.onset_s + last.duration_s;
        }
        self.signals
            .iter()
            .map(Signal::duration_s)
            .fold(0.0, f64::max)
    }

    /// The first signal with this label (exact match, then case-insensitive).
    pub fn signal(&self, label: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.label == label).or_else(|| {
            self.signals
                .iter()
                .find(|s| s.label.eq_ignore_ascii_case(label))
        })
    }

    /// Adds a warning.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Warning::new(message));
    }

    /// Physical values of the chosen signals over a window of sample indices, as an array
    /// of shape `(samples, signals)`. The signals must share one sampling frequency.
    pub fn physical_window(
        &self,
        range: Range<usize>,
        signals: &[usize],
    ) -> Result<ndarray::Array2<f64>> {
        let chosen = self.check_same_rate(signals)?;
        let mut out = ndarray::Array2::<f64>::zeros((range.len(), chosen.len()));
        for (j, s) in chosen.iter().enumerate() {
            let digital = s.samples.window(range.clone())?;
            for (i, &d) in digital.iter().enumerate() {
                out[(i, j)] = s.to_physical(d);
            }
        }
        Ok(out)
    }

    /// Digital samples of the chosen signals over a window, shape `(samples, signals)`.
    pub fn digital_window(
        &self,
        range: Range<usize>,
        signals: &[usize],
    ) -> Result<ndarray::Array2<i32>> {
        let chosen = self.check_same_rate(signals)?;
        let mut out = ndarray::Array2::<i32>::zeros((range.len(), chosen.len()));
        for (j, s) in chosen.iter().enumerate() {
            let digital = s.samples.window(range.clone())?;
            out.column_mut(j)
                .assign(&ndarray::ArrayView1::from(digital.as_ref()));
        }
        Ok(out)
    }

    fn check_same_rate(&self, signals: &[usize]) -> Result<Vec<&Signal>> {
        let count = self.signals.len();
        let chosen = signals
            .iter()
            .map(|&i| {
                self.signals
                    .get(i)
                    .ok_or(Error::NoSuchSignal { index: i, count })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(first) = chosen.first() {
            for (k, s) in chosen.iter().enumerate() {
                if s.fs != first.fs {
                    return Err(Error::MixedRates {
                        a: signals[0],
                        fs_a: first.fs,
                        b: signals[k],
                        fs_b: s.fs,
                    });
                }
            }
        }
        Ok(chosen)
    }
}

/// A contiguous stretch of a discontinuous recording.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Onset in seconds from the record start.
    pub onset_s: f64,
    /// Duration in seconds.
    pub duration_s: f64,
}

/// Sex of the patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Stated as unspecified/other by the file.
    Unspecified,
}

/// Patient data. Every field is optional: files carry very different subsets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonalData {
    /// Patient identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// Full name as the file gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Last (family) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// First (given) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Birth date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Age in years at acquisition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_years: Option<f64>,
    /// Height in centimetres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    /// Weight in kilograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
    /// Race/ethnicity as coded by the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<String>,
    /// Systolic blood pressure in mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systolic_mmhg: Option<f64>,
    /// Diastolic blood pressure in mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diastolic_mmhg: Option<f64>,
    /// Medications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<String>,
    /// Other patient fields, by the format's own names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}

/// Acquisition context ("extra readings"): device, institution, people, filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtraReadings {
    /// Acquiring device description (model, id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Device manufacturer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Device serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Acquiring software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Institution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician: Option<String>,
    /// Referring physician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referring_physician: Option<String>,
    /// Administration/investigation code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_code: Option<String>,
    /// Low-pass filter in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowpass_hz: Option<f64>,
    /// High-pass filter in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highpass_hz: Option<f64>,
    /// Notch filter in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notch_hz: Option<f64>,
    /// Free-text comments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// Other acquisition fields, by the format's own names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}

/// What the file says about the recording's content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Sample-anchored annotation sets (WFDB annotation files, SCP reference beats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<AnnotationSet>,
    /// Timed text events (EDF+ annotations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Interpretive statements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,
    /// Measurements (global or per lead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
}

/// An interpretive or diagnostic statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Code in the source's coding system, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Statement text.
    pub text: String,
    /// Who made it (device, analysis program, physician), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A measurement: global (`lead` = None) or per lead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Name (`PR`, `QRS`, `QT`, `P axis`, `R amplitude`, ...).
    pub name: String,
    /// Lead label for per-lead measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Value.
    pub value: f64,
    /// Unit (`ms`, `deg`, `uV`, `bpm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A problem a decoder tolerated (lenient CRC, record count corrected, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Warning {
    /// Human-readable message with its context.
    pub message: String,
}

impl Warning {
    /// A warning with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Warning {
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Samples, Scale};

    fn record() -> Record {
        let mut r = Record::new("t", "test");
        let mut a = Signal::new("I", 100.0, "mV", Samples::from_vec(vec![0, 10, 20, 30]));
        a.scale = Scale::Gain {
            gain: 10.0,
            baseline: 0.0,
        };
        let b = Signal::new("II", 100.0, "mV", Samples::from_vec(vec![5, 6, 7, 8]));
        let c = Signal::new("HR", 1.0, "bpm", Samples::from_vec(vec![60]));
        r.signals = vec![a, b, c];
        r
    }

    #[test]
    fn windows_have_samples_by_signals_shape() {
        let r = record();
        let p = r.physical_window(1..3, &[0, 1]).unwrap();
        assert_eq!(p.shape(), &[2, 2]);
        assert_eq!(p[(0, 0)], 1.0);
        assert_eq!(p[(1, 1)], 7.0);
        let d = r.digital_window(0..4, &[1]).unwrap();
        assert_eq!(d.column(0).to_vec(), vec![5, 6, 7, 8]);
        assert!(matches!(
            r.physical_window(0..1, &[0, 2]),
            Err(Error::MixedRates { .. })
        ));
        assert!(matches!(
            r.physical_window(0..1, &[9]),
            Err(Error::NoSuchSignal { .. })
        ));
        assert!(matches!(
            r.physical_window(0..9, &[0]),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn duration_and_lookup() {
        let mut r = record();
        assert_eq!(r.duration_s(), 1.0);
        assert_eq!(r.signal("ii").unwrap().label, "II");
        r.segments = vec![
            Segment {
                onset_s: 0.0,
                duration_s: 30.0,
            },
            Segment {
                onset_s: 45.0,
                duration_s: 30.0,
            },
        ];
        assert_eq!(r.duration_s(), 75.0);
    }

    #[test]
    fn json_round_trip() {
        let mut r = record();
        r.personal.sex = Some(Sex::Female);
        r.start_date = NaiveDate::from_ymd_opt(2024, 2, 29);
        r.warn("record count corrected");
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.contains(r#""sex":"female""#), "{j}");
        assert!(
            j.contains(r#""warnings":["record count corrected"]"#),
            "{j}"
        );
        let back: Record = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
    }
}
