//! Finding leads in a record and reading drawable windows of them: physical values in
//! millivolts, display-filtered (zero phase), baseline removed.

use ecg_analysis::filter::{Biquad, filtfilt};
use ecg_core::{Record, Signal};

use crate::error::{Error, Result};
use crate::options::DisplayFilter;

/// The 12 standard leads in print order.
pub const TWELVE_LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// The standard name of a lead label (`"avr"`, `"Lead aVR"`, `"AVR"` -> `"aVR"`), if it
/// is one of the 12 standard leads.
pub fn canonical_lead(label: &str) -> Option<&'static str> {
    let l = label.trim().to_ascii_lowercase();
    let l = l.strip_prefix("lead").map(str::trim).unwrap_or(&l);
    let l = l.strip_prefix("ecg").map(str::trim).unwrap_or(l);
    TWELVE_LEADS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(l))
        .copied()
}

/// Factor from the signal's unit to millivolts (`None` when the unit is not a voltage).
pub fn to_mv_factor(unit: &str) -> Option<f64> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "mv" | "millivolt" | "millivolts" => Some(1.0),
        "uv" | "µv" | "μv" | "microvolt" | "microvolts" => Some(1e-3),
        "nv" => Some(1e-6),
        "v" | "volt" | "volts" => Some(1e3),
        _ => None,
    }
}

/// Index of the signal of standard lead `name` (case-insensitive, `Lead II` = `II`).
pub fn find_lead(record: &Record, name: &str) -> Option<usize> {
    let want = canonical_lead(name);
    record.signals.iter().position(|s| match want {
        Some(w) => canonical_lead(&s.label) == Some(w),
        None => s.label.eq_ignore_ascii_case(name.trim()),
    })
}

/// The signals a long-term report draws: those in a voltage unit (or, when none is, every
/// signal sampled at 50 Hz or more), in record order.
pub fn ecg_signals(record: &Record) -> Vec<usize> {
    let volt: Vec<usize> = record
        .signals
        .iter()
        .enumerate()
        .filter(|(_, s)| to_mv_factor(&s.unit).is_some() && s.fs > 0.0 && !s.is_empty())
        .map(|(i, _)| i)
        .collect();
    if !volt.is_empty() {
        return volt;
    }
    record
        .signals
        .iter()
        .enumerate()
        .filter(|(_, s)| s.fs >= 50.0 && !s.is_empty())
        .map(|(i, _)| i)
        .collect()
}

/// A drawable window: millivolts (NaN = no sample) at `fs`, starting `t0` seconds into the
/// record.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Samples in mV.
    pub mv: Vec<f32>,
    /// Sampling rate.
    pub fs: f64,
    /// Start, seconds from the record start.
    pub t0: f64,
}

fn read_mv(s: &Signal, start: usize, end: usize) -> Result<Vec<f32>> {
    let k = to_mv_factor(&s.unit).unwrap_or(1.0);
    let phys = s.physical(start..end).map_err(|e| Error::Signal {
        signal: s.label.clone(),
        source: e,
    })?;
    Ok(phys.into_iter().map(|v| (v * k) as f32).collect())
}

/// Samples `[t0, t0 + dur)` of signal `index` in mV, display-filtered with `pad` seconds of
/// extra signal on each side (cut off again) so the filter settles, and with the median
/// removed.
pub fn signal_window(
    record: &Record,
    index: usize,
    t0: f64,
    dur: f64,
    filter: &DisplayFilter,
) -> Result<Trace> {
    let s = record.signals.get(index).ok_or_else(|| Error::NoSignal {
        record: record.name.clone(),
        reason: format!("no signal {index}"),
    })?;
    let fs = s.fs;
    if fs <= 0.0 || !fs.is_finite() {
        return Err(Error::NoSignal {
            record: record.name.clone(),
            reason: format!("signal {:?} has sampling rate {fs}", s.label),
        });
    }
    let n = s.len();
    let pad = if filter.highpass_hz.is_some() {
        2.0
    } else {
        0.0
    };
    let first = ((t0 * fs).round().max(0.0) as usize).min(n);
    let last = (((t0 + dur) * fs).round().max(0.0) as usize).min(n);
    let pad_n = (pad * fs) as usize;
    let lo = first.saturating_sub(pad_n);
    let hi = (last + pad_n).min(n);
    let mut x = read_mv(s, lo, hi)?;
    apply_filter(&mut x, fs, filter);
    let mut mv = x[first - lo..last - lo].to_vec();
    remove_median(&mut mv);
    Ok(Trace {
        mv,
        fs,
        t0: first as f64 / fs,
    })
}

/// Like [`signal_window`] for a standard lead, deriving III, aVR, aVL and aVF from I and II
/// (Einthoven and Goldberger) when the record does not carry them. `Ok(None)` when the
/// lead is neither recorded nor derivable.
pub fn lead_window(
    record: &Record,
    name: &str,
    t0: f64,
    dur: f64,
    filter: &DisplayFilter,
) -> Result<Option<(Trace, bool)>> {
    if let Some(i) = find_lead(record, name) {
        return Ok(Some((signal_window(record, i, t0, dur, filter)?, false)));
    }
    let coefficients = match canonical_lead(name) {
        Some("III") => (-1.0, 1.0),
        Some("aVR") => (-0.5, -0.5),
        Some("aVL") => (1.0, -0.5),
        Some("aVF") => (-0.5, 1.0),
        _ => return Ok(None),
    };
    let (Some(i1), Some(i2)) = (find_lead(record, "I"), find_lead(record, "II")) else {
        return Ok(None);
    };
    let (a, b) = (&record.signals[i1], &record.signals[i2]);
    if a.fs != b.fs || a.len() != b.len() {
        return Ok(None);
    }
    let lead_i = signal_window(record, i1, t0, dur, filter)?;
    let lead_ii = signal_window(record, i2, t0, dur, filter)?;
    let mut mv: Vec<f32> = lead_i
        .mv
        .iter()
        .zip(&lead_ii.mv)
        .map(|(&x, &y)| coefficients.0 * x + coefficients.1 * y)
        .collect();
    remove_median(&mut mv);
    Ok(Some((
        Trace {
            mv,
            fs: lead_i.fs,
            t0: lead_i.t0,
        },
        true,
    )))
}

/// The filter sections `filter` asks for at `fs` (cut-offs the rate cannot carry are
/// left out).
pub fn filter_sections(fs: f64, filter: &DisplayFilter) -> Vec<Biquad> {
    let mut sections = Vec::new();
    if let Some(hp) = filter.highpass_hz
        && hp > 0.0
        && hp < 0.45 * fs
    {
        sections.push(Biquad::highpass(fs, hp));
    }
    if let Some(lp) = filter.lowpass_hz
        && lp > 0.0
        && lp < 0.45 * fs
    {
        sections.push(Biquad::lowpass(fs, lp));
    }
    if let Some(notch) = filter.notch_hz
        && notch > 0.0
        && notch < 0.45 * fs
    {
        sections.push(Biquad::notch(fs, notch, 30.0));
    }
    sections
}

/// Zero-phase filtering; missing samples (NaN) are bridged with the last value for the
/// filter and stay missing.
fn apply_filter(x: &mut [f32], fs: f64, filter: &DisplayFilter) {
    let sections = filter_sections(fs, filter);
    if sections.is_empty() || x.len() < 16 {
        return;
    }
    let missing: Vec<usize> = x
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_finite())
        .map(|(i, _)| i)
        .collect();
    if missing.len() == x.len() {
        return;
    }
    if !missing.is_empty() {
        let mut last = x.iter().copied().find(|v| v.is_finite()).unwrap_or(0.0);
        for v in x.iter_mut() {
            if v.is_finite() {
                last = *v;
            } else {
                *v = last;
            }
        }
    }
    // remove the offset first so the high-pass does not ring on a large DC step
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    for v in x.iter_mut() {
        *v -= mean as f32;
    }
    filtfilt(&sections, x);
    for i in missing {
        x[i] = f32::NAN;
    }
}

fn remove_median(x: &mut [f32]) {
    let mut finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return;
    }
    let mid = finite.len() / 2;
    let (_, m, _) = finite.select_nth_unstable_by(mid, f32::total_cmp);
    let m = *m;
    for v in x.iter_mut() {
        *v -= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::{Samples, Scale};

    #[test]
    fn lead_names_are_recognised_in_any_spelling() {
        assert_eq!(canonical_lead("avr"), Some("aVR"));
        assert_eq!(canonical_lead("Lead II"), Some("II"));
        assert_eq!(canonical_lead(" V6 "), Some("V6"));
        assert_eq!(canonical_lead("MLII"), None);
        assert_eq!(to_mv_factor("uV"), Some(0.001));
        assert_eq!(to_mv_factor("bpm"), None);
    }

    #[test]
    fn limb_leads_are_derived_from_i_and_ii() {
        let mut r = Record::new("t", "test");
        for (label, v) in [("I", 100), ("II", 300)] {
            let mut s = Signal::new(label, 100.0, "uV", Samples::from_vec(vec![v; 200]));
            s.scale = Scale::Gain {
                gain: 1.0,
                baseline: 0.0,
            };
            // a step so the median removal leaves something to compare
            let mut x = vec![0; 200];
            x[150..].fill(v);
            s.samples = Samples::from_vec(x);
            r.signals.push(s);
        }
        let none = DisplayFilter {
            highpass_hz: None,
            lowpass_hz: None,
            notch_hz: None,
        };
        let (avf, derived) = lead_window(&r, "aVF", 0.0, 2.0, &none).unwrap().unwrap();
        assert!(derived);
        // aVF = II - I/2 = 0.3 - 0.05 = 0.25 mV at the step
        assert!((avf.mv[199] - 0.25).abs() < 1e-6, "{}", avf.mv[199]);
        assert!(avf.mv[0].abs() < 1e-6);
        let (ii, derived) = lead_window(&r, "ii", 0.0, 2.0, &none).unwrap().unwrap();
        assert!(!derived);
        assert!((ii.mv[199] - 0.3).abs() < 1e-6);
        assert!(lead_window(&r, "V1", 0.0, 2.0, &none).unwrap().is_none());
    }
}
