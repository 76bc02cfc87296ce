//! The signals of a single-segment record: signal files resolved from the pool, frames
//! counted, checksums verified, samples decoded eagerly (small records) or on demand.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use ecg_core::{SampleSource, Samples, Scale, Signal, SignalMeta};

use crate::DecodeContext;
use crate::error::{Error, Result};
use crate::flac::decode_flac;
use crate::header::{Header, SignalSpec};
use crate::signal_file::{SignalFile, StoredSignal, checksum_of, checksum16};
use crate::signal_format::{SignalFormat, WFDB_INVALID_SAMPLE};

/// Signals of one record (or segment), with the frame count they share.
pub(crate) struct DecodedSignals {
    /// The signals in header order.
    pub signals: Vec<Signal>,
    /// Samples per frame of each signal.
    pub samples_per_frame: Vec<u32>,
    /// Frames (samples per signal at the frame rate).
    pub frames: u64,
    /// Things tolerated in lenient mode, or checks skipped.
    pub warnings: Vec<String>,
    /// Names of the signal files used (so they are not mistaken for annotation files).
    pub files: Vec<String>,
}

/// How a caller wants samples held and checksums checked; `None` lets the record's size
/// decide (see [`crate::ReadOptions`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Policy {
    /// Decode into memory now (`Some(true)`) or on demand (`Some(false)`).
    pub eager: Option<bool>,
    /// Verify checksums.
    pub verify: Option<bool>,
}

/// A signal of all-missing samples (format 0, or a gap).
pub(crate) struct ConstantSource {
    pub len: usize,
    pub value: i32,
}

impl fmt::Debug for ConstantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConstantSource({} x {})", self.len, self.value)
    }
}

impl SampleSource for ConstantSource {
    fn len(&self) -> usize {
        self.len
    }
    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        if start.checked_add(out.len()).is_none_or(|e| e > self.len) {
            return Err(ecg_core::Error::OutOfRange {
                range: start..start.saturating_add(out.len()),
                len: self.len,
            });
        }
        out.fill(self.value);
        Ok(())
    }
}

/// What one group of consecutive signal lines naming the same file resolved to.
enum GroupData {
    /// Format 0: nothing stored.
    Null,
    /// An uncompressed signal file.
    Stored(Arc<SignalFile>),
    /// A FLAC file, decoded: one channel per signal.
    Flac(Vec<Vec<i32>>),
}

struct Group<'h> {
    specs: Vec<(usize, &'h SignalSpec)>,
    data: GroupData,
}

impl Group<'_> {
    /// Complete frames the group's data holds (`None` for null groups).
    fn frames(&self) -> Option<u64> {
        match &self.data {
            GroupData::Null => None,
            GroupData::Stored(f) => Some(f.frames),
            GroupData::Flac(ch) => {
                let spf = u64::from(self.specs[0].1.samples_per_frame);
                Some(ch.first().map_or(0, |c| c.len() as u64 / spf))
            }
        }
    }
}

/// Groups consecutive signal lines that name the same file, as `readheader()` does.
fn group_specs(header: &Header) -> Vec<Vec<(usize, &SignalSpec)>> {
    let mut groups: Vec<Vec<(usize, &SignalSpec)>> = Vec::new();
    for (i, s) in header.signals.iter().enumerate() {
        match groups.last_mut() {
            Some(g)
                if s.format != SignalFormat::Null
                    && g[0].1.format != SignalFormat::Null
                    && g[0].1.file_name == s.file_name =>
            {
                g.push((i, s))
            }
            _ => groups.push(vec![(i, s)]),
        }
    }
    groups
}

/// Decodes the signals of a single-segment header.
pub(crate) fn decode_signals(
    header: &Header,
    ctx: &DecodeContext<'_>,
    policy: Policy,
) -> Result<DecodedSignals> {
    let file = header.file.as_str();
    let max_samples = ctx.opts.limits.max_samples;
    let mut warnings = Vec::new();
    let mut files = Vec::new();

    // A header's own frame count bounds everything before any file is touched.
    let spf_sum: u64 = header
        .signals
        .iter()
        .map(|s| u64::from(s.samples_per_frame))
        .sum();
    if let Some(frames) = header.frames {
        let total = frames.saturating_mul(spf_sum);
        if total > max_samples {
            return Err(Error::limit(
                file,
                "samples of the record (frames x signals)",
                total,
                max_samples,
            ));
        }
    }

    let mut groups = Vec::new();
    for specs in group_specs(header) {
        let first = specs[0].1;
        let data = if first.format == SignalFormat::Null {
            GroupData::Null
        } else {
            let bytes = ctx
                .pool
                .get(&first.file_name)
                .ok_or_else(|| Error::MissingFile {
                    file: file.to_string(),
                    line: first.line,
                    missing: first.file_name.clone(),
                })?;
            files.push(first.file_name.clone());
            if first.format.is_flac() {
                if let Some((_, odd)) = specs
                    .iter()
                    .find(|(_, s)| s.samples_per_frame != first.samples_per_frame)
                {
                    return Err(Error::header(
                        file,
                        odd.line,
                        format!(
                            "all signals of FLAC file `{}` must have the same samples per \
                             frame ({} on line {}, {} here)",
                            first.file_name,
                            first.samples_per_frame,
                            first.line,
                            odd.samples_per_frame
                        ),
                    ));
                }
                let decoded = decode_flac(
                    &first.file_name,
                    &bytes,
                    first.format,
                    specs.len(),
                    first.byte_offset,
                    max_samples,
                )?;
                GroupData::Flac(decoded.channels)
            } else {
                let frame_len = specs
                    .iter()
                    .map(|(_, s)| s.samples_per_frame as usize)
                    .sum();
                GroupData::Stored(Arc::new(SignalFile::new(
                    &first.file_name,
                    &bytes,
                    first.byte_offset,
                    first.format,
                    frame_len,
                )))
            }
        };
        groups.push(Group { specs, data });
    }

    let frames = match header.frames {
        Some(f) => f,
        None => groups.iter().filter_map(Group::frames).min().unwrap_or(0),
    };
    let total = frames.saturating_mul(spf_sum);
    if total > max_samples {
        return Err(Error::limit(
            file,
            "samples of the record (frames x signals)",
            total,
            max_samples,
        ));
    }

    // Truncated signal files.
    for g in &groups {
        if let Some(avail) = g.frames()
            && avail < frames
        {
            let first = g.specs[0].1;
            let offset = match &g.data {
                GroupData::Stored(f) => f.end_offset(),
                _ => 0,
            };
            let err = Error::Truncated {
                file: first.file_name.clone(),
                offset,
                header: file.to_string(),
                line: first.line,
                expected_frames: frames,
                available_frames: avail,
            };
            if ctx.opts.strict {
                return Err(err);
            }
            warnings.push(format!("{err}; the missing samples read as missing values"));
        }
    }

    let eager = policy.eager.unwrap_or(total <= ctx.read.eager_sample_limit);
    let verify = policy
        .verify
        .unwrap_or(total <= ctx.read.checksum_sample_limit);
    if !verify && header.frames.is_some() && header.signals.iter().any(|s| s.checksum.is_some()) {
        warnings.push(format!(
            "{file}: checksums not verified (the record holds {total} samples, more than \
             the {} verified at open)",
            ctx.read.checksum_sample_limit
        ));
    }

    let mut signals = Vec::with_capacity(header.signals.len());
    for g in &groups {
        let mut offset_in_frame = 0usize;
        for &(index, spec) in &g.specs {
            let spf = spec.samples_per_frame as usize;
            let len = (frames as usize).saturating_mul(spf);
            let label = spec.label(&header.record_name, index);
            let skew = spec.skew_frames();
            let (samples, missing, checksum) = match &g.data {
                GroupData::Null => (
                    Samples::from_source(Arc::new(ConstantSource {
                        len,
                        value: WFDB_INVALID_SAMPLE,
                    })),
                    Some(WFDB_INVALID_SAMPLE),
                    None,
                ),
                GroupData::Stored(sf) if spec.format == SignalFormat::Difference8 => {
                    let (v, padded, cks) = decode_differences(sf, spec, offset_in_frame, frames);
                    (
                        Samples::from_vec(v),
                        padded.then_some(WFDB_INVALID_SAMPLE),
                        cks,
                    )
                }
                GroupData::Stored(sf) => {
                    let fill = spec.format.invalid_value().unwrap_or(WFDB_INVALID_SAMPLE);
                    let source = StoredSignal::new(
                        Arc::clone(sf),
                        &label,
                        offset_in_frame,
                        spf,
                        skew,
                        frames,
                        fill,
                    );
                    let mut checksum = None;
                    let samples = if eager {
                        let mut v = ecg_core::zeroed_samples(len);
                        source.decode(0, &mut v);
                        if verify && skew == 0 && source.stored_len() == len {
                            checksum =
                                Some(checksum16(v.iter().map(|&x| i64::from(x)).sum::<i64>()));
                        }
                        Samples::from_vec(v)
                    } else {
                        Samples::from_source(Arc::new(source))
                    };
                    if verify && checksum.is_none() && spec.checksum.is_some() {
                        let unskewed = StoredSignal::new(
                            Arc::clone(sf),
                            &label,
                            offset_in_frame,
                            spf,
                            0,
                            frames,
                            fill,
                        );
                        checksum = Some(checksum_of(&unskewed));
                    }
                    (samples, Some(fill), checksum)
                }
                GroupData::Flac(channels) => {
                    let pos = g.specs.iter().position(|(i, _)| *i == index).unwrap_or(0);
                    let ch = channels.get(pos).map(Vec::as_slice).unwrap_or(&[]);
                    let fill = spec.format.invalid_value().unwrap_or(WFDB_INVALID_SAMPLE);
                    let shift = (skew as usize).saturating_mul(spf);
                    let mut v = vec![fill; len];
                    let avail = ch.len().saturating_sub(shift).min(len);
                    v[..avail].copy_from_slice(&ch[shift..shift + avail]);
                    let stored = ch.len().min(len);
                    let cks = checksum16(ch[..stored].iter().map(|&x| i64::from(x)).sum());
                    (Samples::from_vec(v), Some(fill), Some(cks))
                }
            };
            if verify
                && header.frames.is_some()
                && let (Some(expected), Some(computed)) = (spec.checksum, checksum)
                && expected != computed
            {
                let err = Error::Checksum {
                    file: file.to_string(),
                    line: spec.line,
                    data_file: spec.file_name.clone(),
                    signal: index,
                    label: label.clone(),
                    expected,
                    computed,
                };
                if ctx.opts.strict {
                    return Err(err);
                }
                warnings.push(err.to_string());
            }
            signals.push(make_signal(header, spec, label, samples, missing));
            offset_in_frame += spf;
        }
    }
    Ok(DecodedSignals {
        signals,
        samples_per_frame: header.signals.iter().map(|s| s.samples_per_frame).collect(),
        frames,
        warnings,
        files,
    })
}

/// Decodes a format 8 signal: stored differences summed from the initial value. Returns
/// the samples, whether any had to be padded as missing, and the checksum of the stored
/// (unskewed) samples.
fn decode_differences(
    sf: &Arc<SignalFile>,
    spec: &SignalSpec,
    offset: usize,
    frames: u64,
) -> (Vec<i32>, bool, Option<i32>) {
    let spf = spec.samples_per_frame as usize;
    let skew = spec.skew_frames();
    let raw_frames = frames.saturating_add(skew).min(sf.frames);
    let raw = StoredSignal::new(Arc::clone(sf), "", offset, spf, 0, raw_frames, 0);
    let mut diffs = vec![0i32; raw.len()];
    raw.decode(0, &mut diffs);
    let mut acc = i64::from(spec.initial_value);
    let mut cks: i64 = 0;
    let checked = (frames as usize).saturating_mul(spf);
    for (i, d) in diffs.iter_mut().enumerate() {
        acc += i64::from(*d);
        let v = acc.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        if i < checked {
            cks += i64::from(v);
        }
        *d = v;
    }
    let len = checked;
    let shift = (skew as usize).saturating_mul(spf).min(diffs.len());
    let mut v: Vec<i32> = diffs.split_off(shift);
    let padded = v.len() < len;
    v.resize(len, WFDB_INVALID_SAMPLE);
    (v, padded, Some(checksum16(cks)))
}

/// Builds the record-model signal for a signal line.
pub(crate) fn make_signal(
    header: &Header,
    spec: &SignalSpec,
    label: String,
    samples: Samples,
    missing_value: Option<i32>,
) -> Signal {
    let mut fields = BTreeMap::new();
    fields.insert("file".to_string(), spec.file_name.clone());
    fields.insert(
        "samples_per_frame".to_string(),
        spec.samples_per_frame.to_string(),
    );
    if spec.skew != 0 {
        fields.insert("skew".to_string(), spec.skew.to_string());
    }
    if spec.byte_offset != 0 {
        fields.insert("byte_offset".to_string(), spec.byte_offset.to_string());
    }
    if spec.block_size != 0 {
        fields.insert("block_size".to_string(), spec.block_size.to_string());
    }
    if spec.gain == 0.0 {
        fields.insert("calibrated".to_string(), "false".to_string());
    }
    Signal {
        label,
        fs: header.frame_frequency * f64::from(spec.samples_per_frame),
        unit: spec.units.clone().unwrap_or_else(|| "mV".to_string()),
        samples,
        scale: Scale::Gain {
            gain: spec.effective_gain(),
            baseline: f64::from(spec.baseline),
        },
        missing_value,
        meta: SignalMeta {
            storage: Some(spec.format.code().to_string()),
            adc_resolution: Some(spec.adc_resolution),
            adc_zero: Some(spec.adc_zero),
            initial_value: Some(spec.initial_value),
            checksum: spec.checksum,
            fields,
            ..Default::default()
        },
    }
}
