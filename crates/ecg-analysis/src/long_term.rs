//! The long-term (Holter) summary: durations, beat totals, heart rate extremes with their
//! times, the hourly table, HRV per hour and per 5 minutes, the ST-level trend per lead
//! with its episodes, and the event list with a representative strip per event type.
//!
//! Everything here derives from the beats, episodes and quality segments of an
//! [`crate::Analysis`] (so a reviewer's edits can be summarised again with
//! [`crate::rhythm::summary`] and [`finish`]), except the ST trend, which the engine measures
//! on the signal while it detects beats ([`st_trends`] turns its per-interval levels into
//! trends and episodes).
//!
//! Conventions: times are seconds from the first sample; hours are counted from the start
//! of the recording (row `k` covers `[3600 k, 3600 (k + 1))` s); the minimum, mean and
//! maximum heart rates of the record and of each hour share one basis, the windows of 8
//! RR intervals whose 9 beats are all normal (a window belongs to the hour of its last
//! beat), so that min <= mean <= max always holds ([`heart_rates`]); VE and SVE count
//! `V` and `S` beats.

use ecg_core::AamiClass;
use ecg_core::chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::hrv::{HrvConfig, NnSeries};
use crate::result::{Beat, Episode, EpisodeKind, HrMeanBasis, QualitySegment, Summary};
use crate::rhythm::RhythmConfig;

/// Long-term summary settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LongTermConfig {
    /// ST trend interval (s): one median beat per lead and interval.
    pub st_interval_s: f64,
    /// Fewest beats for an ST level in an interval.
    pub st_min_beats: usize,
    /// ST episode: the level (J+80 ms) differs from the lead's reference by at least this
    /// (mV) ...
    pub st_threshold_mv: f64,
    /// ... for at least this long (s).
    pub st_min_s: f64,
    /// The reference level is the median of the first intervals within this time (s).
    pub st_reference_s: f64,
}

impl Default for LongTermConfig {
    fn default() -> Self {
        LongTermConfig {
            st_interval_s: 30.0,
            st_min_beats: 5,
            st_threshold_mv: 0.1,
            st_min_s: 60.0,
            st_reference_s: 300.0,
        }
    }
}

/// One row of the hourly table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HourlyRow {
    /// Hour index from the start of the recording.
    pub hour: u32,
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Clock time of the start (`YYYY-MM-DDTHH:MM:SS`), when the recording start is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// Beats.
    pub beats: u64,
    /// Lowest heart rate (bpm, 8-beat windows of normal beats).
    pub hr_min_bpm: Option<f64>,
    /// Mean heart rate (bpm): the duration-weighted mean of the hour's 8-beat windows
    /// (between its minimum and maximum), or without such a window the RR intervals up to
    /// the pause limit ([`HourlyRow::hr_mean_basis`], [`heart_rates`]).
    pub hr_mean_bpm: Option<f64>,
    /// What [`HourlyRow::hr_mean_bpm`] was computed from; absent without a mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_mean_basis: Option<HrMeanBasis>,
    /// Highest heart rate (bpm, 8-beat windows).
    pub hr_max_bpm: Option<f64>,
    /// Ventricular ectopic beats.
    pub ve_beats: u64,
    /// Supraventricular ectopic beats.
    pub sve_beats: u64,
    /// Pauses starting in the hour.
    pub pauses: u64,
    /// Minutes of atrial fibrillation/flutter.
    pub af_minutes: f64,
    /// Minutes too noisy to analyse.
    pub noise_minutes: f64,
}

/// HRV of one segment (an hour or 5 minutes), NN intervals only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HrvSegment {
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// NN intervals ending in the segment.
    pub nn_count: u64,
    /// Mean NN (ms).
    pub mean_nn_ms: f64,
    /// SDNN (ms).
    pub sdnn_ms: f64,
    /// RMSSD (ms, adjacent intervals).
    pub rmssd_ms: Option<f64>,
    /// SDANN over the 5-minute segments inside (hours only, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdann_ms: Option<f64>,
    /// SDNN index over the 5-minute segments inside (hours only, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdnn_index_ms: Option<f64>,
}

/// The ST-level trend of one lead.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StTrend {
    /// Lead label.
    pub lead: String,
    /// Interval length (s); value `k` covers `[k interval, (k + 1) interval)`.
    pub interval_s: f64,
    /// ST level at J + 60 ms per interval (mV from the PR level; `null` without enough
    /// beats).
    pub j60_mv: Vec<Option<f32>>,
    /// ST level at J + 80 ms per interval (mV).
    pub j80_mv: Vec<Option<f32>>,
    /// Reference level (J + 80 ms) the episodes are measured from (mV).
    pub reference_mv: Option<f32>,
    /// ST episodes.
    pub episodes: Vec<StEpisode>,
}

/// A stretch where the ST level departs from the lead's reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StEpisode {
    /// `depression` or `elevation`.
    pub kind: String,
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Largest deviation from the reference (mV, signed).
    pub max_deviation_mv: f32,
    /// Clock time of the start, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
}

/// One event (any episode but sinus rhythm) with its time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    /// What it is.
    pub kind: EpisodeKind,
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Beats in it.
    pub beats: u32,
    /// Mean heart rate (bpm), when defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_hr_bpm: Option<f64>,
    /// Clock time of the start, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
}

/// Where to find a strip of the recording.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StripRef {
    /// Record name.
    pub record: String,
    /// Start (s).
    pub start_s: f64,
    /// Duration (s).
    pub duration_s: f64,
    /// First sample.
    pub start_sample: i64,
    /// One past the last sample.
    pub end_sample: i64,
    /// Leads to show.
    pub leads: Vec<String>,
}

/// Totals of one event type and its representative strip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventTypeSummary {
    /// The event type.
    pub kind: EpisodeKind,
    /// Occurrences.
    pub count: u64,
    /// Summed duration (s).
    pub total_s: f64,
    /// Longest occurrence (s).
    pub longest_s: f64,
    /// Start of the first occurrence (s).
    pub first_s: f64,
    /// The representative strip: the longest occurrence (for brady- and tachycardia the
    /// slowest or fastest), earliest on ties.
    pub strip: StripRef,
}

/// Strip length around short events (s).
const STRIP_S: f64 = 10.0;
/// Longest strip (s).
const STRIP_MAX_S: f64 = 30.0;

fn hr8(beats: &[Beat], i: usize, fs: f64) -> Option<f64> {
    if i < 8 || beats[i - 8..=i].iter().any(|b| b.class != AamiClass::N) {
        return None;
    }
    let span = (beats[i].sample - beats[i - 8].sample) as f64;
    (span > 0.0).then(|| 60.0 * 8.0 * fs / span)
}

/// Minimum, mean and maximum heart rate of a stretch of beats, on one basis.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeartRates {
    /// Lowest 8-beat rate (bpm) with the sample of its window's last beat (the first such
    /// window on ties).
    pub min: Option<(f64, i64)>,
    /// Mean rate (bpm), on the basis [`HeartRates::basis`].
    pub mean: Option<f64>,
    /// Highest 8-beat rate (bpm) with the sample of its window's last beat.
    pub max: Option<(f64, i64)>,
    /// What the mean was computed from; `None` without a mean.
    pub basis: Option<HrMeanBasis>,
}

/// Heart rates of the beats whose indices lie in `range` (beats in time order).
///
/// The windows are the runs of 8 RR intervals whose 9 beats are all `N` and whose last
/// beat lies in `range` (its first beats may come before). The minimum and maximum are
/// the lowest and highest window rates `60 x 8 / span`; the mean is the mean of the same
/// rates weighted by the windows' spans, `60 x 8 x windows / summed spans`, which, as a
/// weighted mean, lies between them (it is clamped there against rounding). Weighting by
/// duration makes it a mean over time, like beats per minute, rather than over beats,
/// which would lean towards the fast stretches. Ectopic beats and the intervals around
/// them do not enter; a pause between normal beats does, as a slow window (the minimum
/// sees it too). Without any window there is no minimum or maximum, and the mean is
/// 60 x (RR intervals ending in `range` of at most `pause_s`) / (their summed length),
/// with [`HrMeanBasis::RrIntervals`] as its basis.
pub fn heart_rates(
    beats: &[Beat],
    range: std::ops::Range<usize>,
    fs: f64,
    pause_s: f64,
) -> HeartRates {
    let mut r = HeartRates::default();
    let range = range.start.min(beats.len())..range.end.min(beats.len());
    let pause_limit = (pause_s * fs) as i64;
    let (mut windows, mut window_span) = (0u64, 0i64);
    let (mut intervals, mut rr_span) = (0u64, 0i64);
    for i in range {
        if i > 0 {
            let rr = beats[i].sample - beats[i - 1].sample;
            if rr > 0 && rr <= pause_limit {
                intervals += 1;
                rr_span += rr;
            }
        }
        if let Some(hr) = hr8(beats, i, fs) {
            windows += 1;
            window_span += beats[i].sample - beats[i - 8].sample;
            if r.min.is_none_or(|m| hr < m.0) {
                r.min = Some((hr, beats[i].sample));
            }
            if r.max.is_none_or(|m| hr > m.0) {
                r.max = Some((hr, beats[i].sample));
            }
        }
    }
    if let (Some((lo, _)), Some((hi, _))) = (r.min, r.max)
        && window_span > 0
    {
        let mean = 60.0 * 8.0 * fs * windows as f64 / window_span as f64;
        r.mean = Some(mean.clamp(lo, hi));
        r.basis = Some(HrMeanBasis::NormalWindows);
    } else if rr_span > 0 {
        r.mean = Some(60.0 * fs * intervals as f64 / rr_span as f64);
        r.basis = Some(HrMeanBasis::RrIntervals);
    }
    r
}

/// Fills the beat-, episode- and quality-derived long-term fields of `s` (everything but
/// the ST trend, clock times and the strips' record and leads: see [`finish`]).
pub fn fill(
    s: &mut Summary,
    beats: &[Beat],
    episodes: &[Episode],
    quality: &[QualitySegment],
    fs: f64,
    n_samples: i64,
) {
    let rhythm = RhythmConfig::default();
    let secs = |x: i64| x as f64 / fs;
    s.recording_duration_s = secs(n_samples);
    let noise_s: f64 = quality
        .iter()
        .filter(|q| q.overall < QualitySegment::USABLE)
        .map(|q| secs(q.end - q.start))
        .sum();
    s.analysed_duration_s = (s.recording_duration_s - noise_s).max(0.0);
    s.total_beats = beats.len() as u64;
    s.hr_min_bpm = s.hr_min.map(|h| h.0);
    s.hr_min_time_s = s.hr_min.map(|h| secs(h.1));
    s.hr_max_bpm = s.hr_max.map(|h| h.0);
    s.hr_max_time_s = s.hr_max.map(|h| secs(h.1));
    s.hr_mean_bpm = s.hr_mean;
    s.ve_beats = s.class_counts[2];
    s.sve_beats = s.class_counts[1];
    let pauses: Vec<&Episode> = episodes
        .iter()
        .filter(|e| e.kind == EpisodeKind::Pause)
        .collect();
    s.pauses = pauses.len() as u64;
    s.longest_pause_s = pauses
        .iter()
        .map(|e| secs(e.end - e.start))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    s.af_burden_percent = 100.0 * s.af_burden;
    let is_af = |k: EpisodeKind| {
        matches!(
            k,
            EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter
        )
    };
    s.af_minutes = episodes
        .iter()
        .filter(|e| is_af(e.kind))
        .map(|e| secs(e.end - e.start) / 60.0)
        .fold(0.0, |a, b| a + b); // an empty f64 sum is -0.0

    // hourly table
    let hour = (3600.0 * fs).round() as i64;
    let hours = if n_samples > 0 && hour > 0 {
        (n_samples + hour - 1) / hour
    } else {
        0
    };
    let overlap = |a: i64, b: i64, c: i64, d: i64| (b.min(d) - a.max(c)).max(0);
    s.hourly = (0..hours)
        .map(|h| {
            let (a, b) = (h * hour, ((h + 1) * hour).min(n_samples));
            let lo = beats.partition_point(|x| x.sample < a);
            let hi = beats.partition_point(|x| x.sample < b);
            let mut row = HourlyRow {
                hour: h as u32,
                start_s: secs(a),
                end_s: secs(b),
                beats: (hi - lo) as u64,
                ..Default::default()
            };
            for b in &beats[lo..hi] {
                match b.class {
                    AamiClass::V => row.ve_beats += 1,
                    AamiClass::S => row.sve_beats += 1,
                    _ => {}
                }
            }
            let rates = heart_rates(beats, lo..hi, fs, rhythm.pause_s);
            row.hr_min_bpm = rates.min.map(|m| m.0);
            row.hr_mean_bpm = rates.mean;
            row.hr_max_bpm = rates.max.map(|m| m.0);
            row.hr_mean_basis = rates.basis;
            for e in episodes {
                if e.kind == EpisodeKind::Pause && e.start >= a && e.start < b {
                    row.pauses += 1;
                }
                if is_af(e.kind) {
                    row.af_minutes += secs(overlap(e.start, e.end, a, b)) / 60.0;
                }
            }
            row.noise_minutes = quality
                .iter()
                .filter(|q| q.overall < QualitySegment::USABLE)
                .map(|q| secs(overlap(q.start, q.end, a, b)) / 60.0)
                .fold(0.0, |a, b| a + b);
            row
        })
        .collect();

    // HRV per hour and per 5 minutes
    let nn = NnSeries::from_beats(beats, fs, &HrvConfig::default());
    s.hrv_5min = hrv_segments(&nn, 300.0, secs(n_samples), None);
    s.hrv_hourly = hrv_segments(&nn, 3600.0, secs(n_samples), Some(&s.hrv_5min));

    // events and their types
    s.events = episodes
        .iter()
        .filter(|e| e.kind != EpisodeKind::SinusRhythm)
        .map(|e| EventEntry {
            kind: e.kind,
            start_s: secs(e.start),
            end_s: secs(e.end),
            beats: e.beats,
            mean_hr_bpm: e.mean_hr_bpm,
            clock: None,
        })
        .collect();
    let mut kinds: Vec<EpisodeKind> = s.events.iter().map(|e| e.kind).collect();
    kinds.sort();
    kinds.dedup();
    s.event_types = kinds
        .into_iter()
        .filter_map(|kind| {
            let of: Vec<&Episode> = episodes.iter().filter(|e| e.kind == kind).collect();
            let dur = |e: &Episode| secs(e.end - e.start);
            let rate = |e: &Episode| e.mean_hr_bpm.unwrap_or(0.0);
            let pick = of.iter().copied().min_by(|a, b| {
                let key = match kind {
                    EpisodeKind::SinusBradycardia => rate(a).total_cmp(&rate(b)),
                    EpisodeKind::SinusTachycardia => rate(b).total_cmp(&rate(a)),
                    _ => dur(b).total_cmp(&dur(a)),
                };
                key.then(a.start.cmp(&b.start))
            })?;
            Some(EventTypeSummary {
                kind,
                count: of.len() as u64,
                total_s: of.iter().map(|e| dur(e)).sum(),
                longest_s: of.iter().map(|e| dur(e)).fold(0.0, f64::max),
                first_s: of
                    .iter()
                    .map(|e| secs(e.start))
                    .fold(f64::INFINITY, f64::min),
                strip: strip_for(pick, fs, n_samples),
            })
        })
        .collect();
}

/// The strip shown for an episode: 10 s centred on a short event; for a longer one from
/// 2 s before it, its length plus 4 s, at most 30 s; kept inside the recording.
fn strip_for(e: &Episode, fs: f64, n_samples: i64) -> StripRef {
    let total = n_samples as f64 / fs;
    let (a, b) = (e.start as f64 / fs, e.end as f64 / fs);
    let len = (b - a + 4.0).clamp(STRIP_S, STRIP_MAX_S).min(total);
    let start = if b - a + 4.0 <= STRIP_S {
        (a + b) / 2.0 - len / 2.0
    } else {
        a - 2.0
    }
    .clamp(0.0, (total - len).max(0.0));
    let start_sample = (start * fs).round() as i64;
    let end_sample = (start_sample + (len * fs).round() as i64).min(n_samples);
    StripRef {
        record: String::new(),
        start_s: start_sample as f64 / fs,
        duration_s: (end_sample - start_sample) as f64 / fs,
        start_sample,
        end_sample,
        leads: Vec::new(),
    }
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = if x.len() > 1 {
        (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd)
}

/// HRV per segment of `seg_s` seconds from the start (segments with at least 10 NN
/// intervals); for hours, SDANN and SDNN index from the 5-minute segments inside.
fn hrv_segments(
    nn: &NnSeries,
    seg_s: f64,
    total_s: f64,
    five: Option<&[HrvSegment]>,
) -> Vec<HrvSegment> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < nn.nn_ms.len() {
        let seg = (nn.time_s[k] / seg_s).floor();
        let mut j = k;
        while j < nn.nn_ms.len() && (nn.time_s[j] / seg_s).floor() == seg {
            j += 1;
        }
        if j - k >= 10 {
            let (mean, sd) = mean_sd(&nn.nn_ms[k..j]);
            let diffs: Vec<f64> = (k + 1..j)
                .filter(|&i| nn.adjacent[i])
                .map(|i| nn.nn_ms[i] - nn.nn_ms[i - 1])
                .collect();
            let rmssd = (!diffs.is_empty())
                .then(|| (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt());
            let (start, end) = (seg * seg_s, ((seg + 1.0) * seg_s).min(total_s));
            let (mut sdann, mut sdnn_index) = (None, None);
            if let Some(five) = five {
                let inside: Vec<&HrvSegment> = five
                    .iter()
                    .filter(|f| f.start_s >= start && f.start_s < end)
                    .collect();
                if inside.len() >= 2 {
                    let means: Vec<f64> = inside.iter().map(|f| f.mean_nn_ms).collect();
                    sdann = Some(mean_sd(&means).1);
                    sdnn_index =
                        Some(inside.iter().map(|f| f.sdnn_ms).sum::<f64>() / inside.len() as f64);
                }
            }
            out.push(HrvSegment {
                start_s: start,
                end_s: end,
                nn_count: (j - k) as u64,
                mean_nn_ms: mean,
                sdnn_ms: sd,
                rmssd_ms: rmssd,
                sdann_ms: sdann,
                sdnn_index_ms: sdnn_index,
            });
        }
        k = j;
    }
    out
}

/// Formats a clock time.
fn clock(start: Option<NaiveDateTime>, s: f64) -> Option<String> {
    let t = start? + Duration::milliseconds((s * 1000.0).round() as i64);
    Some(t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// Completes a summary with what [`fill`] cannot know: the recording start (clock times of
/// hourly rows, events and ST episodes) and the record name and leads of the strips.
pub fn finish(s: &mut Summary, record: &str, leads: &[String], start: Option<NaiveDateTime>) {
    s.start = start.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string());
    s.hr_min_clock = s.hr_min_time_s.and_then(|t| clock(start, t));
    s.hr_max_clock = s.hr_max_time_s.and_then(|t| clock(start, t));
    for r in &mut s.hourly {
        r.clock = clock(start, r.start_s);
    }
    for e in &mut s.events {
        e.clock = clock(start, e.start_s);
    }
    for t in &mut s.st {
        for e in &mut t.episodes {
            e.clock = clock(start, e.start_s);
        }
    }
    for t in &mut s.event_types {
        t.strip.record = record.to_string();
        t.strip.leads = leads.to_vec();
    }
}

/// ST levels of one interval: its index on the absolute grid, the beats used, and per lead
/// the levels at J + 60 ms and J + 80 ms (mV).
#[derive(Clone, Debug, PartialEq)]
pub struct StInterval {
    /// Interval index (`start / interval`).
    pub index: u64,
    /// Beats in the median.
    pub beats: u32,
    /// Per lead `(J + 60 ms, J + 80 ms)`.
    pub levels: Vec<(f32, f32)>,
}

/// Builds the per-lead ST trends from the measured intervals (sorted by index) and finds
/// the episodes: intervals whose J + 80 ms level differs from the lead's reference (the
/// median of the intervals in the first [`LongTermConfig::st_reference_s`] that have a
/// level, else of the first ten) by at least [`LongTermConfig::st_threshold_mv`] with the
/// same sign, for at least [`LongTermConfig::st_min_s`].
pub fn st_trends(
    intervals: &[StInterval],
    leads: &[String],
    n_intervals: usize,
    cfg: &LongTermConfig,
) -> Vec<StTrend> {
    leads
        .iter()
        .enumerate()
        .map(|(l, label)| {
            let mut j60 = vec![None; n_intervals];
            let mut j80 = vec![None; n_intervals];
            for iv in intervals {
                let k = iv.index as usize;
                if k < n_intervals
                    && let Some(&(a, b)) = iv.levels.get(l)
                    && a.is_finite()
                    && b.is_finite()
                {
                    j60[k] = Some(a);
                    j80[k] = Some(b);
                }
            }
            let ref_n = ((cfg.st_reference_s / cfg.st_interval_s).ceil() as usize).max(1);
            let mut first: Vec<f32> = j80.iter().take(ref_n).flatten().copied().collect();
            if first.is_empty() {
                first = j80.iter().flatten().take(10).copied().collect();
            }
            let reference = (!first.is_empty()).then(|| {
                first.sort_by(f32::total_cmp);
                first[first.len() / 2]
            });
            let mut episodes = Vec::new();
            if let Some(r) = reference {
                let th = cfg.st_threshold_mv as f32;
                let sign = |v: Option<f32>| match v {
                    Some(v) if v - r <= -th => -1,
                    Some(v) if v - r >= th => 1,
                    _ => 0,
                };
                let min_len = ((cfg.st_min_s / cfg.st_interval_s).ceil() as usize).max(1);
                let mut k = 0;
                while k < n_intervals {
                    let sg = sign(j80[k]);
                    if sg == 0 {
                        k += 1;
                        continue;
                    }
                    let mut e = k;
                    while e + 1 < n_intervals && sign(j80[e + 1]) == sg {
                        e += 1;
                    }
                    if e + 1 - k >= min_len {
                        let dev = j80[k..=e]
                            .iter()
                            .flatten()
                            .map(|v| v - r)
                            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                            .unwrap_or(0.0);
                        episodes.push(StEpisode {
                            kind: if sg < 0 { "depression" } else { "elevation" }.into(),
                            start_s: k as f64 * cfg.st_interval_s,
                            end_s: (e + 1) as f64 * cfg.st_interval_s,
                            max_deviation_mv: dev,
                            clock: None,
                        });
                    }
                    k = e + 1;
                }
            }
            StTrend {
                lead: label.clone(),
                interval_s: cfg.st_interval_s,
                j60_mv: j60,
                j80_mv: j80,
                reference_mv: reference,
                episodes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rhythm::{episodes, summary};

    fn beats_every(fs: f64, seconds: f64, rr: f64) -> Vec<Beat> {
        let mut out = Vec::new();
        let mut t = 0.5;
        while t < seconds {
            out.push(Beat {
                sample: (t * fs).round() as i64,
                class: AamiClass::N,
                lead: 0,
                template: 0,
            });
            t += rr;
        }
        out
    }

    #[test]
    fn hourly_table_events_and_hrv_segments() {
        let fs = 100.0;
        // 2.5 h at 60 bpm; the second hour at 120 bpm; a V beat, a 3 s pause
        let mut beats = beats_every(fs, 3600.0, 1.0);
        let mut t = 3600.5;
        while t < 7200.0 {
            beats.push(Beat {
                sample: (t * fs) as i64,
                class: AamiClass::N,
                lead: 0,
                template: 0,
            });
            t += 0.5;
        }
        t = 7200.5;
        while t < 9000.0 {
            beats.push(Beat {
                sample: (t * fs) as i64,
                class: AamiClass::N,
                lead: 0,
                template: 0,
            });
            t += if (8000.0..8001.0).contains(&t) {
                3.0
            } else {
                1.0
            };
        }
        beats[100].class = AamiClass::V;
        beats[101].sample -= 20;
        let n = (9000.0 * fs) as i64;
        let quality = vec![QualitySegment {
            start: 0,
            end: n,
            leads: vec![1.0],
            overall: 1.0,
        }];
        let cfg = RhythmConfig::default();
        let eps = episodes(&beats, fs, n, &quality, &cfg);
        let mut s = summary(&beats, &eps, &quality, fs, n);
        assert_eq!(s.total_beats, beats.len() as u64);
        assert_eq!(s.recording_duration_s, 9000.0);
        assert_eq!(s.analysed_duration_s, 9000.0);
        assert_eq!(s.ve_beats, 1);
        assert_eq!(s.pauses, 1);
        assert!((s.longest_pause_s.unwrap() - 3.0).abs() < 0.02);
        assert_eq!(s.hourly.len(), 3);
        assert_eq!(s.hourly[0].beats, 3600);
        assert_eq!(s.hourly[1].beats, 7199); // 3600.5 s to 7199.5 s every 0.5 s
        assert_eq!(s.hourly[0].ve_beats, 1);
        assert!((s.hourly[1].hr_mean_bpm.unwrap() - 120.0).abs() < 0.1);
        // the 8-beat windows at the start of hour 1 still hold hour 0's slower beats
        let min1 = s.hourly[1].hr_min_bpm.unwrap();
        assert!((40.0..120.0).contains(&min1), "{min1}");
        assert!((s.hourly[1].hr_max_bpm.unwrap() - 120.0).abs() < 0.1);
        assert!((s.hourly[0].hr_max_bpm.unwrap() - 60.0).abs() < 0.1);
        assert_eq!(s.hourly[2].pauses, 1);
        assert_eq!(s.hourly[2].end_s, 9000.0);
        assert!((s.hr_max_bpm.unwrap() - 120.0).abs() < 0.1);
        assert!((3600.0..7200.0).contains(&s.hr_max_time_s.unwrap()));
        // HRV: 30 five-minute segments, 3 hours (the last half)
        assert_eq!(s.hrv_5min.len(), 30);
        assert_eq!(s.hrv_hourly.len(), 3);
        assert!((s.hrv_hourly[1].mean_nn_ms - 500.0).abs() < 0.5);
        // SDANN over an hour at a constant rate: only the 1.5 s interval into hour 1 moves
        // the first 5-min mean (by under 2 ms), so the SD stays well under 1 ms
        let sdann = s.hrv_hourly[1].sdann_ms.unwrap();
        assert!(sdann > 0.0 && sdann < 1.0, "{sdann}");
        // events: the pause with its strip; clock times once the start is known
        let pause = s
            .event_types
            .iter()
            .find(|e| e.kind == EpisodeKind::Pause)
            .unwrap();
        assert_eq!(pause.count, 1);
        assert_eq!(pause.strip.duration_s, 10.0);
        assert!(pause.strip.start_s < 8001.0 && pause.strip.start_s + 10.0 > 8004.0);
        let start = ecg_core::chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(23, 30, 0)
            .unwrap();
        finish(&mut s, "rec", &["II".to_string()], Some(start));
        assert_eq!(s.hourly[1].clock.as_deref(), Some("2024-03-02T00:30:00"));
        let pause = s
            .event_types
            .iter()
            .find(|e| e.kind == EpisodeKind::Pause)
            .unwrap();
        assert_eq!(pause.strip.record, "rec");
        assert_eq!(pause.strip.leads, vec!["II"]);
        assert!(s.events.iter().all(|e| e.clock.is_some()));
        assert_eq!(s.start.as_deref(), Some("2024-03-01T23:30:00.000"));
        // serde round trip keeps every field
        let json = serde_json::to_string(&s).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn st_trend_reference_and_episodes() {
        let cfg = LongTermConfig::default();
        // 40 intervals; lead 0 depressed by 0.15 mV from interval 20 to 23 (2 min)
        let intervals: Vec<StInterval> = (0..40u64)
            .map(|k| StInterval {
                index: k,
                beats: 30,
                levels: vec![
                    (0.0, if (20..24).contains(&k) { -0.17 } else { -0.02 }),
                    (0.05, 0.05),
                ],
            })
            .collect();
        let t = st_trends(&intervals, &["V5".into(), "II".into()], 42, &cfg);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].reference_mv, Some(-0.02));
        assert_eq!(t[0].episodes.len(), 1);
        let e = &t[0].episodes[0];
        assert_eq!(
            (e.kind.as_str(), e.start_s, e.end_s),
            ("depression", 600.0, 720.0)
        );
        assert!((e.max_deviation_mv + 0.15).abs() < 1e-6);
        assert!(t[1].episodes.is_empty());
        assert_eq!(t[0].j80_mv.len(), 42);
        assert_eq!(t[0].j80_mv[41], None);
        // a single deviating interval is too short
        let one: Vec<StInterval> = (0..10u64)
            .map(|k| StInterval {
                index: k,
                beats: 30,
                levels: vec![(0.0, if k == 5 { 0.3 } else { 0.0 })],
            })
            .collect();
        assert!(
            st_trends(&one, &["I".into()], 10, &cfg)[0]
                .episodes
                .is_empty()
        );
    }
}
