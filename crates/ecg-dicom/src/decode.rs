//! From a DICOM waveform file to a [`Record`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ecg_core::{
    Annotation, AnnotationCode, AnnotationSet, DecodeOptions, Event, Measurement, Record, Samples,
    Scale, SharedBytes, Signal, Statement,
};

use crate::error::{Error, Result};
use crate::interleaved::{InterleavedChannel, SampleEncoding};
use crate::leads::lead_label;
use crate::part10::{self, DataSet};
use crate::tags::{self, Attr};
use crate::values::{ValueReader, invalid, missing};
use crate::{WAVEFORM_SOP_CLASSES, sop_class_name};

/// The record's format name.
pub const FORMAT: &str = "dicom";

/// Annotator name of the annotation set of the first multiplex group's Waveform
/// Annotation Sequence items; other groups' sets are `dicom_g<N>` (N 1-based).
pub const ANNOTATOR: &str = "dicom";

/// Decodes a DICOM waveform file already in memory (or memory-mapped). Samples stay in
/// `data` and are decoded on demand.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let bytes = data.as_slice();
    let meta = part10::read_meta(bytes)?;
    let uid = meta
        .transfer_syntax
        .clone()
        .ok_or_else(|| missing(tags::TRANSFER_SYNTAX, "file meta information"))?;
    let explicit = match uid.as_str() {
        part10::EXPLICIT_VR_LE => true,
        part10::IMPLICIT_VR_LE => false,
        _ => {
            return Err(Error::UnsupportedTransferSyntax {
                name: crate::transfer_syntax_name(&uid),
                uid,
            });
        }
    };
    let root = part10::read_dataset(bytes, meta.dataset_start, explicit, None)?;
    let charset = {
        let reader = ValueReader::new(bytes, "");
        reader
            .text(&root, tags::SPECIFIC_CHARACTER_SET)
            .unwrap_or_default()
    };
    let values = ValueReader::new(bytes, &charset);
    let sop_class = values
        .text(&root, tags::SOP_CLASS)
        .or(meta.sop_class.clone())
        .unwrap_or_default();
    if !WAVEFORM_SOP_CLASSES.contains(&sop_class.as_str()) {
        return Err(Error::NotWaveform { sop_class });
    }

    let mut record = Record::new(name, FORMAT);
    read_patient(&values, &root, &mut record);
    read_acquisition(&values, &root, &mut record, &sop_class, &uid);

    let groups = root.items(tags::WAVEFORMS);
    if groups.is_empty() {
        return Err(Error::NoWaveforms);
    }
    let mut total: u64 = 0;
    let mut layouts = Vec::with_capacity(groups.len());
    for (index, group) in groups.iter().enumerate() {
        let layout = GroupLayout::read(&values, group, index)?;
        total =
            total.saturating_add((layout.channels as u64).saturating_mul(layout.samples as u64));
        if total > opts.limits.max_samples {
            return Err(Error::LimitExceeded {
                what: "samples of all multiplex groups",
                requested: total,
                limit: opts.limits.max_samples,
            });
        }
        layouts.push(layout);
    }
    for (index, (group, layout)) in groups.iter().zip(&layouts).enumerate() {
        let signals = read_group(&values, &data, group, layout, index)?;
        record.signals.extend(signals);
    }
    name_uniquely(&mut record.signals);
    filters_into_readings(&mut record, layouts.first().map_or(0, |l| l.channels));
    let labels: Vec<String> = record.signals.iter().map(|s| s.label.clone()).collect();
    read_annotations(&values, &root, &layouts, &labels, &mut record)?;
    Ok(record)
}

/// Maps a file and decodes it (samples are decoded from the map on demand).
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let data = SharedBytes::map_file(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    decode(&name, data, opts)
}

/// The shape of one multiplex group, checked against its Waveform Data.
struct GroupLayout {
    context: String,
    label: Option<String>,
    channels: usize,
    samples: usize,
    fs: f64,
    encoding: SampleEncoding,
    storage: String,
    data: std::ops::Range<usize>,
    padding: Option<i32>,
}

impl GroupLayout {
    fn read(values: &ValueReader<'_>, group: &DataSet, index: usize) -> Result<Self> {
        let context = format!("waveform sequence item {}", index + 1);
        let ctx = context.as_str();
        let channels = values.required_unsigned(group, tags::NUMBER_OF_CHANNELS, 2, ctx)?;
        let samples = values.required_unsigned(group, tags::NUMBER_OF_SAMPLES, 4, ctx)?;
        if channels == 0 {
            let element = group
                .get(tags::NUMBER_OF_CHANNELS)
                .ok_or_else(|| missing(tags::NUMBER_OF_CHANNELS, ctx))?;
            return Err(invalid(
                tags::NUMBER_OF_CHANNELS,
                ctx,
                element,
                "0",
                "at least one channel",
            ));
        }
        let fs = values
            .decimal(group, tags::SAMPLING_FREQUENCY, ctx)?
            .ok_or_else(|| missing(tags::SAMPLING_FREQUENCY, ctx))?;
        if fs <= 0.0 {
            let element = group
                .get(tags::SAMPLING_FREQUENCY)
                .ok_or_else(|| missing(tags::SAMPLING_FREQUENCY, ctx))?;
            return Err(invalid(
                tags::SAMPLING_FREQUENCY,
                ctx,
                element,
                &fs.to_string(),
                "a positive frequency in Hz",
            ));
        }
        let bits = values.required_unsigned(group, tags::BITS_ALLOCATED, 2, ctx)?;
        let interpretation = values
            .text(group, tags::SAMPLE_INTERPRETATION)
            .ok_or_else(|| missing(tags::SAMPLE_INTERPRETATION, ctx))?;
        let encoding = SampleEncoding::from_dicom(bits, &interpretation).ok_or_else(|| {
            Error::Unsupported {
                what: format!(
                    "Waveform Bits Allocated {bits} with Waveform Sample Interpretation {interpretation:?} (read: 8-bit SB/UB/MB/AB, 16-bit SS/US, 32-bit SL/UL)"
                ),
                context: context.clone(),
            }
        })?;
        let data_element = group
            .get(tags::WAVEFORM_DATA)
            .ok_or_else(|| missing(tags::WAVEFORM_DATA, ctx))?;
        let data = match &data_element.value {
            part10::Value::Bytes(range) => range.clone(),
            part10::Value::Items(_) => {
                return Err(invalid(
                    tags::WAVEFORM_DATA,
                    ctx,
                    data_element,
                    "a sequence",
                    "sample bytes",
                ));
            }
        };
        let needed = u64::from(channels)
            .saturating_mul(u64::from(samples))
            .saturating_mul(encoding.bytes() as u64);
        if (data.len() as u64) < needed {
            return Err(Error::Truncated {
                offset: data_element.offset as u64,
                what: format!(
                    "{context}: Waveform Data of {channels} channels x {samples} samples x {} bytes",
                    encoding.bytes()
                ),
                needed,
                available: data.len() as u64,
            });
        }
        let padding = match group.get(tags::PADDING_VALUE) {
            Some(element) => {
                let bytes = values.bytes(element);
                match bytes.get(..encoding.bytes()) {
                    Some(b) => encoding.decode(b),
                    None => {
                        return Err(invalid(
                            tags::PADDING_VALUE,
                            ctx,
                            element,
                            &format!("{} bytes", bytes.len()),
                            "one sample of the group's encoding",
                        ));
                    }
                }
            }
            None => None,
        };
        let channels = usize::try_from(channels).map_err(|_| Error::LimitExceeded {
            what: "waveform channels",
            requested: u64::from(channels),
            limit: usize::MAX as u64,
        })?;
        let samples = usize::try_from(samples).map_err(|_| Error::LimitExceeded {
            what: "waveform samples",
            requested: u64::from(samples),
            limit: usize::MAX as u64,
        })?;
        Ok(GroupLayout {
            label: values.text(group, tags::GROUP_LABEL),
            context,
            channels,
            samples,
            fs,
            encoding,
            storage: format!("{bits}-bit {interpretation}"),
            data,
            padding,
        })
    }
}

fn read_group(
    values: &ValueReader<'_>,
    file: &SharedBytes,
    group: &DataSet,
    layout: &GroupLayout,
    index: usize,
) -> Result<Vec<Signal>> {
    let ctx = layout.context.as_str();
    let definitions = group.items(tags::CHANNEL_DEFINITIONS);
    if definitions.len() != layout.channels {
        let found = format!("{} items", definitions.len());
        return Err(match group.get(tags::CHANNEL_DEFINITIONS) {
            Some(element) => invalid(
                tags::CHANNEL_DEFINITIONS,
                ctx,
                element,
                &found,
                "one item per waveform channel",
            ),
            None => missing(tags::CHANNEL_DEFINITIONS, ctx),
        });
    }
    let data = file
        .slice(layout.data.clone())
        .ok_or_else(|| Error::Truncated {
            offset: layout.data.start as u64,
            what: format!("{ctx}: Waveform Data"),
            needed: layout.data.len() as u64,
            available: file.len().saturating_sub(layout.data.start) as u64,
        })?;
    if layout.encoding == SampleEncoding::UnsignedLong {
        let width = layout.encoding.bytes();
        let used = layout.channels * layout.samples * width;
        if let Some(at) = data[..used]
            .chunks_exact(width)
            .position(|c| layout.encoding.decode(c).is_none())
        {
            return Err(Error::Unsupported {
                what: format!(
                    "unsigned 32-bit sample {} of channel {} above 2^31-1",
                    at / layout.channels,
                    at % layout.channels + 1
                ),
                context: layout.context.clone(),
            });
        }
    }
    let time_offset = values.decimal(group, tags::GROUP_TIME_OFFSET, ctx)?;
    let mut signals = Vec::with_capacity(layout.channels);
    for (channel, def) in definitions.iter().enumerate() {
        let cctx = format!("{ctx}, channel definition {}", channel + 1);
        let c = cctx.as_str();
        let source = def.items(tags::CHANNEL_SOURCE).first();
        let text = |set: Option<&DataSet>, attr: Attr| set.and_then(|s| values.text(s, attr));
        let code = text(source, tags::CODE_VALUE).unwrap_or_default();
        let scheme = text(source, tags::CODING_SCHEME).unwrap_or_default();
        let meaning = text(source, tags::CODE_MEANING).unwrap_or_default();
        let channel_label = values.text(def, tags::CHANNEL_LABEL);
        let lead = lead_label(&code, &scheme, &meaning)
            .or_else(|| channel_label.clone())
            .or_else(|| (!meaning.is_empty()).then(|| meaning.clone()))
            .unwrap_or_else(|| format!("channel {}", channel + 1));
        let label = if index == 0 {
            lead
        } else {
            match &layout.label {
                Some(g) => format!("{lead} {}", g.to_lowercase()),
                None => format!("{lead} group{}", index + 1),
            }
        };
        let sensitivity = values.decimal(def, tags::SENSITIVITY, c)?;
        let correction = values.decimal(def, tags::CORRECTION_FACTOR, c)?;
        let baseline = values.decimal(def, tags::BASELINE, c)?;
        let factor = sensitivity.unwrap_or(1.0) * correction.unwrap_or(1.0);
        if factor == 0.0 || !factor.is_finite() {
            let attr = if sensitivity == Some(0.0) {
                tags::SENSITIVITY
            } else {
                tags::CORRECTION_FACTOR
            };
            let element = def.get(attr).ok_or_else(|| missing(attr, c))?;
            return Err(invalid(
                attr,
                c,
                element,
                &factor.to_string(),
                "a non-zero sensitivity",
            ));
        }
        let units = def.items(tags::SENSITIVITY_UNITS).first();
        let unit = text(units, tags::CODE_VALUE).unwrap_or_default();
        let source = InterleavedChannel {
            data: data.clone(),
            channels: layout.channels,
            channel,
            len: layout.samples,
            encoding: layout.encoding,
            label: label.clone(),
        };
        let mut signal = Signal::new(
            label,
            layout.fs,
            unit,
            Samples::from_source(Arc::new(source)),
        );
        // physical = raw x sensitivity x correction + baseline (PS3.3 C.10.9.1.4.3)
        signal.scale = Scale::Gain {
            gain: 1.0 / factor,
            baseline: -baseline.unwrap_or(0.0) / factor,
        };
        signal.missing_value = layout.padding;
        let meta = &mut signal.meta;
        meta.storage = Some(layout.storage.clone());
        meta.adc_resolution = values
            .unsigned(def, tags::BITS_STORED, 2, c)?
            .first()
            .copied();
        let fields = &mut meta.fields;
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                fields.insert(key.to_string(), v);
            }
        };
        put("multiplex_group", Some((index + 1).to_string()));
        put("multiplex_group_label", layout.label.clone());
        put("channel", Some((channel + 1).to_string()));
        put("channel_label", channel_label);
        put("lead_code", (!code.is_empty()).then_some(code));
        put("coding_scheme", (!scheme.is_empty()).then_some(scheme));
        put("code_meaning", (!meaning.is_empty()).then_some(meaning));
        put("sensitivity", sensitivity.map(|v| v.to_string()));
        put("sensitivity_units", text(units, tags::CODE_VALUE));
        put("correction_factor", correction.map(|v| v.to_string()));
        put("baseline", baseline.map(|v| v.to_string()));
        let skew = values.decimal(def, tags::SAMPLE_SKEW, c)?;
        put("sample_skew_ms", skew.map(|v| v.to_string()));
        put("group_time_offset_ms", time_offset.map(|v| v.to_string()));
        let low = values.decimal(def, tags::FILTER_LOW, c)?;
        let high = values.decimal(def, tags::FILTER_HIGH, c)?;
        let notch = values.decimal(def, tags::NOTCH, c)?;
        put("filter_low_hz", low.map(|v| v.to_string()));
        put("filter_high_hz", high.map(|v| v.to_string()));
        put("notch_hz", notch.map(|v| v.to_string()));
        let prefilter: Vec<String> = [("HP", low), ("LP", high), ("N", notch)]
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}:{v}Hz")))
            .collect();
        if !prefilter.is_empty() {
            meta.prefilter = Some(prefilter.join(" "));
        }
        signals.push(signal);
    }
    Ok(signals)
}

/// Makes labels unique by appending ` (2)`, ` (3)`... to later duplicates.
fn name_uniquely(signals: &mut [Signal]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in signals.iter_mut() {
        let n = seen.entry(s.label.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.label = format!("{} ({n})", s.label);
        }
    }
}

/// Filters shared by every channel of the first group become the record's filters
/// (Filter Low Frequency is the high-pass corner, Filter High Frequency the low-pass one).
fn filters_into_readings(record: &mut Record, first_group_channels: usize) {
    let shared = |key: &str| -> Option<f64> {
        let mut values = record.signals[..first_group_channels]
            .iter()
            .map(|s| s.meta.fields.get(key).and_then(|v| v.parse::<f64>().ok()));
        let first = values.next()??;
        (first > 0.0 && values.all(|v| v == Some(first))).then_some(first)
    };
    let (hp, lp, notch) = (
        shared("filter_low_hz"),
        shared("filter_high_hz"),
        shared("notch_hz"),
    );
    record.readings.highpass_hz = hp;
    record.readings.lowpass_hz = lp;
    record.readings.notch_hz = notch;
}

fn read_patient(values: &ValueReader<'_>, root: &DataSet, record: &mut Record) {
    let p = &mut record.personal;
    p.patient_id = values.text(root, tags::PATIENT_ID);
    if let Some(name) = values.text(root, tags::PATIENT_NAME) {
        // PN: family^given^middle^prefix^suffix, alphabetic representation first.
        let alphabetic = name.split('=').next().unwrap_or(&name).to_string();
        let parts: Vec<&str> = alphabetic.split('^').map(str::trim).collect();
        let family = parts.first().copied().filter(|s| !s.is_empty());
        let given = parts.get(1).copied().filter(|s| !s.is_empty());
        p.last_name = family.map(str::to_string);
        p.first_name = given.map(str::to_string);
        let full: Vec<&str> = [given, parts.get(2).copied(), family]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        p.name = Some(if full.is_empty() {
            alphabetic
        } else {
            full.join(" ")
        });
    }
    p.birth_date = values.date(root, tags::BIRTH_DATE);
    p.sex = values
        .text(root, tags::SEX)
        .and_then(|s| match s.to_ascii_uppercase().as_str() {
            "M" => Some(ecg_core::Sex::Male),
            "F" => Some(ecg_core::Sex::Female),
            "O" => Some(ecg_core::Sex::Unspecified),
            _ => None,
        });
    p.age_years = values.text(root, tags::AGE).and_then(|a| {
        let unit = a.chars().last()?;
        let n: f64 = a[..a.len() - unit.len_utf8()].trim().parse().ok()?;
        Some(match unit {
            'Y' => n,
            'M' => n / 12.0,
            'W' => n * 7.0 / 365.25,
            'D' => n / 365.25,
            _ => return None,
        })
    });
    let number = |attr: Attr| {
        values
            .text(root, attr)
            .and_then(|t| t.split('\\').next()?.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    p.height_cm = number(tags::SIZE).map(|m| m * 100.0);
    p.weight_kg = number(tags::WEIGHT);
}

fn read_acquisition(
    values: &ValueReader<'_>,
    root: &DataSet,
    record: &mut Record,
    sop_class: &str,
    transfer_syntax: &str,
) {
    let date_time = |date: Attr, time: Attr| {
        values
            .date(root, date)
            .map(|d| (d, values.time(root, time)))
    };
    let start = values
        .datetime(root, tags::ACQUISITION_DATETIME)
        .or_else(|| date_time(tags::ACQUISITION_DATE, tags::ACQUISITION_TIME))
        .or_else(|| date_time(tags::CONTENT_DATE, tags::CONTENT_TIME))
        .or_else(|| date_time(tags::STUDY_DATE, tags::STUDY_TIME));
    if let Some((date, time)) = start {
        record.start_date = Some(date);
        record.start_time = time;
    }
    let r = &mut record.readings;
    r.manufacturer = values.text(root, tags::MANUFACTURER);
    r.device = values.text(root, tags::MODEL);
    r.serial_number = values.text(root, tags::SERIAL_NUMBER);
    r.software_version = values.text(root, tags::SOFTWARE_VERSIONS);
    r.institution = values.text(root, tags::INSTITUTION);
    r.department = values.text(root, tags::DEPARTMENT);
    r.technician = values.text(root, tags::OPERATORS);
    r.referring_physician = values.text(root, tags::REFERRING_PHYSICIAN);
    r.admin_code = values.text(root, tags::ACCESSION_NUMBER);
    let other = &mut r.other;
    other.insert("sop_class_uid".into(), sop_class.to_string());
    other.insert("sop_class".into(), sop_class_name(sop_class).to_string());
    other.insert("transfer_syntax_uid".into(), transfer_syntax.to_string());
    for (key, attr) in [
        ("modality", tags::MODALITY),
        ("station_name", tags::STATION_NAME),
        ("study_description", tags::STUDY_DESCRIPTION),
    ] {
        if let Some(v) = values.text(root, attr) {
            other.insert(key.into(), v);
        }
    }
    if let Some(d) = values.date(root, tags::STUDY_DATE) {
        other.insert("study_date".into(), d.to_string());
    }
    if let Some(t) = values.time(root, tags::STUDY_TIME) {
        other.insert("study_time".into(), t.to_string());
    }
}

/// Waveform Annotation Sequence items: numeric values become measurements, items with
/// Referenced Sample Positions annotations (and events for segments), items with
/// Referenced Time Offsets events, the rest statements.
fn read_annotations(
    values: &ValueReader<'_>,
    root: &DataSet,
    layouts: &[GroupLayout],
    labels: &[String],
    record: &mut Record,
) -> Result<()> {
    let mut sets: BTreeMap<usize, AnnotationSet> = BTreeMap::new();
    for (index, item) in root.items(tags::ANNOTATIONS).iter().enumerate() {
        let ctx = format!("waveform annotation item {}", index + 1);
        let c = ctx.as_str();
        let concept = |attr: Attr| {
            let set = item.items(attr).first()?;
            Some((
                values.text(set, tags::CODE_VALUE),
                values.text(set, tags::CODE_MEANING),
            ))
        };
        let name = concept(tags::CONCEPT_NAME);
        let coded = concept(tags::CONCEPT_CODE);
        let text = values
            .text(item, tags::UNFORMATTED_TEXT)
            .or_else(|| coded.as_ref().and_then(|(v, m)| m.clone().or(v.clone())))
            .or_else(|| name.as_ref().and_then(|(v, m)| m.clone().or(v.clone())))
            .unwrap_or_default();
        let refs = values.unsigned(item, tags::REFERENCED_CHANNELS, 2, c)?;
        let (group, channel) = match refs.as_slice() {
            [g, ch, ..] => (*g as usize, *ch as usize),
            _ => (1, 0),
        };
        let layout_index = group.saturating_sub(1).min(layouts.len().saturating_sub(1));
        let fs = layouts.get(layout_index).map_or(1.0, |l| l.fs);
        let first_signal: usize = layouts[..layout_index].iter().map(|l| l.channels).sum();
        let lead = (channel > 0)
            .then(|| labels.get(first_signal + channel - 1))
            .flatten()
            .cloned();
        let range_type = values
            .text(item, tags::TEMPORAL_RANGE_TYPE)
            .unwrap_or_default();
        let segments = matches!(range_type.as_str(), "SEGMENT" | "MULTISEGMENT");
        if let Some(value) = values.decimal(item, tags::NUMERIC_VALUE, c)? {
            let units = item.items(tags::MEASUREMENT_UNITS).first();
            let label = name
                .as_ref()
                .and_then(|(v, m)| m.clone().or(v.clone()))
                .unwrap_or_else(|| text.clone());
            record.classification.measurements.push(Measurement {
                name: label,
                lead,
                value,
                unit: units.and_then(|u| values.text(u, tags::CODE_VALUE)),
            });
            continue;
        }
        let positions = values.unsigned(item, tags::SAMPLE_POSITIONS, 4, c)?;
        if !positions.is_empty() {
            let set = sets.entry(layout_index).or_insert_with(|| AnnotationSet {
                annotator: if layout_index == 0 {
                    ANNOTATOR.to_string()
                } else {
                    format!("{ANNOTATOR}_g{}", layout_index + 1)
                },
                fs: Some(fs),
                annotations: Vec::new(),
            });
            for &p in &positions {
                let mut a = Annotation::new(i64::from(p) - 1, AnnotationCode::NOTE);
                a.chan = u8::try_from(channel.saturating_sub(1)).unwrap_or(u8::MAX);
                a.aux = Some(text.clone());
                set.annotations.push(a);
            }
            if segments {
                for pair in positions.chunks_exact(2) {
                    record.classification.events.push(Event {
                        onset_s: (f64::from(pair[0]) - 1.0) / fs,
                        duration_s: Some((f64::from(pair[1]) - f64::from(pair[0])) / fs),
                        text: text.clone(),
                    });
                }
            }
            continue;
        }
        let offsets = values.decimals(item, tags::TIME_OFFSETS, c)?;
        if !offsets.is_empty() {
            if segments {
                for pair in offsets.chunks_exact(2) {
                    record.classification.events.push(Event {
                        onset_s: pair[0],
                        duration_s: Some(pair[1] - pair[0]),
                        text: text.clone(),
                    });
                }
            } else {
                for &t in &offsets {
                    record.classification.events.push(Event {
                        onset_s: t,
                        duration_s: None,
                        text: text.clone(),
                    });
                }
            }
            continue;
        }
        if !text.is_empty() {
            record.classification.statements.push(Statement {
                code: coded
                    .and_then(|(v, _)| v)
                    .or_else(|| name.and_then(|(v, _)| v)),
                text,
                source: Some(ANNOTATOR.to_string()),
            });
        }
    }
    record.classification.annotations.extend(sets.into_values());
    Ok(())
}
