//! Streaming decode of an HL7 aECG document into an [`ecg_core::Record`].

use std::borrow::Cow;
use std::path::Path;

use ecg_core::chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use ecg_core::{
    Annotation, AnnotationCode, AnnotationSet, DecodeOptions, Event, Measurement, Record, Samples,
    Scale, Sex, SharedBytes, Signal, Statement,
};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};

use crate::error::{Error, Result};
use crate::leads::lead_label;

/// `meta.fields` key of a signal: `rhythm` or `derived` (median/representative beat).
pub const SERIES: &str = "series";
/// `meta.fields` key of a signal: the series code (`RHYTHM`, `REPRESENTATIVE_BEAT`, ...).
pub const SERIES_CODE: &str = "series_code";
/// `meta.fields` key of a signal: the lead code as written (`MDC_ECG_LEAD_II`).
pub const LEAD_CODE: &str = "lead_code";
/// `meta.fields` key of a signal: the SLIST origin and scale as written (`value unit`).
pub const ORIGIN: &str = "origin";
/// See [`ORIGIN`].
pub const SCALE: &str = "scale";
/// Suffix of the labels of derived (median) waveforms: `II median`.
pub const MEDIAN_SUFFIX: &str = " median";
/// Annotator name of the beat annotations (`MDC_ECG_BEAT_*`) of the rhythm series.
pub const ANNOTATOR: &str = "aecg";

/// One `<sequence>` being read.
#[derive(Default)]
struct Sequence {
    code: String,
    kind: String,
    head: Option<String>,
    head_unit: String,
    increment: Option<(String, String)>,
    origin: (f64, String),
    scale: Option<(f64, String, String)>,
    digits: Vec<i32>,
    has_digits: bool,
}

/// One `<annotation>` being read (annotations nest).
#[derive(Default)]
struct AnnotationBuild {
    code: Option<String>,
    value_number: Option<(f64, Option<String>)>,
    value_text: Option<String>,
    value_code: Option<String>,
    boundary_code: Option<String>,
    lead: Option<String>,
    low: Option<(String, String)>,
    high: Option<(String, String)>,
    derived: bool,
}

/// Text content being collected for the current element.
#[derive(Clone, Copy, PartialEq)]
enum Capture {
    None,
    Digits,
    PatientName,
    Given,
    Family,
    Model,
    Software,
    Manufacturer,
    AnnotationText,
    TrialTitle,
}

/// A time of an annotation boundary, resolved once the series start is known.
enum TimePoint {
    Absolute(NaiveDateTime),
    Relative(f64),
}

struct PendingEvent {
    onset: TimePoint,
    end: Option<TimePoint>,
    text: String,
    beat: Option<AnnotationCode>,
    derived: bool,
}

struct Decoder<'o> {
    opts: &'o DecodeOptions,
    path: Vec<Vec<u8>>,
    capture: Capture,
    capture_depth: usize,
    text: String,
    sequence: Option<Sequence>,
    set: Vec<Sequence>,
    set_derived: bool,
    series_code: Option<String>,
    derived_code: Option<String>,
    record: Record,
    total_samples: u64,
    rhythm_start: Option<NaiveDateTime>,
    rhythm_fs: Option<f64>,
    document_start: Option<NaiveDateTime>,
    annotations: Vec<AnnotationBuild>,
    events: Vec<PendingEvent>,
    given: Vec<String>,
    family: Vec<String>,
    filter: Option<String>,
}

/// Parses an HL7 TS (`YYYYMMDD[HH[MM[SS[.ffff]]]][+ZZzz]`), ignoring the time zone.
pub(crate) fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let main = s.split(['+', '-']).next()?;
    let (whole, frac) = match main.split_once('.') {
        Some((w, f)) => (w, f),
        None => (main, ""),
    };
    if whole.len() < 8 || whole.len() > 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n =
        |a: usize, b: usize| -> Option<u32> { whole.get(a..b).map_or(Some(0), |t| t.parse().ok()) };
    let date = NaiveDate::from_ymd_opt(whole[..4].parse().ok()?, n(4, 6)?, n(6, 8)?)?;
    let mut nanos = 0u32;
    if !frac.is_empty() {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    let time = NaiveTime::from_hms_nano_opt(n(8, 10)?, n(10, 12)?, n(12, 14)?, nanos)?;
    Some(date.and_time(time))
}

fn seconds(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "s" | "" | "sec" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "min" => 60.0,
        _ => return None,
    };
    Some(value * factor)
}

/// The sampling frequency of an increment written with limited decimals: the nearest
/// whole rate when it is within 0.01 % and its period, printed with as many decimals as
/// the increment, is the increment (`0.002778 s` -> 360 Hz), else `1 / increment`.
fn frequency(increment_text: &str, unit: &str) -> Option<f64> {
    let value: f64 = increment_text.trim().parse().ok()?;
    let inc = seconds(value, unit)?;
    if !(inc.is_finite() && inc > 0.0) {
        return None;
    }
    let fs = 1.0 / inc;
    let whole = fs.round();
    if whole >= 1.0 && (fs - whole).abs() <= 1e-4 * whole {
        let decimals = increment_text
            .trim()
            .split_once('.')
            .map_or(0, |(_, f)| f.len());
        let period = seconds(1.0, unit).map(|f| 1.0 / whole / f)?;
        if format!("{period:.decimals$}").parse::<f64>().ok() == Some(value) {
            return Some(whole);
        }
    }
    Some(fs)
}

fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !text.contains('&') {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find(';') {
            Some(j) => {
                out.push_str(&entity(&rest[1..j]));
                rest = &rest[j + 1..];
            }
            None => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Cow<'static, str> {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = name
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()));
            match code.and_then(char::from_u32) {
                Some(c) => c.to_string().into(),
                None => format!("&{name};").into(),
            }
        }
    }
}

/// The attribute `name` (local name, namespace prefix ignored), unescaped.
fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref().as_bytes() == name)
        .map(|a| unescape(a.value.as_bytes()))
}

fn short_code(code: &str) -> String {
    code.strip_prefix("MDC_ECG_").unwrap_or(code).to_string()
}

/// MIT code of an aECG beat annotation code.
fn beat_code(code: &str) -> Option<AnnotationCode> {
    let c = code.strip_prefix("MDC_ECG_BEAT_")?;
    Some(match c {
        "NORMAL" | "N" => AnnotationCode::NORMAL,
        _ if c.contains("PVC") || c.starts_with("VENT") || c == "V" => AnnotationCode::PVC,
        _ if c.contains("SUPRA") || c.contains("ATR") || c == "S" || c == "A" => {
            AnnotationCode::SVPB
        }
        _ if c.contains("PACE") => AnnotationCode::PACE,
        _ if c.contains("FUSION") => AnnotationCode::FUSION,
        _ if c.contains("LBBB") => AnnotationCode::LBBB,
        _ if c.contains("RBBB") => AnnotationCode::RBBB,
        _ => AnnotationCode::UNKNOWN,
    })
}

impl<'o> Decoder<'o> {
    fn ends_with(&self, names: &[&str]) -> bool {
        self.path.len() >= names.len()
            && self.path[self.path.len() - names.len()..]
                .iter()
                .zip(names)
                .all(|(a, b)| a.as_slice() == b.as_bytes())
    }

    fn inside(&self, name: &str) -> bool {
        self.path.iter().any(|p| p.as_slice() == name.as_bytes())
    }

    fn capture(&mut self, what: Capture) {
        self.capture = what;
        self.capture_depth = self.path.len();
        self.text.clear();
    }

    fn start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<()> {
        let name = e.local_name();
        let name = name.as_ref().as_bytes();
        match name {
            b"sequenceSet" => {
                self.set.clear();
                self.set_derived = self.inside("derivedSeries");
            }
            b"sequence" if self.inside("sequenceSet") => {
                self.sequence = Some(Sequence::default());
            }
            b"annotation" => {
                let derived = self.inside("derivedSeries");
                self.annotations.push(AnnotationBuild {
                    derived,
                    ..Default::default()
                });
            }
            _ => {}
        }
        if self.sequence.is_some() {
            let n = self.path.len();
            let parent_is_sequence = n >= 2 && self.path[n - 2] == b"sequence";
            let in_value =
                n >= 3 && self.path[n - 3] == b"sequence" && self.path[n - 2] == b"value";
            let mut digits = false;
            if let Some(seq) = self.sequence.as_mut() {
                if parent_is_sequence {
                    match name {
                        b"code" => seq.code = attr(e, b"code").unwrap_or_default(),
                        b"value" => seq.kind = attr(e, b"type").unwrap_or_default(),
                        _ => {}
                    }
                } else if in_value {
                    match name {
                        b"head" => {
                            seq.head = attr(e, b"value");
                            seq.head_unit = attr(e, b"unit").unwrap_or_default();
                        }
                        b"increment" => {
                            seq.increment = attr(e, b"value")
                                .map(|v| (v, attr(e, b"unit").unwrap_or_default()));
                        }
                        b"origin" => {
                            let v = attr(e, b"value").unwrap_or_default();
                            let value = v.trim().parse().map_err(|_| Error::Value {
                                element: "origin",
                                offset,
                                found: v.chars().take(40).collect(),
                                expected: "a number",
                            })?;
                            seq.origin = (value, attr(e, b"unit").unwrap_or_default());
                        }
                        b"scale" => {
                            let v = attr(e, b"value").unwrap_or_default();
                            let value: f64 = v
                                .trim()
                                .parse()
                                .ok()
                                .filter(|s: &f64| s.is_finite() && *s != 0.0)
                                .ok_or_else(|| Error::Value {
                                    element: "scale",
                                    offset,
                                    found: v.chars().take(40).collect(),
                                    expected: "a non-zero number",
                                })?;
                            seq.scale = Some((value, attr(e, b"unit").unwrap_or_default(), v));
                        }
                        b"digits" => {
                            seq.has_digits = true;
                            digits = true;
                        }
                        _ => {}
                    }
                }
            }
            if digits {
                self.capture(Capture::Digits);
            }
            return Ok(());
        }
        if !self.annotations.is_empty() {
            self.annotation_start(e);
            return Ok(());
        }
        if self.ends_with(&["series", "code"])
            && self.series_code.is_none()
            && !self.inside("derivedSeries")
        {
            self.series_code = attr(e, b"code");
        } else if self.ends_with(&["derivedSeries", "code"]) {
            self.derived_code = attr(e, b"code");
        } else if self.ends_with(&["AnnotatedECG", "effectiveTime", "low"])
            || self.ends_with(&["AnnotatedECG", "effectiveTime", "center"])
        {
            if self.document_start.is_none() {
                self.document_start = attr(e, b"value").as_deref().and_then(parse_ts);
            }
        } else if self.ends_with(&["trialSubject", "id"]) {
            self.record.personal.patient_id = attr(e, b"extension").or_else(|| attr(e, b"root"));
        } else if self.ends_with(&["subjectDemographicPerson", "name"]) {
            self.capture(Capture::PatientName);
        } else if self.ends_with(&["subjectDemographicPerson", "name", "given"]) {
            self.capture(Capture::Given);
        } else if self.ends_with(&["subjectDemographicPerson", "name", "family"]) {
            self.capture(Capture::Family);
        } else if self.ends_with(&["subjectDemographicPerson", "administrativeGenderCode"]) {
            self.record.personal.sex = match attr(e, b"code").as_deref() {
                Some("M") => Some(Sex::Male),
                Some("F") => Some(Sex::Female),
                Some("UN") => Some(Sex::Unspecified),
                _ => None,
            };
        } else if self.ends_with(&["subjectDemographicPerson", "birthTime"]) {
            self.record.personal.birth_date = attr(e, b"value")
                .as_deref()
                .and_then(parse_ts)
                .map(|t| t.date());
        } else if self.ends_with(&["subjectDemographicPerson", "raceCode"]) {
            self.record.personal.race = attr(e, b"displayName").or_else(|| attr(e, b"code"));
        } else if self.ends_with(&["manufacturedSeriesDevice", "id"]) {
            if self.record.readings.serial_number.is_none() {
                self.record.readings.serial_number =
                    attr(e, b"extension").or_else(|| attr(e, b"root"));
            }
        } else if self.ends_with(&["manufacturedSeriesDevice", "manufacturerModelName"]) {
            self.capture(Capture::Model);
        } else if self.ends_with(&["manufacturedSeriesDevice", "softwareName"]) {
            self.capture(Capture::Software);
        } else if self.ends_with(&["manufacturerOrganization", "name"]) {
            self.capture(Capture::Manufacturer);
        } else if self.ends_with(&["clinicalTrial", "id"]) {
            if let Some(id) = attr(e, b"extension").or_else(|| attr(e, b"root")) {
                self.record
                    .readings
                    .other
                    .insert("clinical_trial".into(), id);
            }
        } else if self.ends_with(&["clinicalTrial", "title"]) {
            self.capture(Capture::TrialTitle);
        } else if self.ends_with(&["controlVariable", "code"]) {
            if let Some(code) = attr(e, b"code").filter(|c| {
                matches!(
                    c.as_str(),
                    "MDC_ATTR_FILTER_NOTCH"
                        | "MDC_ATTR_FILTER_LOW_PASS"
                        | "MDC_ATTR_FILTER_HIGH_PASS"
                )
            }) {
                self.filter = Some(code);
            }
        } else if self.ends_with(&["controlVariable", "value"]) {
            let hz = attr(e, b"value")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0);
            if let (Some(hz), Some(filter)) = (hz, self.filter.as_deref()) {
                let r = &mut self.record.readings;
                let slot = match filter {
                    "MDC_ATTR_FILTER_NOTCH" => &mut r.notch_hz,
                    "MDC_ATTR_FILTER_LOW_PASS" => &mut r.lowpass_hz,
                    "MDC_ATTR_FILTER_HIGH_PASS" => &mut r.highpass_hz,
                    _ => return Ok(()),
                };
                slot.get_or_insert(hz);
            }
        }
        Ok(())
    }

    fn annotation_start(&mut self, e: &BytesStart<'_>) {
        let name = e.local_name();
        let name = name.as_ref().as_bytes();
        let Some(a) = self.annotations.last_mut() else {
            return;
        };
        let n = self.path.len();
        let parent = if n >= 2 {
            self.path[n - 2].as_slice()
        } else {
            b""
        };
        if parent == b"annotation" {
            match name {
                b"code" => a.code = attr(e, b"code"),
                b"value" => {
                    let kind = attr(e, b"type").unwrap_or_default();
                    match kind.as_str() {
                        "PQ" | "INT" | "REAL" => {
                            a.value_number = attr(e, b"value")
                                .and_then(|v| v.trim().parse().ok())
                                .map(|v| (v, attr(e, b"unit")));
                        }
                        "CE" | "CD" | "CV" | "CS" => {
                            a.value_code = attr(e, b"displayName").or_else(|| attr(e, b"code"));
                        }
                        _ => {
                            self.capture = Capture::AnnotationText;
                            self.capture_depth = n;
                            self.text.clear();
                        }
                    }
                }
                _ => {}
            }
        } else if parent == b"boundary" {
            match name {
                b"code" => {
                    let code = attr(e, b"code");
                    if let Some(lead) = code.as_deref().filter(|c| c.starts_with("MDC_ECG_LEAD_")) {
                        a.lead = Some(lead_label(lead));
                    }
                    a.boundary_code = code;
                }
                b"value" => {
                    if let Some(v) = attr(e, b"value") {
                        a.low = Some((v, attr(e, b"unit").unwrap_or_default()));
                    }
                }
                _ => {}
            }
        } else if n >= 3 && self.path[n - 3] == b"boundary" && parent == b"value" {
            let point = attr(e, b"value").map(|v| (v, attr(e, b"unit").unwrap_or_default()));
            match name {
                b"low" => a.low = point,
                b"high" => a.high = point,
                b"center" => a.low = a.low.take().or(point),
                _ => {}
            }
        }
    }

    fn text(&mut self, raw: &[u8], offset: u64) -> Result<()> {
        match self.capture {
            Capture::None => Ok(()),
            Capture::Digits => self.digits(raw, offset),
            _ => {
                self.text.push_str(&unescape(raw));
                Ok(())
            }
        }
    }

    fn general_ref(&mut self, name: &[u8]) {
        if !matches!(self.capture, Capture::None | Capture::Digits) {
            self.text.push_str(&entity(&String::from_utf8_lossy(name)));
        }
    }

    fn digits(&mut self, raw: &[u8], offset: u64) -> Result<()> {
        let Some(seq) = self.sequence.as_mut() else {
            return Ok(());
        };
        let max = self.opts.limits.max_samples;
        for token in raw
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            let value = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<i32>().ok())
                .ok_or_else(|| Error::Value {
                    element: "digits",
                    offset,
                    found: String::from_utf8_lossy(&token[..token.len().min(40)]).into_owned(),
                    expected: "a 32-bit integer",
                })?;
            self.total_samples += 1;
            if self.total_samples > max {
                return Err(Error::LimitExceeded {
                    what: "samples in the document",
                    requested: self.total_samples,
                    limit: max,
                });
            }
            seq.digits.push(value);
        }
        Ok(())
    }

    fn end(&mut self, offset: u64) -> Result<()> {
        let depth = self.path.len();
        if self.capture != Capture::None && depth == self.capture_depth {
            let text = std::mem::take(&mut self.text).trim().to_string();
            let non_empty = (!text.is_empty()).then_some(text);
            let r = &mut self.record;
            match self.capture {
                Capture::PatientName => {
                    if let Some(t) = non_empty {
                        r.personal.name = Some(t);
                    }
                }
                Capture::Given => self.given.extend(non_empty),
                Capture::Family => self.family.extend(non_empty),
                Capture::Model => {
                    if r.readings.device.is_none() {
                        r.readings.device = non_empty;
                    }
                }
                Capture::Software => {
                    if r.readings.software_version.is_none() {
                        r.readings.software_version = non_empty;
                    }
                }
                Capture::Manufacturer => {
                    if r.readings.manufacturer.is_none() {
                        r.readings.manufacturer = non_empty;
                    }
                }
                Capture::TrialTitle => {
                    if let Some(t) = non_empty {
                        r.readings.other.insert("clinical_trial_title".into(), t);
                    }
                }
                Capture::AnnotationText => {
                    if let Some(a) = self.annotations.last_mut() {
                        a.value_text = non_empty;
                    }
                }
                Capture::Digits | Capture::None => {}
            }
            self.capture = Capture::None;
        }
        let Some(name) = self.path.last() else {
            return Ok(());
        };
        match name.as_slice() {
            b"sequence" if self.sequence.is_some() => {
                if let Some(seq) = self.sequence.take() {
                    self.set.push(seq);
                }
            }
            b"sequenceSet" => self.finish_set(offset)?,
            b"annotation" => {
                if let Some(a) = self.annotations.pop() {
                    self.finish_annotation(a);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish_set(&mut self, offset: u64) -> Result<()> {
        let set = std::mem::take(&mut self.set);
        let derived = self.set_derived;
        let time = set
            .iter()
            .find(|s| s.kind.starts_with("GLIST") && s.increment.is_some());
        let fs = time.and_then(|t| {
            let (inc, unit) = t.increment.as_ref()?;
            frequency(inc, if unit.is_empty() { "s" } else { unit })
        });
        let head = time
            .filter(|t| t.kind == "GLIST_TS")
            .and_then(|t| t.head.as_deref())
            .and_then(parse_ts);
        let series_code = if derived {
            self.derived_code.clone()
        } else {
            self.series_code.clone()
        }
        .unwrap_or_default();
        for seq in set
            .into_iter()
            .filter(|s| s.kind.starts_with("SLIST") && s.has_digits)
        {
            let Some(fs) = fs else {
                return Err(Error::NoTimeAxis {
                    offset,
                    lead: seq.code,
                });
            };
            if !derived && self.rhythm_fs.is_none() {
                self.rhythm_fs = Some(fs);
                self.rhythm_start = head;
            }
            let (scale, scale_unit, scale_text) =
                seq.scale.unwrap_or((1.0, String::new(), "1".into()));
            let unit = if !scale_unit.is_empty() {
                scale_unit.clone()
            } else if !seq.origin.1.is_empty() {
                seq.origin.1.clone()
            } else {
                "uV".into()
            };
            let mut label = lead_label(&seq.code);
            if derived {
                label.push_str(MEDIAN_SUFFIX);
            }
            let mut signal = Signal::new(label, fs, unit, Samples::from_vec(seq.digits));
            signal.scale = Scale::Gain {
                gain: 1.0 / scale,
                baseline: -seq.origin.0 / scale,
            };
            signal.meta.storage = Some(seq.kind.clone());
            let f = &mut signal.meta.fields;
            f.insert(LEAD_CODE.into(), seq.code.clone());
            f.insert(
                SERIES.into(),
                if derived { "derived" } else { "rhythm" }.into(),
            );
            if !series_code.is_empty() {
                f.insert(SERIES_CODE.into(), series_code.clone());
            }
            f.insert(
                ORIGIN.into(),
                format!("{} {}", seq.origin.0, seq.origin.1).trim().into(),
            );
            f.insert(
                SCALE.into(),
                format!("{scale_text} {scale_unit}").trim().into(),
            );
            self.record.signals.push(signal);
        }
        Ok(())
    }

    fn finish_annotation(&mut self, a: AnnotationBuild) {
        let Some(code) = a.code.clone() else {
            return;
        };
        let prefix = if a.derived { "median: " } else { "" };
        if let Some((value, unit)) = a.value_number {
            self.record.classification.measurements.push(Measurement {
                name: format!("{prefix}{}", short_code(&code)),
                lead: a.lead.clone(),
                value,
                unit,
            });
        } else if let Some(text) = a.value_text.clone().or_else(|| a.value_code.clone()) {
            self.record.classification.statements.push(Statement {
                code: Some(code.clone()),
                text,
                source: None,
            });
        }
        let Some((low, low_unit)) = a.low else {
            return;
        };
        let absolute = a.boundary_code.as_deref() == Some("TIME_ABSOLUTE")
            || (low_unit.is_empty() && parse_ts(&low).is_some());
        let point = |v: &str, unit: &str| -> Option<TimePoint> {
            if absolute {
                parse_ts(v).map(TimePoint::Absolute)
            } else {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|x| seconds(x, if unit.is_empty() { "ms" } else { unit }))
                    .map(TimePoint::Relative)
            }
        };
        let Some(onset) = point(&low, &low_unit) else {
            return;
        };
        let end = a.high.as_ref().and_then(|(v, u)| point(v, u));
        let what = a.value_code.clone().unwrap_or_else(|| short_code(&code));
        let mut text = format!("{prefix}{what}");
        if let Some(lead) = &a.lead {
            text.push_str(&format!(" ({lead})"));
        }
        self.events.push(PendingEvent {
            onset,
            end,
            text,
            beat: beat_code(&code),
            derived: a.derived,
        });
    }

    fn finish(mut self) -> Result<Record> {
        if self.record.signals.is_empty() {
            return Err(Error::NoWaveforms);
        }
        if self.given.len() + self.family.len() > 0 {
            let r = &mut self.record.personal;
            r.first_name = (!self.given.is_empty()).then(|| self.given.join(" "));
            r.last_name = (!self.family.is_empty()).then(|| self.family.join(" "));
            if r.name.is_none() {
                r.name = Some(
                    self.given
                        .iter()
                        .chain(&self.family)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        let start = self.rhythm_start.or(self.document_start);
        if let Some(t) = start {
            self.record.start_date = Some(t.date());
            self.record.start_time = Some(t.time());
        }
        let resolve = |p: &TimePoint| -> Option<f64> {
            match p {
                TimePoint::Relative(s) => Some(*s),
                TimePoint::Absolute(t) => {
                    let base = start?;
                    (*t - base).num_nanoseconds().map(|n| n as f64 * 1e-9)
                }
            }
        };
        let mut beats = Vec::new();
        for ev in &self.events {
            let Some(onset_s) = resolve(&ev.onset) else {
                continue;
            };
            let duration_s = ev
                .end
                .as_ref()
                .and_then(resolve)
                .map(|e| e - onset_s)
                .filter(|d| *d >= 0.0);
            if let (Some(code), Some(fs), false) = (ev.beat, self.rhythm_fs, ev.derived) {
                beats.push(Annotation::new((onset_s * fs).round() as i64, code));
            }
            self.record.classification.events.push(Event {
                onset_s,
                duration_s,
                text: ev.text.clone(),
            });
        }
        self.record
            .classification
            .events
            .sort_by(|a, b| a.onset_s.total_cmp(&b.onset_s));
        if !beats.is_empty() {
            beats.sort_by_key(|a| a.sample);
            self.record.classification.annotations.push(AnnotationSet {
                annotator: ANNOTATOR.into(),
                fs: self.rhythm_fs,
                annotations: beats,
            });
        }
        Ok(self.record)
    }
}

/// Decodes an HL7 aECG document in one streaming pass (quick-xml events; nothing but the
/// digits is kept). Rhythm waveforms become signals labelled by lead (`II`, `V1`, `aVR`);
/// derived (median, representative beat) waveforms follow them, labelled `II median`,
/// with `meta.fields["series"] = "derived"`. Each signal's samples are the `SLIST_PQ`
/// digits; its scale gives `physical = origin + scale * digit` in the scale's unit. The
/// sampling frequency is `1 / increment` of the sequence set's `GLIST_TS`/`GLIST_PQ`
/// time sequence (rounded to the nearest whole rate when the increment is that rate's
/// period printed with the increment's decimals). Annotations: numeric values become
/// measurements, text and coded values statements, time boundaries events (seconds from
/// the rhythm start), and `MDC_ECG_BEAT_*` beats of the rhythm series an annotation set.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let mut reader = Reader::from_reader(data.as_slice());
    let mut d = Decoder {
        opts,
        path: Vec::new(),
        capture: Capture::None,
        capture_depth: 0,
        text: String::new(),
        sequence: None,
        set: Vec::new(),
        set_derived: false,
        series_code: None,
        derived_code: None,
        record: Record::new(name, "aecg"),
        total_samples: 0,
        rhythm_start: None,
        rhythm_fs: None,
        document_start: None,
        annotations: Vec::new(),
        events: Vec::new(),
        given: Vec::new(),
        family: Vec::new(),
        filter: None,
    };
    let mut root_seen = false;
    loop {
        let offset = reader.buffer_position();
        let event = reader.read_event().map_err(|e| Error::Xml {
            offset: reader.error_position(),
            message: e.to_string(),
        })?;
        let event_kind = match &event {
            XmlEvent::Start(_) => Kind::Start,
            _ => Kind::Other,
        };
        match event {
            XmlEvent::Start(e) | XmlEvent::Empty(e) if !root_seen => {
                if e.local_name().as_ref() != "AnnotatedECG" {
                    return Err(Error::NotAecg {
                        found: e.name().as_ref().to_string(),
                    });
                }
                root_seen = true;
                if matches!(event_kind, Kind::Start) {
                    d.path.push(b"AnnotatedECG".to_vec());
                }
            }
            XmlEvent::Start(e) => {
                d.path.push(e.local_name().as_ref().as_bytes().to_vec());
                d.start(&e, offset)?;
            }
            XmlEvent::Empty(e) => {
                d.path.push(e.local_name().as_ref().as_bytes().to_vec());
                d.start(&e, offset)?;
                d.end(offset)?;
                d.path.pop();
            }
            XmlEvent::End(_) => {
                d.end(offset)?;
                d.path.pop();
            }
            XmlEvent::Text(t) => d.text(t.as_bytes(), offset)?,
            XmlEvent::CData(t) => d.text(t.as_bytes(), offset)?,
            XmlEvent::GeneralRef(r) => d.general_ref(r.as_bytes()),
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(Error::NotAecg {
            found: String::new(),
        });
    }
    if !d.path.is_empty() {
        return Err(Error::Xml {
            offset: reader.buffer_position(),
            message: format!(
                "the document ends inside <{}>",
                String::from_utf8_lossy(d.path.last().map_or(&[][..], Vec::as_slice))
            ),
        });
    }
    d.finish()
}

enum Kind {
    Start,
    Other,
}

/// Memory-maps `path` and decodes it (the record is named after the file name).
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let data = SharedBytes::map_file(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    decode(&name, data, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_rates() {
        let t = parse_ts("20010203040505.25+0100").unwrap();
        assert_eq!(t.to_string(), "2001-02-03 04:05:05.250");
        assert_eq!(
            parse_ts("19900101").unwrap().to_string(),
            "1990-01-01 00:00:00"
        );
        assert!(parse_ts("1990").is_none());
        assert!(parse_ts("19901301").is_none());
        assert_eq!(frequency("0.002778", "s"), Some(360.0));
        assert_eq!(frequency("0.002", "s"), Some(500.0));
        assert_eq!(frequency("2", "ms"), Some(500.0));
        assert_eq!(frequency("0.0027", "s"), Some(1.0 / 0.0027));
        assert_eq!(frequency("0", "s"), None);
        assert_eq!(frequency("1", "parsec"), None);
    }

    #[test]
    fn entities() {
        assert_eq!(
            unescape(b"M&amp;M &#233;&#x41; &bogus;"),
            "M&M \u{e9}A &bogus;"
        );
    }
}
