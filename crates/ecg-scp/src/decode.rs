//! The decoder: from record bytes to an [`ecg_core::Record`].

use std::path::Path;

use ecg_core::{
    Annotation, AnnotationCode, AnnotationSet, DecodeOptions, Record, Samples, Scale, SharedBytes,
    Signal,
};

use crate::bimodal::{expand, lead_zones, stored_count};
use crate::encoded_leads::{EncodedLeads, parse_encoded_leads, undo_differences};
use crate::error::{Error, Result};
use crate::huffman::{HuffmanTables, parse_huffman_tables};
use crate::lead_definition::{LeadDefinition, lead_name, parse_lead_definition};
use crate::measurements::{parse_global_measurements, parse_lead_measurements};
use crate::patient_header::{PatientHeader, parse_patient_header};
use crate::qrs_locations::{QrsLocations, parse_qrs_locations};
use crate::reference_beat::add_reference_beat;
use crate::statements::parse_statements;
use crate::structure::{Structure, is_standard_section, parse_structure};
use crate::text::TextEncoding;

/// Digital value of "no sample here" in leads padded to a common time axis (leads that
/// section 3 places at different times).
pub const MISSING_SAMPLE: i32 = i32::MIN;

/// Annotator name of the QRS locations of section 4.
pub const QRS_ANNOTATOR: &str = "scp-qrs";

/// Decodes an SCP-ECG record held in `data`; `name` becomes the record name.
///
/// `opts.strict` refuses CRC mismatches; lenient options decode anyway and say so in
/// [`Record::warnings`]. `opts.limits.max_samples` bounds the samples of all leads.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let mut warnings = Vec::new();
    let record = decode_bytes(name, &data, opts, &mut warnings)?;
    Ok(record_with_warnings(record, warnings))
}

/// Reads (memory-maps) the file at `path` and decodes it; the record is named after the
/// file name.
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let data = SharedBytes::map_file(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    decode(&name, data, opts)
}

fn record_with_warnings(mut record: Record, warnings: Vec<String>) -> Record {
    for w in warnings {
        record.warn(w);
    }
    record
}

/// Formats a protocol version byte (20 -> "2.0").
fn version_string(v: u8) -> String {
    format!("{}.{}", v / 10, v % 10)
}

/// A short description of how a section stores its samples.
fn storage(enc: &EncodedLeads<'_>, tables: Option<&HuffmanTables>, bimodal: bool) -> String {
    let coding = match tables {
        None => "int16",
        Some(t) if t.is_default => "huffman-default",
        Some(_) => "huffman-custom",
    };
    let mut s = format!("scp/{coding}/d{}", enc.difference);
    if bimodal {
        s.push_str("/bimodal");
    }
    s
}

fn decode_bytes(
    name: &str,
    data: &[u8],
    opts: &DecodeOptions,
    warnings: &mut Vec<String>,
) -> Result<Record> {
    let st = parse_structure(data, opts.strict, warnings)?;
    let header = match st.section(1) {
        Some(s) => parse_patient_header(s, warnings),
        None => {
            warnings.push("section 1 (patient and acquisition data) is absent".into());
            PatientHeader::default()
        }
    };
    let protocol = if st.protocol != 0 {
        st.protocol
    } else {
        header.protocol_revision
    };
    if protocol >= 30 {
        for s in st.sections.iter().filter(|s| (12..=18).contains(&s.id)) {
            warnings.push(format!(
                "section {} (an SCP-ECG 3.0 section beyond the resting ECG) is not decoded",
                s.id
            ));
        }
    }

    let s3 = st.section(3).ok_or(Error::MissingSection {
        section: 3,
        why: "it defines the leads",
    })?;
    let leads = parse_lead_definition(s3, warnings)?;
    let tables = st.section(2).map(parse_huffman_tables).transpose()?;
    let qrs = st
        .section(4)
        .map(|s| parse_qrs_locations(s, warnings))
        .transpose()?;

    let Some(s6) = st.section(6) else {
        if protocol >= 30 && st.section(12).is_some() {
            return Err(Error::Unsupported {
                section: 12,
                what: "long-term ECG rhythm data (SCP-ECG 3.0 section 12) without section 6".into(),
            });
        }
        return Err(Error::MissingSection {
            section: 6,
            why: "it holds the rhythm data",
        });
    };
    let rhythm = parse_encoded_leads(s6, leads.leads.len(), warnings)?;
    let bimodal = match (rhythm.byte6, protocol >= 30) {
        (0, _) => false,
        (b, true) => {
            warnings.push(format!(
                "section 6 byte 6 is {b}; it is reserved in SCP-ECG {} and ignored",
                version_string(protocol)
            ));
            false
        }
        (1, false) => true,
        (b, false) => {
            warnings.push(format!(
                "section 6 bimodal compression flag is {b} (0 or 1 expected); treated as 0"
            ));
            false
        }
    };

    let needs_reference = leads.reference_beat_subtraction || bimodal;
    let reference = if needs_reference {
        st.section(5)
            .map(|s| parse_encoded_leads(s, leads.leads.len(), warnings))
            .transpose()?
    } else {
        None
    };
    if bimodal && (qrs.is_none() || reference.is_none()) {
        return Err(Error::MissingSection {
            section: if qrs.is_none() { 4 } else { 5 },
            why: "bimodal compression needs the protected areas (section 4) and the full-rate \
                  sample interval (section 5)",
        });
    }
    let subtract = leads.reference_beat_subtraction && qrs.is_some() && reference.is_some();
    if leads.reference_beat_subtraction && !subtract {
        warnings.push(format!(
            "section 3 flags reference beat subtraction but section {} is absent: the rhythm \
             data are output as stored (residuals if the flag is right)",
            if qrs.is_none() { 4 } else { 5 }
        ));
    }

    // Full-rate sample interval and decimation factor.
    let (interval, factor) = match (&reference, bimodal) {
        (Some(r), true) => {
            if r.interval_us == 0 || rhythm.interval_us % r.interval_us != 0 {
                return Err(Error::Malformed {
                    section: 6,
                    offset: s6.body_offset() + 2,
                    expected: format!(
                        "with bimodal compression, a sample interval that is a multiple of \
                         section 5's {} us, found {} us",
                        r.interval_us, rhythm.interval_us
                    ),
                });
            }
            let d = (rhythm.interval_us / r.interval_us) as usize;
            if d > 16 {
                return Err(Error::Unsupported {
                    section: 6,
                    what: format!("a bimodal decimation factor of {d} (at most 16)"),
                });
            }
            (r.interval_us, d)
        }
        _ => (rhythm.interval_us, 1),
    };
    if interval == 0 {
        return Err(Error::Malformed {
            section: 6,
            offset: s6.body_offset() + 2,
            expected: "a sample time interval above 0 us".into(),
        });
    }
    if let (Some(r), true, false) = (&reference, subtract, bimodal)
        && r.interval_us != rhythm.interval_us
    {
        return Err(Error::Malformed {
            section: 5,
            offset: st.section(5).map(|s| s.body_offset() + 2).unwrap_or(0),
            expected: format!(
                "the rhythm data's sample interval ({} us) for the reference beat to be added, found {} us",
                rhythm.interval_us, r.interval_us
            ),
        });
    }
    let fs = 1e6 / interval as f64;

    // Resource bound before any sample allocation.
    let total: u64 = leads.leads.iter().map(|l| l.declared_len()).sum();
    if total > opts.limits.max_samples {
        return Err(Error::LimitExceeded {
            what: "samples of all leads (section 3)",
            requested: total,
            limit: opts.limits.max_samples,
        });
    }

    let qrs_ref = qrs.as_ref();
    let reference_beats = match (&reference, subtract) {
        (Some(r), true) => Some(decode_reference_beats(
            r,
            tables.as_ref(),
            qrs_ref,
            opts.strict,
            warnings,
        )?),
        _ => None,
    };

    let mut signals = Vec::with_capacity(leads.leads.len());
    for (k, lead) in leads.leads.iter().enumerate() {
        let declared = lead.declared_len() as usize;
        let zones = if bimodal {
            lead_zones(
                qrs_ref.map(|q| q.protected.as_slice()).unwrap_or(&[]),
                lead.start,
                declared,
            )
        } else {
            Vec::new()
        };
        let expected = if bimodal {
            stored_count(declared, &zones, factor)
        } else {
            declared
        };
        let mut values =
            rhythm.stored_values(k, tables.as_ref(), expected, opts.strict, warnings)?;
        if bimodal && values.len() < expected {
            return Err(Error::Malformed {
                section: 6,
                offset: rhythm.leads[k].0,
                expected: format!(
                    "lead {}: {expected} values for {declared} samples with protected areas and                      decimation by {factor}, found {}",
                    k + 1,
                    values.len()
                ),
            });
        }
        if values.len() != expected {
            warnings.push(format!(
                "section 6, lead {} ({}): section 3 declares {declared} samples (sample {} to {}) \
                 but the lead's {} bytes hold {} values; {} are used",
                k + 1,
                lead_name(lead.code),
                lead.start,
                lead.end,
                rhythm.leads[k].1.len(),
                values.len(),
                values.len().min(expected)
            ));
            values.truncate(expected);
        }
        undo_differences(&mut values, rhythm.difference);
        let mut samples = if bimodal {
            expand(&values, declared, &zones, factor)
        } else {
            values
        };
        if let (Some(beats), Some(q), Some(r)) = (&reference_beats, qrs_ref, &reference)
            && let Some(beat) = beats.get(k)
        {
            add_reference_beat(
                &mut samples,
                lead.start,
                beat,
                q.reference_fiducial,
                &q.complexes,
                Some((r.avm_nv, rhythm.avm_nv)),
            )
            .map_err(|what| Error::Malformed {
                section: 4,
                offset: st.section(4).map(|s| s.body_offset()).unwrap_or(0),
                expected: format!("lead {}: {what}", k + 1),
            })?;
        }
        let mut signal = Signal::new(lead_name(lead.code), fs, "uV", Samples::from_vec(samples));
        if rhythm.avm_nv > 0 {
            signal.scale = Scale::Gain {
                gain: 1000.0 / rhythm.avm_nv as f64,
                baseline: 0.0,
            };
        } else {
            signal.unit = String::new();
        }
        signal.meta.storage = Some(storage(&rhythm, tables.as_ref(), bimodal));
        let fields = &mut signal.meta.fields;
        fields.insert("scp_lead_code".into(), lead.code.to_string());
        fields.insert("scp_start_sample".into(), lead.start.to_string());
        fields.insert("scp_end_sample".into(), lead.end.to_string());
        fields.insert("scp_avm_nv".into(), rhythm.avm_nv.to_string());
        if subtract {
            fields.insert("scp_reference_beat_added".into(), "true".into());
        }
        signals.push(signal);
    }
    if rhythm.avm_nv == 0 {
        warnings.push(
            "section 6 amplitude value multiplier is 0: the physical scale is unknown, samples \
             are given in file units with gain 1 and no unit"
                .into(),
        );
    }
    align_leads(&mut signals, &leads, warnings)?;

    let mut record = Record::new(name, "scp");
    record.signals = signals;
    record.personal = header.personal;
    record.readings = header.readings;
    record.start_date = header.date;
    record.start_time = header.time;
    fill_readings(&mut record, &st, protocol, &leads, &rhythm, bimodal, factor);
    fill_classification(
        &mut record,
        &st,
        header.encoding,
        qrs_ref,
        &leads,
        fs,
        warnings,
    );
    Ok(record)
}

/// Decodes reference beat type 0 of every lead (section 5).
fn decode_reference_beats(
    r: &EncodedLeads<'_>,
    tables: Option<&HuffmanTables>,
    qrs: Option<&QrsLocations>,
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<Vec<i32>>> {
    if r.interval_us == 0 {
        return Err(Error::Malformed {
            section: 5,
            offset: 0,
            expected: "a sample time interval above 0 us".into(),
        });
    }
    let ms = qrs.map(|q| q.reference_length_ms as u64).unwrap_or(0);
    let count = (ms * 1000 / r.interval_us as u64) as usize;
    let mut beats = Vec::with_capacity(r.leads.len());
    for k in 0..r.leads.len() {
        let mut v = r.stored_values(k, tables, count, strict, warnings)?;
        if tables.is_none() && v.len() != count {
            warnings.push(format!(
                "section 5, lead {}: {} values stored, {count} expected from the reference beat \
                 length of {ms} ms",
                k + 1,
                v.len()
            ));
        }
        undo_differences(&mut v, r.difference);
        beats.push(v);
    }
    Ok(beats)
}

/// Puts leads that section 3 places at different sample numbers on one time axis, padding
/// with [`MISSING_SAMPLE`] (set as each signal's `missing_value`).
fn align_leads(
    signals: &mut [Signal],
    leads: &LeadDefinition,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let starts: Vec<u64> = leads.leads.iter().map(|l| l.start as u64).collect();
    let first = starts.iter().copied().min().unwrap_or(0);
    let span_end = signals
        .iter()
        .zip(&starts)
        .map(|(s, &st)| st - first + s.len() as u64)
        .max()
        .unwrap_or(0);
    if signals
        .iter()
        .zip(&starts)
        .all(|(s, &st)| st == first && s.len() as u64 == span_end)
    {
        return Ok(());
    }
    let stored: u64 = signals.iter().map(|s| s.len() as u64).sum();
    if span_end > stored {
        warnings.push(format!(
            "section 3 spreads the leads over {span_end} sample positions, more than the {stored} \
             samples stored; leads are left unaligned (see each signal's scp_start_sample)"
        ));
        return Ok(());
    }
    for (s, &st) in signals.iter_mut().zip(&starts) {
        let before = (st - first) as usize;
        let after = span_end as usize - before - s.len();
        if before == 0 && after == 0 {
            continue;
        }
        let own = s.samples.to_vec()?;
        let mut v = Vec::with_capacity(span_end as usize);
        v.resize(before, MISSING_SAMPLE);
        v.extend_from_slice(&own);
        v.resize(span_end as usize, MISSING_SAMPLE);
        s.samples = Samples::from_vec(v);
        s.missing_value = Some(MISSING_SAMPLE);
    }
    Ok(())
}

fn fill_readings(
    record: &mut Record,
    st: &Structure<'_>,
    protocol: u8,
    leads: &LeadDefinition,
    rhythm: &EncodedLeads<'_>,
    bimodal: bool,
    factor: usize,
) {
    let o = &mut record.readings.other;
    o.insert(
        "scp_version".into(),
        if protocol == 0 {
            "unknown".into()
        } else {
            version_string(protocol)
        },
    );
    o.insert(
        "scp_sections".into(),
        st.sections
            .iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    let vendor: Vec<String> = st
        .sections
        .iter()
        .filter(|s| !is_standard_section(s.id, protocol))
        .map(|s| format!("{} ({} bytes)", s.id, s.body.len() + 16))
        .collect();
    if !vendor.is_empty() {
        o.insert("scp_manufacturer_sections".into(), vendor.join(", "));
    }
    o.insert(
        "scp_difference_encoding".into(),
        rhythm.difference.to_string(),
    );
    o.insert(
        "scp_sample_interval_us".into(),
        rhythm.interval_us.to_string(),
    );
    if bimodal {
        o.insert("scp_bimodal_decimation_factor".into(), factor.to_string());
    }
    o.insert(
        "scp_reference_beat_subtraction".into(),
        leads.reference_beat_subtraction.to_string(),
    );
    o.insert(
        "scp_simultaneous_leads".into(),
        leads.simultaneous_count.to_string(),
    );
    if !st.record_crc_ok || !st.crc_failures.is_empty() {
        let mut bad: Vec<String> = st
            .crc_failures
            .iter()
            .map(|s| format!("section {s}"))
            .collect();
        if !st.record_crc_ok {
            bad.insert(0, "record".into());
        }
        o.insert("scp_crc_mismatch".into(), bad.join(","));
    }
}

fn fill_classification(
    record: &mut Record,
    st: &Structure<'_>,
    encoding: TextEncoding,
    qrs: Option<&QrsLocations>,
    leads: &LeadDefinition,
    fs: f64,
    warnings: &mut Vec<String>,
) {
    let c = &mut record.classification;
    if let Some(s) = st.section(7) {
        let g = parse_global_measurements(s, warnings);
        c.measurements.extend(g.measurements);
        c.events.extend(g.spikes);
        if let Some(f) = g.qtc_formula {
            record.readings.other.insert("qtc_formula".into(), f);
        }
    }
    if let Some(s) = st.section(10) {
        c.measurements.extend(parse_lead_measurements(s, warnings));
    }
    for id in [8, 11] {
        if let Some(s) = st.section(id) {
            c.statements.extend(parse_statements(s, encoding, warnings));
        }
    }
    if let Some(q) = qrs
        && !q.complexes.is_empty()
    {
        let first = leads.leads.iter().map(|l| l.start).min().unwrap_or(1) as i64;
        let annotations = q
            .complexes
            .iter()
            .filter(|x| x.fiducial > 0)
            .map(|x| Annotation {
                sub: i8::try_from(x.beat_type).unwrap_or(i8::MAX),
                ..Annotation::new(x.fiducial as i64 - first, AnnotationCode::NORMAL)
            })
            .collect();
        c.annotations.push(AnnotationSet {
            annotator: QRS_ANNOTATOR.into(),
            fs: Some(fs),
            annotations,
        });
    }
}
