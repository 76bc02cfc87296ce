//! ISHNE Holter file -> [`ecg_core::Record`], with lazy samples over the file's bytes.

use std::path::Path;
use std::sync::Arc;

use ecg_core::chrono::{NaiveDate, NaiveTime};
use ecg_core::{DecodeOptions, Record, SampleSource, Samples, Scale, Sex, SharedBytes, Signal};

use crate::error::{Error, Result};
use crate::header::{
    ECG_MAGIC, Header, MAX_LEADS, lead_name, lead_quality_name, pacemaker_name, parse, race_name,
};

/// `readings.other` key: the pacemaker code and its meaning (`0 none`).
pub const PACEMAKER: &str = "pacemaker";
/// `readings.other` key: the recorder type (`analog`, `digital`).
pub const RECORDER_TYPE: &str = "recorder_type";
/// `readings.other` key: the variable-length block's text, when not empty.
pub const VARIABLE_BLOCK: &str = "variable_block";
/// `meta.fields` key of a signal: the ISHNE lead specification code.
pub const LEAD_SPEC: &str = "lead_spec";
/// `meta.fields` key of a signal: the lead quality (`1 good`, ...).
pub const LEAD_QUALITY: &str = "lead_quality";
/// `meta.fields` key of a signal: the amplitude resolution in nV.
pub const RESOLUTION_NV: &str = "resolution_nv";

/// One lead's samples in the interleaved 16-bit ECG block, read on demand.
#[derive(Debug)]
struct InterleavedSamples {
    bytes: SharedBytes,
    offset: usize,
    leads: usize,
    lead: usize,
    len: usize,
    label: String,
}

impl SampleSource for InterleavedSamples {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let frame = 2 * self.leads;
        let range = start
            .checked_mul(frame)
            .and_then(|b| b.checked_add(self.offset + 2 * self.lead))
            .and_then(|from| Some(from..from.checked_add((out.len() - 1) * frame + 2)?));
        let Some(block) = range.and_then(|r| self.bytes.get(r)) else {
            return Err(ecg_core::Error::Source {
                signal: self.label.clone(),
                sample: start,
                message: format!(
                    "samples {start}..{} end beyond the file's {} bytes",
                    start + out.len(),
                    self.bytes.len()
                ),
            });
        };
        for (k, o) in out.iter_mut().enumerate() {
            let at = k * frame;
            *o = i32::from(i16::from_le_bytes([block[at], block[at + 1]]));
        }
        Ok(())
    }
}

fn date(dmy: [i16; 3]) -> Option<NaiveDate> {
    let [d, m, y] = dmy;
    NaiveDate::from_ymd_opt(i32::from(y), u32::try_from(m).ok()?, u32::try_from(d).ok()?)
}

fn code_text(code: i16, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{code} {n}"),
        None => code.to_string(),
    }
}

/// Decodes an ISHNE 1.0 Holter ECG file. Samples stay in `data` (a memory map via
/// [`decode_path`]) and are decoded on demand, lead by lead.
///
/// A header CRC mismatch is an error in strict mode and a warning otherwise. The sample
/// count is the header's samples per lead; a file whose header states the total over all
/// leads instead, or holds fewer frames than stated (lenient mode), is read with a
/// warning.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let header = parse(&data, ECG_MAGIC, "Holter")?;
    let mut record = Record::new(name, "ishne");
    if header.crc != header.computed_crc {
        let err = Error::Crc {
            stored: header.crc,
            computed: header.computed_crc,
            end: u64::from(header.ecg_block_offset),
        };
        if opts.strict {
            return Err(err);
        }
        record.warn(format!("{err} (lenient mode: decoded anyway)"));
    }
    let leads = usize::try_from(header.nleads)
        .ok()
        .filter(|n| (1..=MAX_LEADS).contains(n))
        .ok_or(Error::Field {
            field: "number of leads",
            offset: 156,
            value: i64::from(header.nleads),
            expected: "1..=12",
        })?;
    if header.sampling_rate <= 0 {
        return Err(Error::Field {
            field: "sampling rate",
            offset: 272,
            value: i64::from(header.sampling_rate),
            expected: "a rate in Hz > 0",
        });
    }
    let fs = f64::from(header.sampling_rate);
    let offset = header.ecg_block_offset as usize;
    let frame = 2 * leads as u64;
    let available = (data.len() - offset) as u64 / frame;
    let stated = u64::from(header.ecg_size);
    let count = if stated == available {
        stated
    } else if stated == available * leads as u64 && leads > 1 {
        record.warn(format!(
            "the header's ECG size ({stated}) counts the samples of all {leads} leads; {available} per lead read"
        ));
        available
    } else if stated < available {
        record.warn(format!(
            "the header says {stated} samples per lead; {} bytes after them ignored",
            (data.len() - offset) as u64 - stated * frame
        ));
        stated
    } else {
        let err = Error::Truncated {
            stated,
            leads,
            offset: offset as u64,
            available,
        };
        if opts.strict {
            return Err(err);
        }
        record.warn(format!("{err} (lenient mode: the complete frames read)"));
        available
    };
    let total = count.saturating_mul(leads as u64);
    if total > opts.limits.max_samples {
        return Err(Error::LimitExceeded {
            what: "samples in the record",
            requested: total,
            limit: opts.limits.max_samples,
        });
    }
    if !((data.len() - offset) as u64).is_multiple_of(frame) && stated == available {
        record.warn(format!(
            "{} bytes of an incomplete last sample frame ignored",
            (data.len() - offset) as u64 % frame
        ));
    }

    for lead in 0..leads {
        let spec = header.lead_spec[lead];
        let res = header.resolution_nv[lead];
        let label = match lead_name(spec) {
            Some("unknown" | "generic") | None => format!("lead{}", lead + 1),
            Some(n) => n.to_string(),
        };
        let source = InterleavedSamples {
            bytes: data.clone(),
            offset,
            leads,
            lead,
            len: count as usize,
            label: label.clone(),
        };
        let mut signal = Signal::new(
            label.clone(),
            fs,
            "mV",
            Samples::from_source(Arc::new(source)),
        );
        if res > 0 {
            signal.scale = Scale::Gain {
                gain: 1e6 / f64::from(res),
                baseline: 0.0,
            };
        } else {
            record.warn(format!(
                "lead {label}: amplitude resolution {res} nV is not positive; samples left unscaled"
            ));
        }
        signal.meta.storage = Some("ishne16".into());
        signal.meta.adc_resolution = Some(16);
        let fields = &mut signal.meta.fields;
        fields.insert(LEAD_SPEC.into(), spec.to_string());
        fields.insert(
            LEAD_QUALITY.into(),
            code_text(
                header.lead_quality[lead],
                lead_quality_name(header.lead_quality[lead]),
            ),
        );
        fields.insert(RESOLUTION_NV.into(), res.to_string());
        record.signals.push(signal);
    }

    fill_fields(&mut record, &header);
    Ok(record)
}

/// Patient and acquisition fields from the header.
fn fill_fields(record: &mut Record, h: &Header) {
    record.start_date = date(h.record_date);
    let [hh, mm, ss] = h.start_time;
    record.start_time = (|| {
        NaiveTime::from_hms_opt(
            u32::try_from(hh).ok()?,
            u32::try_from(mm).ok()?,
            u32::try_from(ss).ok()?,
        )
    })();
    let p = &mut record.personal;
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    p.first_name = non_empty(&h.first_name);
    p.last_name = non_empty(&h.last_name);
    p.patient_id = non_empty(&h.id);
    p.name = match (&p.first_name, &p.last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    p.sex = match h.sex {
        1 => Some(Sex::Male),
        2 => Some(Sex::Female),
        _ => None,
    };
    p.race = race_name(h.race).map(str::to_string);
    p.birth_date = date(h.birth_date);
    let r = &mut record.readings;
    r.device = non_empty(&h.recorder_type);
    r.other.insert(
        PACEMAKER.into(),
        code_text(h.pacemaker, pacemaker_name(h.pacemaker)),
    );
    if !h.recorder_type.is_empty() {
        r.other
            .insert(RECORDER_TYPE.into(), h.recorder_type.clone());
    }
    if !h.var_block.is_empty() {
        r.other.insert(VARIABLE_BLOCK.into(), h.var_block.clone());
    }
    for (key, value) in [
        ("proprietary", &h.proprietary),
        ("copyright", &h.copyright),
        ("reserved", &h.reserved),
    ] {
        if !value.is_empty() {
            r.other.insert(key.into(), value.clone());
        }
    }
    r.other
        .insert("file_version".into(), h.file_version.to_string());
    if let Some(d) = date(h.file_date) {
        r.other.insert("file_date".into(), d.to_string());
    }
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
