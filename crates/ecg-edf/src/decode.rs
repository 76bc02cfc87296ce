//! Decoding a whole file into an [`ecg_core::Record`].

use std::path::Path;
use std::sync::Arc;

use ecg_core::chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use ecg_core::{
    DecodeOptions, Event, Record, Samples, Scale, Segment, SharedBytes, Signal, SignalMeta,
};

use crate::error::{Error, Result};
use crate::header::{self, Header, SignalHeader, Variant, Width};
use crate::identification;
use crate::samples::{Layout, RecordSamples};
use crate::tal::tals;

/// Key of [`ecg_core::ExtraReadings::other`] holding the file type (`EDF`, `EDF+C`,
/// `EDF+D`, `BDF`, `BDF+C`, `BDF+D`).
pub const FILE_TYPE: &str = "file_type";
/// Key of [`ecg_core::ExtraReadings::other`] holding the number of data records decoded.
pub const DATA_RECORDS: &str = "data_records";
/// Key of [`ecg_core::ExtraReadings::other`] holding the data-record duration field.
pub const RECORD_DURATION: &str = "record_duration_s";

/// Two record onsets closer than this are treated as contiguous (EDF+D stretches).
const CONTIGUITY_TOLERANCE_NS: i64 = 1_000;

/// Decodes an EDF, EDF+ (C or D), BDF or BDF+ file held in `data`. `name` becomes
/// [`Record::name`]. Samples stay in `data` and are decoded on demand, record by record.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let mut warnings = Vec::new();
    let header = header::parse(&data, &mut warnings)?;
    let records = count_records(&header, data.len(), opts, &mut warnings)?;

    let ordinary: Vec<&SignalHeader> = header.signals.iter().filter(|s| !s.annotation).collect();
    if header.duration_ns == 0 && !ordinary.is_empty() {
        return Err(Error::ZeroDuration {
            duration: header.duration_text.clone(),
        });
    }
    let per_record: u64 = ordinary.iter().map(|s| s.samples_per_record as u64).sum();
    let total = u128::from(per_record) * records as u128;
    if total > u128::from(opts.limits.max_samples) {
        return Err(Error::LimitExceeded {
            what: "samples in the record",
            requested: u64::try_from(total).unwrap_or(u64::MAX),
            limit: opts.limits.max_samples,
        });
    }

    let mut record = Record::new(
        name,
        match header.width {
            Width::Edf16 => "edf",
            Width::Bdf24 => "bdf",
        },
    );
    let other = &mut record.readings.other;
    other.insert(FILE_TYPE.into(), header.file_type());
    other.insert(DATA_RECORDS.into(), records.to_string());
    other.insert(RECORD_DURATION.into(), header.duration_text.clone());

    let mut plus_date = None;
    if header.is_plus() {
        identification::read_patient(&header.patient, &mut record.personal, &mut warnings);
        plus_date =
            identification::read_recording(&header.recording, &mut record.readings, &mut warnings);
    } else {
        if !header.patient.is_empty() {
            record.personal.other.insert(
                identification::PATIENT_IDENTIFICATION.into(),
                header.patient.clone(),
            );
        }
        if !header.recording.is_empty() {
            record.readings.other.insert(
                identification::RECORDING_IDENTIFICATION.into(),
                header.recording.clone(),
            );
        }
        if !header.reserved.is_empty() {
            record
                .readings
                .other
                .insert("reserved".into(), header.reserved.clone());
        }
    }

    let timeline = read_annotations(&header, &data, records, opts, &mut warnings)?;
    let (date, time) = start_date_time(&header, plus_date, timeline.first_onset_ns, &mut warnings);
    record.start_date = date;
    record.start_time = time;
    record.classification.events = timeline.events;
    record.segments = timeline.segments;

    for s in &ordinary {
        record.signals.push(make_signal(
            &header,
            s,
            &data,
            records,
            opts,
            &mut warnings,
        )?);
    }
    common_prefilter(&mut record);

    record.warnings = warnings.into_iter().map(ecg_core::Warning::new).collect();
    Ok(record)
}

/// Memory-maps `path` and decodes it; the record is named by the file name.
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let data = SharedBytes::map_file(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    decode(&name, data, opts)
}

/// The number of data records to decode, reconciling the header's count with the file
/// size the way EDFlib does (see the crate README), with warnings.
fn count_records(
    header: &Header,
    len: usize,
    opts: &DecodeOptions,
    warnings: &mut Vec<String>,
) -> Result<usize> {
    let record_bytes = header.record_bytes as u64;
    let available = (len - header.header_bytes) as u64;
    let fits = available / record_bytes;
    let partial = available % record_bytes;
    if header.records_stated == -1 {
        warnings.push(format!(
            "the number of data records is -1 (unknown, file not closed by its writer): {fits} complete records counted from the file size{}",
            if partial > 0 {
                format!(", {partial} bytes of an incomplete last record ignored")
            } else {
                String::new()
            }
        ));
        return Ok(fits as usize);
    }
    let stated = header.records_stated as u64;
    let expected = u128::from(stated) * u128::from(record_bytes);
    if expected > u128::from(available) {
        let expected_bytes =
            u64::try_from(expected + header.header_bytes as u128).unwrap_or(u64::MAX);
        if opts.strict {
            return Err(Error::Truncated {
                records: stated,
                record_bytes,
                expected_bytes,
                actual_bytes: len as u64,
            });
        }
        warnings.push(format!(
            "data truncated: the header says {stated} data records ({expected_bytes} bytes) but the file has {len} bytes; decoded the {fits} complete records"
        ));
        return Ok(fits as usize);
    }
    if (expected as u64) < available {
        warnings.push(format!(
            "{} bytes after the last of the {stated} data records the header states are ignored",
            available - expected as u64
        ));
    }
    Ok(stated as usize)
}

fn make_signal(
    header: &Header,
    s: &SignalHeader,
    data: &SharedBytes,
    records: usize,
    opts: &DecodeOptions,
    warnings: &mut Vec<String>,
) -> Result<Signal> {
    let (lo, hi) = header.width.range();
    if s.digital_min < lo || s.digital_max > hi || s.digital_min > hi || s.digital_max < lo {
        warnings.push(format!(
            "signal {} ({:?}): digital range {}..{} exceeds the {}-bit storage range",
            s.index,
            s.label,
            s.digital_min,
            s.digital_max,
            header.width.bytes() * 8
        ));
    }
    let degenerate = if s.physical_min == s.physical_max {
        Some("physical minimum equals physical maximum")
    } else if s.digital_min == s.digital_max {
        Some("digital minimum equals digital maximum")
    } else {
        None
    };
    // Digital limits are 8-character fields: at most 99999999 / -9999999, so they fit i32.
    let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    let scale = match degenerate {
        None => Scale::Range {
            physical_min: s.physical_min,
            physical_max: s.physical_max,
            digital_min: clamp(s.digital_min),
            digital_max: clamp(s.digital_max),
        },
        Some(reason) => {
            if opts.strict {
                return Err(Error::Scale {
                    signal: s.index,
                    label: s.label.clone(),
                    physical_min: s.physical_min,
                    physical_max: s.physical_max,
                    digital_min: s.digital_min,
                    digital_max: s.digital_max,
                    reason,
                });
            }
            warnings.push(format!(
                "signal {} ({:?}): {reason}; physical values equal digital values (as EDFlib)",
                s.index, s.label
            ));
            Scale::default()
        }
    };
    let layout = Layout {
        data_start: header.header_bytes,
        record_bytes: header.record_bytes,
        offset_in_record: s.offset_in_record,
        per_record: s.samples_per_record,
        records,
        width: header.width,
    };
    let source = RecordSamples::new(data.clone(), layout, s.label.clone());
    let mut meta = SignalMeta {
        storage: Some(
            match header.width {
                Width::Edf16 => "edf16",
                Width::Bdf24 => "bdf24",
            }
            .into(),
        ),
        adc_resolution: Some(header.width.bytes() as u32 * 8),
        transducer: non_empty(&s.transducer),
        prefilter: non_empty(&s.prefilter),
        ..Default::default()
    };
    meta.fields.insert(
        "samples_per_record".into(),
        s.samples_per_record.to_string(),
    );
    if !s.reserved.is_empty() {
        meta.fields.insert("reserved".into(), s.reserved.clone());
    }
    Ok(Signal {
        label: s.label.clone(),
        fs: s.samples_per_record as f64 / header.duration_s(),
        unit: s.dimension.clone(),
        samples: Samples::from_source(Arc::new(source)),
        scale,
        missing_value: None,
        meta,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// What the annotation signals say: events, stretches and the first record's onset.
#[derive(Debug, Default)]
struct Timeline {
    events: Vec<Event>,
    segments: Vec<Segment>,
    /// Onset of the first data record (nanoseconds after the header's start time).
    first_onset_ns: i64,
}

/// Counts tolerated problems of one kind and reports the first, so a damaged 7-day file
/// gives one warning, not a million.
#[derive(Default)]
struct Tally {
    count: u64,
    first: Option<String>,
}

impl Tally {
    fn add(&mut self, message: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(message());
        }
    }

    fn report(self, what: &str, warnings: &mut Vec<String>) {
        if let Some(first) = self.first {
            warnings.push(if self.count == 1 {
                format!("{what}: {first}")
            } else {
                format!("{what} ({} times; first: {first})", self.count)
            });
        }
    }
}

fn read_annotations(
    header: &Header,
    data: &[u8],
    records: usize,
    opts: &DecodeOptions,
    warnings: &mut Vec<String>,
) -> Result<Timeline> {
    let annotation_signals: Vec<&SignalHeader> =
        header.signals.iter().filter(|s| s.annotation).collect();
    let mut timeline = Timeline::default();
    if !header.is_plus() {
        return Ok(timeline);
    }
    if annotation_signals.is_empty() {
        warnings.push(format!(
            "{} file without an annotation signal: no record onsets, treated as continuous",
            header.file_type()
        ));
        return Ok(timeline);
    }
    let bps = header.width.bytes();
    let duration = header.duration_ns;
    let discontinuous = header.variant == Variant::Discontinuous;

    let mut malformed = Tally::default();
    let mut missing_time_keeping = Tally::default();
    let mut not_contiguous = Tally::default();
    let mut invalid_utf8 = Tally::default();
    let mut raw_events: Vec<(i64, Option<i64>, String)> = Vec::new();

    let mut expected: Option<i64> = None;
    let mut stretch: Option<(i64, u64)> = None; // (onset, records) of the current stretch
    let mut stretches: Vec<(i64, u64)> = Vec::new();

    for r in 0..records {
        let record_start = header.header_bytes + r * header.record_bytes;
        let mut onset = None;
        for (k, a) in annotation_signals.iter().enumerate() {
            let from = record_start + a.offset_in_record;
            let Some(block) = data.get(from..from + a.samples_per_record * bps) else {
                break; // count_records checked the size; unreachable for valid input
            };
            let mut first_tal = true;
            for item in tals(block) {
                let (_, tal) = match item {
                    Ok(t) => t,
                    Err(e) => {
                        let offset = (from + e.offset) as u64;
                        if opts.strict {
                            return Err(Error::Annotation {
                                signal: a.index,
                                record: r as u64,
                                offset,
                                message: e.message,
                            });
                        }
                        malformed.add(|| {
                            format!(
                                "signal {}, data record {r}, byte offset {offset}: {}",
                                a.index, e.message
                            )
                        });
                        break;
                    }
                };
                let mut texts = tal.texts().peekable();
                if k == 0 && first_tal && texts.peek().is_some_and(|t| t.is_empty()) {
                    texts.next();
                    onset = Some(tal.onset_ns);
                }
                first_tal = false;
                for text in texts.filter(|t| !t.is_empty()) {
                    let text = match std::str::from_utf8(text) {
                        Ok(t) => t.to_string(),
                        Err(_) => {
                            invalid_utf8.add(|| format!("data record {r}"));
                            String::from_utf8_lossy(text).into_owned()
                        }
                    };
                    raw_events.push((tal.onset_ns, tal.duration_ns, text));
                }
            }
        }

        let onset = match onset {
            Some(o) => o,
            None => {
                let message = || {
                    format!(
                        "data record {r} (byte offset {}) does not start with a time-keeping TAL",
                        record_start + annotation_signals[0].offset_in_record
                    )
                };
                if opts.strict && discontinuous {
                    return Err(Error::Annotation {
                        signal: annotation_signals[0].index,
                        record: r as u64,
                        offset: (record_start + annotation_signals[0].offset_in_record) as u64,
                        message: "the data record does not start with a time-keeping TAL (needed to place EDF+D records)".into(),
                    });
                }
                missing_time_keeping.add(message);
                expected.unwrap_or(0)
            }
        };
        match (expected, &mut stretch) {
            (Some(e), Some((_, n)))
                if (i128::from(onset) - i128::from(e)).abs()
                    <= i128::from(CONTIGUITY_TOLERANCE_NS) =>
            {
                *n += 1
            }
            (Some(e), Some(current)) => {
                if discontinuous {
                    if onset < e {
                        not_contiguous.add(|| {
                            format!(
                                "data record {r} starts at {} s, before the previous record ends ({} s)",
                                onset as f64 / 1e9,
                                e as f64 / 1e9
                            )
                        });
                    }
                    stretches.push(*current);
                    *current = (onset, 1);
                } else {
                    current.1 += 1;
                    not_contiguous.add(|| {
                        format!(
                            "data record {r} starts at {} s instead of {} s",
                            onset as f64 / 1e9,
                            e as f64 / 1e9
                        )
                    });
                }
            }
            _ => stretch = Some((onset, 1)),
        }
        expected = Some(onset.saturating_add(duration));
    }
    if let Some(s) = stretch {
        stretches.push(s);
    }

    malformed.report("malformed annotations skipped", warnings);
    missing_time_keeping.report(
        "data records without a time-keeping TAL, assumed contiguous",
        warnings,
    );
    not_contiguous.report(
        if discontinuous {
            "EDF+D data records out of chronological order"
        } else {
            "EDF+C data records are not contiguous (treated as continuous)"
        },
        warnings,
    );
    invalid_utf8.report(
        "annotation texts that are not UTF-8, decoded lossily",
        warnings,
    );

    let first = stretches.first().map_or(0, |s| s.0);
    timeline.first_onset_ns = first;
    if discontinuous {
        timeline.segments = stretches
            .iter()
            .map(|&(onset, n)| Segment {
                onset_s: (i128::from(onset) - i128::from(first)) as f64 / 1e9,
                duration_s: (n as f64) * duration as f64 / 1e9,
            })
            .collect();
    }
    timeline.events = raw_events
        .into_iter()
        .map(|(onset, duration, text)| Event {
            onset_s: (i128::from(onset) - i128::from(first)) as f64 / 1e9,
            duration_s: duration.map(|d| d as f64 / 1e9),
            text,
        })
        .collect();
    timeline
        .events
        .sort_by(|a, b| a.onset_s.total_cmp(&b.onset_s));
    Ok(timeline)
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// Start date and time of the first sample: the header's `dd.mm.yy hh.mm.ss` (EDF+: the
/// 4-digit year of `Startdate`) plus the first record's time-keeping onset.
fn start_date_time(
    header: &Header,
    plus_date: Option<NaiveDate>,
    first_onset_ns: i64,
    warnings: &mut Vec<String>,
) -> (Option<NaiveDate>, Option<NaiveTime>) {
    let d = &header.start_date;
    let header_date = match (
        two_digits(&d[0..2]),
        two_digits(&d[3..5]),
        two_digits(&d[6..8]),
    ) {
        (Some(day), Some(month), Some(yy)) => {
            // EDF's 1985 pivot: 85..99 are 1985..1999, 00..84 are 2000..2084.
            let year = if yy >= 85 { 1900 + yy } else { 2000 + yy };
            NaiveDate::from_ymd_opt(year as i32, month, day)
        }
        _ => None,
    };
    let date = match (plus_date, header_date) {
        (Some(p), Some(h)) => {
            use ecg_core::chrono::Datelike;
            if (p.day(), p.month(), p.year() % 100) != (h.day(), h.month(), h.year() % 100) {
                warnings.push(format!(
                    "the EDF+ Startdate {p} disagrees with the header start date {:?}; using the Startdate",
                    crate::error::escape(d)
                ));
            }
            Some(p)
        }
        (Some(p), None) => Some(p),
        (None, h) => {
            if h.is_none() && &d[6..8] != b"yy" {
                warnings.push(format!(
                    "start date field {:?} (byte offset 168) is not a valid dd.mm.yy date",
                    crate::error::escape(d)
                ));
            }
            h
        }
    };
    let t = &header.start_time;
    let time = match (
        two_digits(&t[0..2]),
        two_digits(&t[3..5]),
        two_digits(&t[6..8]),
    ) {
        (Some(h), Some(m), Some(s)) => NaiveTime::from_hms_opt(h, m, s),
        _ => None,
    };
    if time.is_none() {
        warnings.push(format!(
            "start time field {:?} (byte offset 176) is not a valid hh.mm.ss time",
            crate::error::escape(t)
        ));
    }
    let offset = TimeDelta::nanoseconds(first_onset_ns);
    match (date, time) {
        (Some(d), Some(t)) => {
            let start = NaiveDateTime::new(d, t)
                .checked_add_signed(offset)
                .unwrap_or(NaiveDateTime::new(d, t));
            (Some(start.date()), Some(start.time()))
        }
        (d, Some(t)) => (d, Some(t.overflowing_add_signed(offset).0)),
        (d, None) => (d, None),
    }
}

/// When every signal has the same prefiltering text, its `HP:`, `LP:` and `N:` values
/// become the record's filter settings.
fn common_prefilter(record: &mut Record) {
    let mut texts = record.signals.iter().map(|s| s.meta.prefilter.as_deref());
    let Some(Some(first)) = texts.next() else {
        return;
    };
    if !texts.all(|t| t == Some(first)) {
        return;
    }
    for token in first.split_whitespace() {
        let Some((key, value)) = token.split_once(':') else {
            continue;
        };
        let number = value
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite());
        let Some(v) = number else { continue };
        match key.to_ascii_uppercase().as_str() {
            "HP" => record.readings.highpass_hz = Some(v),
            "LP" => record.readings.lowpass_hz = Some(v),
            "N" | "NOTCH" => record.readings.notch_hz = Some(v),
            _ => {}
        }
    }
}
