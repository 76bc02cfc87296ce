//! Multi-segment records: a master header lists segment records (and `~` gaps); the
//! record's signals are the segments' signals laid end to end.
//!
//! - Fixed layout: every segment has the same signals; signal `i` of each segment is
//!   signal `i` of the record, its stored values passed through unchanged.
//! - Variable layout: the first segment is a layout header of length 0 defining the
//!   record's signals (name, gain, baseline, units). A segment's signal is matched by
//!   name and rescaled to the layout's gain and baseline (as the WFDB library's
//!   `sigmap()` does, but rounded to the nearest unit rather than truncated). Signals a
//!   segment lacks, and `~` gaps, are missing samples.

use std::fmt;
use std::sync::Arc;

use ecg_core::{SampleSource, Samples, Scale, Signal};

use crate::DecodeContext;
use crate::error::{Error, Result};
use crate::header::{Header, SegmentSpec, parse_header};
use crate::signal_format::WFDB_INVALID_SAMPLE;
use crate::single_segment::{ConstantSource, DecodedSignals, Policy, decode_signals};

/// Most (segment, signal) pairs a multi-segment record may have (each costs a few dozen
/// bytes before any sample is read).
const MAX_PARTS: u64 = 4 << 20;

/// How one segment contributes to one record signal.
#[derive(Clone)]
enum Part {
    /// Missing samples.
    Gap,
    /// Samples of a segment signal.
    Mapped {
        samples: Samples,
        /// The segment signal's own missing-value marker.
        invalid: Option<i32>,
        /// `v * scale + offset`, rounded; identity when `None`.
        rescale: Option<(f64, f64)>,
    },
}

/// A record signal made of segment signals (lazy: segments decode on demand).
struct SegmentedSource {
    label: String,
    /// `(first sample, length, part)` in order.
    parts: Vec<(usize, usize, Part)>,
    len: usize,
    missing: i32,
}

impl fmt::Debug for SegmentedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SegmentedSource")
            .field("signal", &self.label)
            .field("segments", &self.parts.len())
            .field("samples", &self.len)
            .finish()
    }
}

impl SampleSource for SegmentedSource {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, start: usize, out: &mut [i32]) -> ecg_core::Result<()> {
        let end = match start.checked_add(out.len()) {
            Some(e) if e <= self.len => e,
            _ => {
                return Err(ecg_core::Error::OutOfRange {
                    range: start..start.saturating_add(out.len()),
                    len: self.len,
                });
            }
        };
        // First part that ends after `start`.
        let mut k = self.parts.partition_point(|(s, l, _)| s + l <= start);
        let mut pos = start;
        while pos < end {
            let Some((pstart, plen, part)) = self.parts.get(k) else {
                out[pos - start..].fill(self.missing);
                break;
            };
            let upto = (pstart + plen).min(end);
            let dst = &mut out[pos - start..upto - start];
            match part {
                Part::Gap => dst.fill(self.missing),
                Part::Mapped {
                    samples,
                    invalid,
                    rescale,
                } => {
                    let local = pos - pstart;
                    let have = samples.len().saturating_sub(local).min(dst.len());
                    let (inside, beyond) = dst.split_at_mut(have);
                    beyond.fill(self.missing);
                    if !inside.is_empty() {
                        samples.read(local, inside)?;
                    }
                    for v in inside.iter_mut() {
                        if Some(*v) == *invalid {
                            *v = self.missing;
                        } else if let Some((scale, offset)) = rescale {
                            let x = (f64::from(*v) * scale + offset).round();
                            *v = x.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
                        }
                    }
                }
            }
            pos = upto;
            k += 1;
        }
        Ok(())
    }
}

/// A loaded segment.
struct Loaded {
    spec: SegmentSpec,
    header: Option<Header>,
    decoded: Option<DecodedSignals>,
}

/// The signals of a multi-segment record, plus warnings and the frame count.
pub(crate) fn decode_multi_segment(
    master: &Header,
    ctx: &DecodeContext<'_>,
) -> Result<DecodedSignals> {
    let file = master.file.as_str();
    let max_samples = ctx.opts.limits.max_samples;
    let mut warnings = Vec::new();
    let stated_sum: u64 = master
        .segments
        .iter()
        .fold(0u64, |a, s| a.saturating_add(s.frames));
    let frames = master.frames.unwrap_or(stated_sum);
    if master.frames.is_some_and(|f| f != stated_sum) {
        warnings.push(format!(
            "{file}, line {}: the record length ({frames}) differs from the sum of the \
             segment lengths ({stated_sum})",
            master.record_line
        ));
    }
    let bound = frames.saturating_mul(master.signal_count.max(1) as u64);
    if bound > max_samples {
        return Err(Error::limit(
            file,
            "samples of the record (frames x signals)",
            bound,
            max_samples,
        ));
    }
    let eager = frames.saturating_mul(master.signal_count as u64) <= ctx.read.eager_sample_limit;
    let verify =
        frames.saturating_mul(master.signal_count as u64) <= ctx.read.checksum_sample_limit;
    let policy = Policy {
        eager: Some(eager),
        verify: Some(verify),
    };

    let parts = (master.segments.len() as u64).saturating_mul(master.signal_count as u64);
    if parts > MAX_PARTS {
        return Err(Error::limit(
            file,
            "segments x signals of a multi-segment record",
            parts,
            MAX_PARTS,
        ));
    }
    let variable = master
        .segments
        .first()
        .is_some_and(|s| !s.is_null() && s.frames == 0);

    let mut loaded = Vec::with_capacity(master.segments.len().min(1 << 16));
    for (k, spec) in master.segments.iter().enumerate() {
        if spec.is_null() {
            loaded.push(Loaded {
                spec: spec.clone(),
                header: None,
                decoded: None,
            });
            continue;
        }
        let name = format!("{}.hea", spec.name);
        let Some(bytes) = ctx.pool.get(&name) else {
            let err = Error::MissingFile {
                file: file.to_string(),
                line: spec.line,
                missing: name,
            };
            if ctx.opts.strict {
                return Err(err);
            }
            warnings.push(format!("{err}; its samples read as missing values"));
            loaded.push(Loaded {
                spec: spec.clone(),
                header: None,
                decoded: None,
            });
            continue;
        };
        let header = parse_header(&name, &bytes)?;
        if header.is_multi_segment() {
            return Err(Error::Segment {
                file: file.to_string(),
                line: spec.line,
                message: format!(
                    "segment `{}` is itself a multi-segment record (nesting is not allowed)",
                    spec.name
                ),
            });
        }
        let is_layout = variable && k == 0;
        let decoded = if is_layout {
            None
        } else {
            match decode_signals(&header, ctx, policy) {
                Ok(d) => Some(d),
                Err(e @ Error::LimitExceeded { .. }) => return Err(e),
                Err(e) if !ctx.opts.strict => {
                    warnings.push(format!(
                        "segment `{}` (line {} of {file}): {e}; its samples read as missing \
                         values",
                        spec.name, spec.line
                    ));
                    None
                }
                Err(e) => return Err(e),
            }
        };
        if let Some(d) = &decoded {
            warnings.extend(d.warnings.iter().cloned());
            if d.frames != spec.frames {
                warnings.push(format!(
                    "{file}, line {}: segment `{}` has {} frames, the master header says {}",
                    spec.line, spec.name, d.frames, spec.frames
                ));
            }
        }
        loaded.push(Loaded {
            spec: spec.clone(),
            header: Some(header),
            decoded,
        });
    }

    // The record's signal definitions.
    struct Def {
        signal: Signal,
        spf: u64,
    }
    let defs: Vec<Def> = if variable {
        let Some(layout) = loaded.first().and_then(|l| l.header.as_ref()) else {
            // The layout header itself is missing (lenient mode): nothing to define
            // the signals with.
            return Err(Error::Segment {
                file: file.to_string(),
                line: master
                    .segments
                    .first()
                    .map_or(master.record_line, |s| s.line),
                message: "the layout segment is missing, so the signals are unknown".into(),
            });
        };
        layout
            .signals
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let label = s.label(&layout.record_name, i);
                let signal = crate::single_segment::make_signal(
                    master,
                    s,
                    label,
                    Samples::from_vec(Vec::new()),
                    Some(WFDB_INVALID_SAMPLE),
                );
                Def {
                    signal,
                    spf: u64::from(s.samples_per_frame),
                }
            })
            .collect()
    } else if let Some(d) = loaded.iter().find_map(|l| l.decoded.as_ref()) {
        d.signals
            .iter()
            .zip(&d.samples_per_frame)
            .map(|(s, &spf)| {
                let mut signal = s.clone();
                signal.fs = master.frame_frequency * f64::from(spf);
                signal.meta.checksum = None;
                signal.meta.initial_value = None;
                Def {
                    signal,
                    spf: u64::from(spf),
                }
            })
            .collect()
    } else {
        // No segment could be read, so nothing says what the signals are.
        let err = Error::Segment {
            file: file.to_string(),
            line: master.record_line,
            message: "no segment could be read to define the signals".into(),
        };
        if ctx.opts.strict && !master.segments.iter().all(SegmentSpec::is_null) {
            return Err(err);
        }
        warnings.push(format!("{err}; the record has no signals"));
        Vec::new()
    };
    let total: u64 = defs
        .iter()
        .map(|d| frames.saturating_mul(d.spf))
        .fold(0u64, u64::saturating_add);
    if total > max_samples {
        return Err(Error::limit(
            file,
            "samples of the record (frames x signals)",
            total,
            max_samples,
        ));
    }

    let mut signals = Vec::with_capacity(defs.len());
    for (i, def) in defs.into_iter().enumerate() {
        let spf = def.spf as usize;
        let len = (frames as usize).saturating_mul(spf);
        let (layout_gain, layout_base) = match def.signal.scale {
            Scale::Gain { gain, baseline } => (gain, baseline),
            Scale::Range { .. } => (1.0, 0.0),
        };
        // The record's missing-value marker: the segments' common one in a fixed layout
        // (stored values pass through unchanged), WFDB_INVALID_SAMPLE otherwise.
        let mut parts = Vec::with_capacity(loaded.len());
        let mut markers: Vec<Option<i32>> = Vec::new();
        let mut start = 0usize;
        for l in &loaded {
            let plen = (l.spec.frames as usize).saturating_mul(spf);
            let part = match (&l.decoded, variable) {
                (None, _) => Part::Gap,
                (Some(d), false) => match d.signals.get(i).zip(d.samples_per_frame.get(i)) {
                    Some((s, &sspf)) if sspf as usize == spf => {
                        markers.push(s.missing_value);
                        Part::Mapped {
                            samples: s.samples.clone(),
                            invalid: s.missing_value,
                            rescale: None,
                        }
                    }
                    Some((s, sspf)) => {
                        warnings.push(format!(
                            "segment `{}`: signal {i} ({}) has {sspf} samples per frame, \
                             the record {spf}; read as missing",
                            l.spec.name, s.label
                        ));
                        Part::Gap
                    }
                    None => Part::Gap,
                },
                (Some(d), true) => {
                    match d
                        .signals
                        .iter()
                        .zip(&d.samples_per_frame)
                        .find(|(s, _)| s.label.trim() == def.signal.label.trim())
                    {
                        Some((s, &sspf)) if sspf as usize == spf => {
                            let (g, b) = match s.scale {
                                Scale::Gain { gain, baseline } => (gain, baseline),
                                Scale::Range { .. } => (1.0, 0.0),
                            };
                            let scale = layout_gain / g;
                            let offset = layout_base - scale * b;
                            Part::Mapped {
                                samples: s.samples.clone(),
                                invalid: s.missing_value,
                                rescale: (scale != 1.0 || offset != 0.0).then_some((scale, offset)),
                            }
                        }
                        Some((s, sspf)) => {
                            warnings.push(format!(
                                "segment `{}`: signal {} has {sspf} samples per frame, the \
                                 layout {spf}; read as missing",
                                l.spec.name, s.label
                            ));
                            Part::Gap
                        }
                        None => Part::Gap,
                    }
                }
            };
            if plen > 0 {
                parts.push((start, plen, part));
            }
            start = start.saturating_add(plen);
        }
        let missing =
            if !variable && !markers.is_empty() && markers.iter().all(|m| *m == markers[0]) {
                markers[0].unwrap_or(WFDB_INVALID_SAMPLE)
            } else {
                WFDB_INVALID_SAMPLE
            };
        let mut signal = def.signal;
        signal.missing_value = Some(missing);
        signal.samples = if parts.iter().all(|(_, _, p)| matches!(p, Part::Gap)) {
            Samples::from_source(Arc::new(ConstantSource {
                len,
                value: missing,
            }))
        } else {
            Samples::from_source(Arc::new(SegmentedSource {
                label: signal.label.clone(),
                parts,
                len,
                missing,
            }))
        };
        if variable {
            signal.meta.storage = None;
            signal.meta.checksum = None;
            signal.meta.initial_value = None;
            signal.meta.fields.remove("file");
        }
        signal
            .meta
            .fields
            .insert("segments".to_string(), master.segments.len().to_string());
        signals.push(signal);
    }
    let mut files = Vec::new();
    for l in &loaded {
        if let Some(d) = &l.decoded {
            files.extend(d.files.iter().cloned());
        }
    }
    let samples_per_frame = signals
        .iter()
        .map(|s| (s.fs / master.frame_frequency).round().max(1.0) as u32)
        .collect();
    Ok(DecodedSignals {
        signals,
        samples_per_frame,
        frames,
        warnings,
        files,
    })
}
