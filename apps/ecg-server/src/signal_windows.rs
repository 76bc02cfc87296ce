//! Windows of a task's signals and beats for the viewer, read on demand.
//!
//! Signals are read from the stored upload through the decoders' lazy samples
//! ([`ecg_core::Samples::read`]): a window of a 7-day recording decodes only that window.
//! Decoded records (memory maps and headers, not samples) are cached per task
//! ([`RecordCache`]). Wide windows are reduced to `max_points` (min, max) pairs, so the
//! browser draws the envelope a monitor would show and never receives the whole record.

use std::sync::{Arc, Mutex};

use ecg_analysis::{Analysis, Episode, EpisodeKind};
use ecg_core::{Record, Signal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::{ApiError, ApiResult};
use crate::review::Materialized;
use crate::state::AppState;
use crate::store::TaskRow;

/// Decoded records of recently viewed tasks.
#[derive(Default)]
pub struct RecordCache {
    entries: Mutex<Vec<(String, Arc<Vec<Record>>)>>,
}

/// Tasks whose decoded records are kept.
const CACHED_TASKS: usize = 4;

/// The decoded records of a task (with its metadata applied), from the cache when there.
pub fn task_records(state: &AppState, task: &TaskRow) -> ApiResult<Arc<Vec<Record>>> {
    {
        let mut e = state
            .records
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = e.iter().position(|(id, _)| *id == task.id) {
            let entry = e.remove(pos);
            let r = Arc::clone(&entry.1);
            e.push(entry);
            return Ok(r);
        }
    }
    let records = Arc::new(
        crate::worker::task_records(state, task)
            .map_err(|e| ApiError::internal(format!("decoding task {}: {e}", task.id)))?,
    );
    let mut e = state
        .records
        .entries
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    e.retain(|(id, _)| *id != task.id);
    e.push((task.id.clone(), Arc::clone(&records)));
    while e.len() > CACHED_TASKS {
        e.remove(0);
    }
    Ok(records)
}

/// Query of a signal window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SignalQuery {
    /// Record index within the task (default 0).
    pub record: Option<usize>,
    /// Window start in seconds from the start of the record.
    pub start: f64,
    /// Window end in seconds.
    pub end: f64,
    /// Comma-separated lead labels (default: every signal).
    pub leads: Option<String>,
    /// Most points per lead (16-20000, default 2000); wider windows come as (min, max)
    /// pairs.
    pub max_points: Option<usize>,
}

/// One lead of a signal window.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadWindow {
    /// Lead label.
    pub label: String,
    /// Sampling frequency (Hz).
    pub fs: f64,
    /// Unit of the values: `mV` for every voltage unit (converted), otherwise the signal's.
    pub unit: String,
    /// First sample of the window.
    pub first_sample: u64,
    /// Samples in the window.
    pub samples: u64,
    /// Samples per point: 1 = raw samples in `values`; more = `min` and `max` per bucket of
    /// `step` samples.
    pub step: u64,
    /// Raw values (when `step` is 1); `null` for missing samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<f64>>,
    /// Bucket minima (when `step` > 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Vec<f64>>,
    /// Bucket maxima (when `step` > 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Vec<f64>>,
}

/// A signal window.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalWindow {
    /// Record index.
    pub record: usize,
    /// Start (s), clamped to the record.
    pub start: f64,
    /// End (s), clamped to the record.
    pub end: f64,
    /// Record duration (s).
    pub duration_s: f64,
    /// The leads asked for.
    pub leads: Vec<LeadWindow>,
}

/// Most samples of one lead a window may span (about 9 h at 256 Hz).
pub const MAX_WINDOW_SAMPLES: usize = 1 << 23;

/// Factor from a physical unit to millivolts, when it is a voltage.
fn mv_factor(unit: &str) -> Option<f64> {
    match unit.trim() {
        "mV" | "mv" | "millivolt" => Some(1.0),
        "uV" | "µV" | "μV" | "uv" | "microvolt" => Some(1e-3),
        "V" | "volt" => Some(1e3),
        "nV" => Some(1e-6),
        _ => None,
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Reads one lead's window, raw or as (min, max) buckets.
pub fn lead_window(
    sig: &Signal,
    start_s: f64,
    end_s: f64,
    max_points: usize,
) -> ApiResult<LeadWindow> {
    let n = sig.len();
    let to_sample = |t: f64| ((t * sig.fs).floor().max(0.0) as usize).min(n);
    let a = to_sample(start_s);
    let b = to_sample(end_s).max(a);
    if b - a > MAX_WINDOW_SAMPLES {
        return Err(ApiError::invalid(format!(
            "the window spans {} samples of lead {}; at most {MAX_WINDOW_SAMPLES} per request",
            b - a,
            sig.label
        )));
    }
    let (factor, unit) = match mv_factor(&sig.unit) {
        Some(f) => (f, "mV".to_owned()),
        None => (1.0, sig.unit.clone()),
    };
    let phys = |d: i32| round4(sig.to_physical(d) * factor);
    let len = b - a;
    let read_err = |e: ecg_core::Error| ApiError::internal(format!("lead {}: {e}", sig.label));
    let mut w = LeadWindow {
        label: sig.label.clone(),
        fs: sig.fs,
        unit,
        first_sample: a as u64,
        samples: len as u64,
        step: 1,
        values: None,
        min: None,
        max: None,
    };
    if len <= 2 * max_points {
        let digital = sig.samples.window(a..b).map_err(read_err)?;
        w.values = Some(digital.iter().map(|&d| phys(d)).collect());
        return Ok(w);
    }
    let step = len.div_ceil(max_points);
    let buckets = len.div_ceil(step);
    let mut mins = Vec::with_capacity(buckets);
    let mut maxs = Vec::with_capacity(buckets);
    let chunk = (ecg_core::CHUNK_SAMPLES / step).max(1) * step;
    let mut buf = vec![0i32; chunk.min(len)];
    let mut pos = a;
    while pos < b {
        let l = chunk.min(b - pos);
        sig.samples.read(pos, &mut buf[..l]).map_err(read_err)?;
        for bucket in buf[..l].chunks(step) {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &d in bucket {
                let v = sig.to_physical(d);
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            if lo <= hi {
                mins.push(round4(lo * factor));
                maxs.push(round4(hi * factor));
            } else {
                mins.push(f64::NAN);
                maxs.push(f64::NAN);
            }
        }
        pos += l;
    }
    w.step = step as u64;
    w.min = Some(mins);
    w.max = Some(maxs);
    Ok(w)
}

/// A signal window of a task's record.
pub fn signal_window(records: &[Record], q: &SignalQuery) -> ApiResult<SignalWindow> {
    let index = q.record.unwrap_or(0);
    let record = records.get(index).ok_or_else(|| {
        ApiError::invalid(format!(
            "record {index} does not exist (the task has {})",
            records.len()
        ))
    })?;
    if !(q.start.is_finite() && q.end.is_finite()) || q.end < q.start {
        return Err(ApiError::bad_request(
            "start and end are seconds with start <= end",
        ));
    }
    let max_points = q.max_points.unwrap_or(2000).clamp(16, 20_000);
    let duration = record.duration_s();
    let start = q.start.clamp(0.0, duration);
    let end = q.end.clamp(0.0, duration);
    let chosen: Vec<&Signal> = match &q.leads {
        Some(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|l| {
                record.signal(l.trim()).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "record {index} has no lead {:?} (it has {})",
                        l.trim(),
                        record
                            .signals
                            .iter()
                            .map(|s| s.label.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<ApiResult<_>>()?,
        _ => record.signals.iter().collect(),
    };
    if chosen.len() > 64 {
        return Err(ApiError::invalid("at most 64 leads per window"));
    }
    let leads = chosen
        .into_iter()
        .map(|s| lead_window(s, start, end, max_points))
        .collect::<ApiResult<_>>()?;
    Ok(SignalWindow {
        record: index,
        start,
        end,
        duration_s: duration,
        leads,
    })
}

/// Query of a beat window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BeatQuery {
    /// Record index within the task (default 0).
    pub record: Option<usize>,
    /// Window start in seconds.
    pub start: f64,
    /// Window end in seconds.
    pub end: f64,
}

/// The beats of a window, column-wise.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeatWindow {
    /// Record index.
    pub record: usize,
    /// Result version the beats belong to.
    pub version: u32,
    /// Sampling frequency of the sample indices.
    pub fs: f64,
    /// R-peak samples.
    pub sample: Vec<i64>,
    /// Classes, one character per beat (`N`, `S`, `V`, `F`, `Q`).
    pub class: String,
    /// Template id of each beat.
    pub template: Vec<u32>,
    /// Lead index of each beat.
    pub lead: Vec<u16>,
    /// True when the window held more than [`MAX_BEATS_PER_WINDOW`] beats (the first ones
    /// are given).
    pub truncated: bool,
}

/// Most beats one window answers.
pub const MAX_BEATS_PER_WINDOW: usize = 50_000;

/// The analysis of record `record` (default 0) of a materialised result.
fn analysis_of(m: &Materialized, record: Option<usize>) -> ApiResult<(usize, &Analysis)> {
    let index = record.unwrap_or(0);
    let a = m.analyses.get(index).ok_or_else(|| {
        ApiError::invalid(format!(
            "record {index} has no analysis (the result has {})",
            m.analyses.len()
        ))
    })?;
    Ok((index, a))
}

/// The beats of a window of one record of a materialised result.
pub fn beat_window(m: &Materialized, q: &BeatQuery) -> ApiResult<BeatWindow> {
    let (index, a) = analysis_of(m, q.record)?;
    if !(q.start.is_finite() && q.end.is_finite()) {
        return Err(ApiError::bad_request("start and end are seconds"));
    }
    let s0 = (q.start * a.fs).floor() as i64;
    let s1 = (q.end * a.fs).ceil() as i64;
    let lo = a.beats.partition_point(|b| b.sample < s0);
    let hi = a.beats.partition_point(|b| b.sample <= s1).max(lo);
    let truncated = hi - lo > MAX_BEATS_PER_WINDOW;
    let beats = &a.beats[lo..hi.min(lo + MAX_BEATS_PER_WINDOW)];
    Ok(BeatWindow {
        record: index,
        version: m.version,
        fs: a.fs,
        sample: beats.iter().map(|b| b.sample).collect(),
        class: beats
            .iter()
            .map(|b| match b.class {
                ecg_core::AamiClass::N => 'N',
                ecg_core::AamiClass::S => 'S',
                ecg_core::AamiClass::V => 'V',
                ecg_core::AamiClass::F => 'F',
                ecg_core::AamiClass::Q => 'Q',
            })
            .collect(),
        template: beats.iter().map(|b| b.template).collect(),
        lead: beats.iter().map(|b| b.lead).collect(),
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::{Samples, Scale};

    fn signal(n: usize) -> Signal {
        let mut s = Signal::new(
            "II",
            100.0,
            "uV",
            Samples::from_vec((0..n as i32).map(|i| (i % 100) - 50).collect()),
        );
        s.scale = Scale::Gain {
            gain: 0.5,
            baseline: 0.0,
        };
        s
    }

    #[test]
    fn narrow_windows_are_raw_and_wide_ones_min_max() {
        let s = signal(100_000);
        // 1 s at 100 Hz: raw, uV with gain 0.5 -> digital*2 uV -> mV
        let w = lead_window(&s, 1.0, 2.0, 100).unwrap();
        assert_eq!((w.first_sample, w.samples, w.step), (100, 100, 1));
        let v = w.values.unwrap();
        assert_eq!(v.len(), 100);
        assert_eq!(w.unit, "mV");
        assert_eq!(v[0], -0.1); // digital -50 -> -100 uV
        assert_eq!(v[99], 0.098);
        // 1000 s: 100000 samples in 1000 buckets of 100: each bucket spans the sawtooth
        let w = lead_window(&s, 0.0, 1000.0, 1000).unwrap();
        assert_eq!(w.step, 100);
        let (mn, mx) = (w.min.unwrap(), w.max.unwrap());
        assert_eq!(mn.len(), 1000);
        assert!(mn.iter().all(|&x| x == -0.1) && mx.iter().all(|&x| x == 0.098));
        // uneven: 250 buckets of 7 samples (last shorter)
        let w = lead_window(&s, 0.0, 17.5, 250).unwrap();
        assert_eq!(w.step, 7);
        assert_eq!(w.min.as_ref().unwrap().len(), 250);
        assert_eq!(w.min.unwrap()[0], -0.1);
        assert_eq!(w.max.unwrap()[0], -0.088);
    }

    #[test]
    fn windows_are_clamped_and_bounded() {
        let mut r = Record::new("r", "test");
        r.signals.push(signal(1000));
        let q = SignalQuery {
            record: None,
            start: -5.0,
            end: 50.0,
            leads: Some("II".into()),
            max_points: None,
        };
        let w = signal_window(std::slice::from_ref(&r), &q).unwrap();
        assert_eq!((w.start, w.end, w.leads[0].samples), (0.0, 10.0, 1000));
        let bad = SignalQuery {
            leads: Some("V9".into()),
            ..q
        };
        let e = signal_window(std::slice::from_ref(&r), &bad).unwrap_err();
        assert!(e.detail.contains("no lead \"V9\""), "{}", e.detail);
    }
}

/// Query of a page of episodes.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EpisodeQuery {
    /// Record index within the task (default 0).
    pub record: Option<usize>,
    /// Only episodes that end at or after this time, in seconds (default: from the start).
    pub start: Option<f64>,
    /// Only episodes that start at or before this time, in seconds (default: to the end).
    pub end: Option<f64>,
    /// Only this kind (`atrial_fibrillation`, `ventricular_couplet`, `pause`, ...), or
    /// these kinds, comma-separated (`pause,ventricular_run`).
    pub kind: Option<String>,
    /// Episodes of the selection to skip (default 0).
    pub offset: Option<usize>,
    /// Seconds: answer the page that begins with the first selected episode starting at
    /// or after this time (instead of `offset`; the answer's `offset` says where it is).
    pub seek: Option<f64>,
    /// Most episodes in the answer (default and at most [`MAX_EPISODES_PER_PAGE`]).
    pub limit: Option<usize>,
}

/// One page of a record's episodes and events, by start (then end).
#[derive(Debug, Serialize, ToSchema)]
pub struct EpisodePage {
    /// Record index.
    pub record: usize,
    /// Result version the episodes belong to.
    pub version: u32,
    /// Sampling frequency of the sample indices.
    pub fs: f64,
    /// Episodes that match the query in all (every page together).
    pub total: usize,
    /// Position of this page's first episode among them.
    pub offset: usize,
    /// Offset of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    /// The episodes (`ecg_analysis::Episode`: `kind`, `start` and `end` samples, `beats`,
    /// `mean_hr_bpm`).
    #[schema(value_type = Vec<Object>)]
    pub episodes: Vec<Episode>,
}

/// Most episodes one page answers.
pub const MAX_EPISODES_PER_PAGE: usize = 5000;

/// A page of the episodes of one record of a materialised result: every episode can be
/// reached, however many the record has (the overview lists a bounded selection).
pub fn episode_page(m: &Materialized, q: &EpisodeQuery) -> ApiResult<EpisodePage> {
    let (index, a) = analysis_of(m, q.record)?;
    let kinds: Option<Vec<EpisodeKind>> = match &q.kind {
        Some(list) => Some(
            list.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| {
                    serde_json::from_value(serde_json::Value::String(k.to_owned())).map_err(|_| {
                        ApiError::invalid(format!(
                            "unknown episode kind {k:?} (e.g. atrial_fibrillation, pause, ventricular_run)"
                        ))
                    })
                })
                .collect::<ApiResult<_>>()?,
        ),
        None => None,
    };
    let seconds = |v: Option<f64>, name: &str| -> ApiResult<Option<i64>> {
        match v {
            Some(t) if !t.is_finite() => Err(ApiError::bad_request(format!("{name} is seconds"))),
            Some(t) => Ok(Some((t * a.fs).round() as i64)),
            None => Ok(None),
        }
    };
    let from = seconds(q.start, "start")?;
    let to = seconds(q.end, "end")?;
    let seek = seconds(q.seek, "seek")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::bad_request("start is after end"));
    }
    let limit = q.limit.unwrap_or(MAX_EPISODES_PER_PAGE);
    if limit == 0 || limit > MAX_EPISODES_PER_PAGE {
        return Err(ApiError::invalid(format!(
            "limit must be 1 to {MAX_EPISODES_PER_PAGE}"
        )));
    }
    let mut selected: Vec<&Episode> = a
        .episodes
        .iter()
        .filter(|e| kinds.as_ref().is_none_or(|k| k.contains(&e.kind)))
        .filter(|e| from.is_none_or(|f| e.end >= f) && to.is_none_or(|t| e.start <= t))
        .collect();
    selected.sort_by_key(|e| (e.start, e.end));
    let total = selected.len();
    let offset = match seek {
        Some(t) => selected.partition_point(|e| e.start < t),
        None => q.offset.unwrap_or(0).min(total),
    };
    let end = (offset + limit).min(total);
    Ok(EpisodePage {
        record: index,
        version: m.version,
        fs: a.fs,
        total,
        offset,
        next_offset: (end < total).then_some(end),
        episodes: selected[offset..end].iter().map(|e| (*e).clone()).collect(),
    })
}
