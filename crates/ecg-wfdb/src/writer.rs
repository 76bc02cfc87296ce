//! Writing records: a header, one signal file holding every signal in one format, and an
//! MIT annotation file per annotation set.

use std::fmt::Write as _;

use ecg_core::{Record, Scale, Sex, Signal};

use crate::annotation::write_annotations;
use crate::error::{Error, Result};
use crate::signal_file::checksum16;
use crate::signal_format::{SignalFormat, encode_stream};

/// The frame rate and samples per frame that express every signal's frequency: the
/// largest `min_fs / k` (k up to 10 000) of which every frequency is a whole multiple.
fn frame_layout(signals: &[Signal]) -> Option<(f64, Vec<u32>)> {
    let min = signals.iter().map(|s| s.fs).fold(f64::INFINITY, f64::min);
    if !(min > 0.0 && min.is_finite()) {
        return None;
    }
    'k: for k in 1..=10_000u32 {
        let f = min / f64::from(k);
        let mut spf = Vec::with_capacity(signals.len());
        for s in signals {
            let r = s.fs / f;
            let n = r.round();
            if (r - n).abs() > 1e-6 * n.max(1.0) || n < 1.0 || n > f64::from(u32::MAX) {
                continue 'k;
            }
            spf.push(n as u32);
        }
        return Some((f, spf));
    }
    None
}

/// The smallest writable format whose range holds every stored value of the record
/// (missing samples aside): 212, then 16, 24, 32. A convenience for exporters.
pub fn suggest_format(record: &Record) -> Result<SignalFormat> {
    let mut lo = i32::MAX;
    let mut hi = i32::MIN;
    for s in &record.signals {
        let st = s.stats()?;
        if let (Some(a), Some(b)) = (st.digital_min, st.digital_max) {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    for f in [
        SignalFormat::Packed212,
        SignalFormat::Int16,
        SignalFormat::Int24,
        SignalFormat::Int32,
    ] {
        let (min, max) = f.value_range();
        if lo > min && hi <= max {
            return Ok(f);
        }
    }
    Ok(SignalFormat::Int32)
}

fn is_plain_token(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '\\')
}

/// Writes `record` as WFDB record `name`: `name.hea`, `name.dat` (all signals interleaved
/// in `format`), and `name.EXT` for each annotation set (EXT = its annotator). Returns
/// the files as (file name, contents), header first.
///
/// Stored values must fit the format, and must not equal its missing-value marker unless
/// they are the signal's missing samples (which are written as the format's marker);
/// see [`suggest_format`]. Signals of different frequencies become a multi-frequency
/// record; shorter signals are padded with missing samples.
pub fn write_record(
    record: &Record,
    name: &str,
    format: SignalFormat,
) -> Result<Vec<(String, Vec<u8>)>> {
    let hea = format!("{name}.hea");
    let werr = |file: &str, message: String| Error::Write {
        file: file.to_string(),
        message,
    };
    if !is_plain_token(name) {
        return Err(werr(
            &hea,
            format!("record name `{name}` must be one word without a directory"),
        ));
    }
    if !SignalFormat::WRITABLE.contains(&format) {
        return Err(werr(
            &hea,
            format!("format {} cannot be written", format.code()),
        ));
    }
    let dat = format!("{name}.dat");
    let signals = &record.signals;
    let (frame_fs, spfs) = if signals.is_empty() {
        (250.0, Vec::new())
    } else {
        frame_layout(signals).ok_or_else(|| {
            werr(
                &hea,
                "the signals' sampling frequencies have no common frame rate".to_string(),
            )
        })?
    };
    let frames = signals
        .iter()
        .zip(&spfs)
        .map(|(s, &spf)| s.len().div_ceil(spf as usize))
        .max()
        .unwrap_or(0);
    let (fmin, fmax) = format.value_range();
    let sentinel = format.invalid_value();

    // Stored values per signal, padded to whole frames.
    let mut stored: Vec<Vec<i32>> = Vec::with_capacity(signals.len());
    for (i, (s, &spf)) in signals.iter().zip(&spfs).enumerate() {
        let mut v = s.samples.to_vec()?;
        let len = frames * spf as usize;
        let missing_fill = || {
            sentinel.ok_or_else(|| {
                werr(
                    &dat,
                    format!(
                        "signal {i} ({}) has missing samples, which format {} cannot mark",
                        s.label,
                        format.code()
                    ),
                )
            })
        };
        for (k, x) in v.iter_mut().enumerate() {
            if Some(*x) == s.missing_value {
                *x = missing_fill()?;
            } else if format == SignalFormat::Difference8 {
                // Checked as differences below.
            } else if *x < fmin || *x > fmax || Some(*x) == sentinel {
                return Err(werr(
                    &dat,
                    format!(
                        "signal {i} ({}), sample {k}: value {x} does not fit format {} \
                         ({}..={fmax}{})",
                        s.label,
                        format.code(),
                        if sentinel == Some(fmin) {
                            fmin + 1
                        } else {
                            fmin
                        },
                        if sentinel.is_some() {
                            format!(", {fmin} marks missing samples")
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
        }
        if v.len() < len {
            let fill = missing_fill()?;
            v.resize(len, fill);
        }
        stored.push(v);
    }

    // Interleave frame by frame.
    let frame_len: usize = spfs.iter().map(|&s| s as usize).sum();
    let mut stream = Vec::with_capacity(frames * frame_len);
    if format == SignalFormat::Difference8 {
        let mut prev: Vec<i32> = stored
            .iter()
            .map(|v| v.first().copied().unwrap_or(0))
            .collect();
        for f in 0..frames {
            for (i, (v, &spf)) in stored.iter().zip(&spfs).enumerate() {
                for s in 0..spf as usize {
                    let k = f * spf as usize + s;
                    let d = i64::from(v[k]) - i64::from(prev[i]);
                    if !(-128..=127).contains(&d) {
                        return Err(werr(
                            &dat,
                            format!(
                                "signal {i} ({}), sample {k}: step {d} does not fit format 8 \
                                 (-128..=127)",
                                signals[i].label
                            ),
                        ));
                    }
                    stream.push(d as i32);
                    prev[i] = v[k];
                }
            }
        }
    } else {
        for f in 0..frames {
            for (v, &spf) in stored.iter().zip(&spfs) {
                let spf = spf as usize;
                stream.extend_from_slice(&v[f * spf..(f + 1) * spf]);
            }
        }
    }
    let data = encode_stream(format, &stream);

    // Header.
    let mut h = String::new();
    let _ = write!(h, "{name} {} {} {frames}", signals.len(), frame_fs);
    if let Some(t) = record.start_time {
        let _ = write!(h, " {}", t.format("%H:%M:%S%.f"));
        if let Some(d) = record.start_date {
            let _ = write!(h, " {}", d.format("%d/%m/%Y"));
        }
    }
    h.push_str("\r\n");
    for (i, (s, &spf)) in signals.iter().zip(&spfs).enumerate() {
        let (gain, baseline) = match s.scale {
            Scale::Gain { gain, baseline } => (gain, baseline),
            Scale::Range { .. } => {
                let (slope, intercept) = s.scale.linear();
                (1.0 / slope, -intercept / slope)
            }
        };
        if !(gain.is_finite() && gain != 0.0 && baseline.is_finite()) {
            return Err(werr(
                &hea,
                format!("signal {i} ({}) has no finite non-zero gain", s.label),
            ));
        }
        let baseline = baseline.round();
        if baseline.abs() > f64::from(i32::MAX) {
            return Err(werr(
                &hea,
                format!(
                    "signal {i} ({}): baseline {baseline} is out of range",
                    s.label
                ),
            ));
        }
        let v = &stored[i];
        let initial = v.first().copied().unwrap_or(0);
        let checksum = checksum16(v.iter().map(|&x| i64::from(x)).sum());
        let fmt_field = if spf > 1 {
            format!("{}x{spf}", format.code())
        } else {
            format.code().to_string()
        };
        let unit: String = s
            .unit
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect();
        let units = if unit.is_empty() {
            String::new()
        } else {
            format!("/{unit}")
        };
        let adc_res = s.meta.adc_resolution.unwrap_or(format.bits());
        let adc_zero = s.meta.adc_zero.unwrap_or(0);
        let label: String = s
            .label
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        let _ = write!(
            h,
            "{dat} {fmt_field} {gain}({}){units} {adc_res} {adc_zero} {initial} {checksum} 0",
            baseline as i64
        );
        if !label.trim().is_empty() {
            let _ = write!(h, " {}", label.trim());
        }
        h.push_str("\r\n");
    }
    // Patient data and comments.
    let p = &record.personal;
    let mut pairs = Vec::new();
    if let Some(a) = p.age_years {
        pairs.push(format!("<age>: {a}"));
    }
    if let Some(s) = p.sex {
        pairs.push(format!(
            "<sex>: {}",
            match s {
                Sex::Male => "M",
                Sex::Female => "F",
                Sex::Unspecified => "U",
            }
        ));
    }
    if !p.medications.is_empty() {
        pairs.push(format!("<medications>: {}", p.medications.join(", ")));
    }
    if !pairs.is_empty() {
        let _ = write!(h, "# {}\r\n", pairs.join(" "));
    }
    for c in &record.readings.comments {
        for line in c.lines() {
            let _ = write!(h, "# {line}\r\n");
        }
    }

    let mut files = vec![(hea.clone(), h.into_bytes())];
    if !signals.is_empty() {
        files.push((dat, data));
    }
    for set in &record.classification.annotations {
        let ext = set.annotator.as_str();
        if !is_plain_token(ext)
            || ext.contains('.')
            || ext.eq_ignore_ascii_case("hea")
            || ext.eq_ignore_ascii_case("dat")
        {
            return Err(werr(
                &hea,
                format!("annotator `{ext}` cannot be used as a file extension"),
            ));
        }
        files.push((format!("{name}.{ext}"), write_annotations(set)?));
    }
    Ok(files)
}
