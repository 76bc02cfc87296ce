//! The whole-record pipeline: chunked, parallel detection and feature extraction, then
//! global classification, rhythm and HRV.
//!
//! The record is cut into chunks of [`Config::chunk_s`] seconds on a fixed grid; each is
//! read with [`Config::overlap_s`] seconds of context on both sides, so that filters and
//! adaptive thresholds have settled where the chunk's own beats are. A chunk keeps only
//! the beats inside its own range. Chunks run in parallel with rayon or one after the
//! other ([`Config::parallel`]); the result is identical either way because every chunk's
//! computation depends only on its window.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use ecg_core::{Record, Signal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::classify::{BeatFeatures, ClassifierConfig, SHAPE_POINTS, classify};
use crate::delineate::{delineate, median_beat};
use crate::detect::{DetectorConfig, detect_prepared, prepare_lead};
use crate::ecg_leads::{is_ecg_lead, unit_to_mv};
use crate::error::{Error, Result};
use crate::filter::Preprocess;
use crate::hrv::{HrvConfig, hrv_from_beats};
use crate::long_term::{LongTermConfig, StInterval, finish, st_trends};
use crate::resting::RestingConfig;
use crate::result::{Analysis, Beat, QualitySegment};
use crate::rhythm::{RhythmConfig, apply_af, episodes, summary};

/// Lowest sampling frequency accepted.
pub const MIN_FS: f64 = 100.0;
/// Highest sampling frequency accepted.
pub const MAX_FS: f64 = 2000.0;

/// Every setting of the engine. The defaults are general; nothing is tuned per record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// QRS detector.
    pub detector: DetectorConfig,
    /// Preprocessing of the morphology signal.
    pub preprocess: Preprocess,
    /// Beat classifier.
    pub classifier: ClassifierConfig,
    /// Rhythm and events.
    pub rhythm: RhythmConfig,
    /// Heart-rate variability.
    pub hrv: HrvConfig,
    /// Resting measurements.
    pub resting: RestingConfig,
    /// Long-term summary (ST trend).
    pub long_term: LongTermConfig,
    /// Chunk length in seconds.
    pub chunk_s: f64,
    /// Context read on each side of a chunk, in seconds.
    pub overlap_s: f64,
    /// Length of the reported quality segments in seconds.
    pub quality_segment_s: f64,
    /// Use at most this many leads (the first ones at the record's main rate).
    pub max_leads: usize,
    /// Run chunks in parallel (rayon); the result is the same either way.
    pub parallel: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            detector: DetectorConfig::default(),
            preprocess: Preprocess::default(),
            classifier: ClassifierConfig::default(),
            rhythm: RhythmConfig::default(),
            hrv: HrvConfig::default(),
            resting: RestingConfig::default(),
            long_term: LongTermConfig::default(),
            chunk_s: 300.0,
            overlap_s: 12.0,
            quality_segment_s: 10.0,
            max_leads: 3,
            parallel: true,
        }
    }
}

/// Stages reported through the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading samples, filtering, detecting beats and extracting their features.
    Detection,
    /// Template clustering and beat classes.
    Classification,
    /// Rhythm episodes, HRV and the summary.
    Rhythm,
}

/// A progress report: `done` of `total` units of the current stage (samples for
/// detection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Units done.
    pub done: u64,
    /// Units in the stage.
    pub total: u64,
}

/// Analyses a record with the default progress callback (none).
pub fn analyze(record: &Record, cfg: &Config) -> Result<Analysis> {
    analyze_with_progress(record, cfg, &|_| {})
}

/// Analyses a record, calling `progress` as chunks complete (from worker threads).
pub fn analyze_with_progress(
    record: &Record,
    cfg: &Config,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Analysis> {
    let leads = select_leads(record, cfg.max_leads)?;
    let fs = leads[0].fs;
    let n = leads.iter().map(|s| s.len()).min().unwrap_or(0);
    if cfg.chunk_s <= 0.0
        || cfg.overlap_s < 0.0
        || cfg.quality_segment_s <= 0.0
        || cfg.long_term.st_interval_s.is_nan()
        || cfg.long_term.st_interval_s <= 0.0
    {
        return Err(Error::Config(
            "chunk_s, quality_segment_s and long_term.st_interval_s must be positive, overlap_s not negative"
                .into(),
        ));
    }
    let chunk = ((cfg.chunk_s * fs).round() as usize).max(1);
    let overlap = (cfg.overlap_s * fs).round() as usize;
    let seg_len = ((cfg.quality_segment_s * fs).round() as usize).max(1);
    let nchunks = n.div_ceil(chunk);
    let done = AtomicU64::new(0);
    let run = |c: usize| -> Result<ChunkResult> {
        let r = process_chunk(
            &leads,
            fs,
            n,
            c * chunk,
            ((c + 1) * chunk).min(n),
            overlap,
            seg_len,
            cfg,
        );
        let d = done.fetch_add(
            ((c + 1) * chunk).min(n) as u64 - (c * chunk) as u64,
            Ordering::Relaxed,
        );
        progress(Progress {
            stage: Stage::Detection,
            done: d + (((c + 1) * chunk).min(n) - c * chunk) as u64,
            total: n as u64,
        });
        r
    };
    // merge, in chunk order; the chunks run in batches so that only a few chunks' results
    // are alive at once (a week-long record has some 2,000 chunks)
    let dim = SHAPE_POINTS * leads.len().min(2);
    let mut feats: Vec<BeatFeatures> = Vec::new();
    let mut shapes: Vec<f32> = Vec::new();
    let mut seg_acc: BTreeMap<usize, (Vec<f64>, usize)> = BTreeMap::new();
    let mut spikes = Vec::new();
    let mut st_acc: BTreeMap<u64, StInterval> = BTreeMap::new();
    let refractory = (cfg.detector.refractory_s * fs) as i64;
    let batch = if cfg.parallel {
        4 * rayon::current_num_threads().max(1)
    } else {
        1
    };
    let mut c0 = 0;
    while c0 < nchunks {
        let c1 = (c0 + batch).min(nchunks);
        let chunks: Vec<ChunkResult> = if cfg.parallel {
            (c0..c1).into_par_iter().map(run).collect::<Result<_>>()?
        } else {
            (c0..c1).map(run).collect::<Result<_>>()?
        };
        for ch in chunks {
            for iv in ch.st {
                // an interval cut by a chunk boundary: keep the side with more beats
                match st_acc.get(&iv.index) {
                    Some(old) if old.beats >= iv.beats => {}
                    _ => {
                        st_acc.insert(iv.index, iv);
                    }
                }
            }
            for (k, f) in ch.feats.into_iter().enumerate() {
                if let Some(last) = feats.last()
                    && f.sample - last.sample < refractory
                {
                    // the same complex seen from both sides of a chunk boundary
                    if f.energy > last.energy {
                        let len = feats.len() - 1;
                        feats[len] = f;
                        shapes.truncate(len * dim);
                        shapes.extend_from_slice(&ch.shapes[k * dim..(k + 1) * dim]);
                    }
                    continue;
                }
                feats.push(f);
                shapes.extend_from_slice(&ch.shapes[k * dim..(k + 1) * dim]);
            }
            for (s, (v, c)) in ch.segments {
                let e = seg_acc
                    .entry(s)
                    .or_insert_with(|| (vec![0.0; leads.len()], 0));
                for (a, b) in e.0.iter_mut().zip(&v) {
                    *a += b;
                }
                e.1 += c;
            }
            spikes.extend(ch.spikes);
        }
        if c0 == 0 && c1 < nchunks && c1 * chunk > 0 {
            // reserve for the whole record at the first batch's beat rate (plus 10%), so
            // that the per-beat arrays do not grow by doubling (up to 2x their size)
            let per_sample = feats.len() as f64 / (c1 * chunk) as f64;
            let expected = (1.1 * per_sample * n as f64) as usize;
            feats.reserve(expected.saturating_sub(feats.len()));
            shapes.reserve((expected * dim).saturating_sub(shapes.len()));
        }
        c0 = c1;
    }
    let quality: Vec<QualitySegment> = seg_acc
        .into_iter()
        .map(|(s, (v, c))| {
            let lq: Vec<f32> = v.iter().map(|x| (x / c.max(1) as f64) as f32).collect();
            QualitySegment {
                start: (s * seg_len) as i64,
                end: ((s + 1) * seg_len).min(n) as i64,
                overall: lq.iter().copied().fold(0.0, f32::max),
                leads: lq,
            }
        })
        .collect();
    progress(Progress {
        stage: Stage::Classification,
        done: 0,
        total: feats.len() as u64,
    });
    let classes = classify(&feats, &shapes, dim, fs, &cfg.classifier);
    progress(Progress {
        stage: Stage::Classification,
        done: feats.len() as u64,
        total: feats.len() as u64,
    });
    let mut beats: Vec<Beat> = feats
        .iter()
        .zip(&classes.beats)
        .map(|(f, c)| Beat {
            sample: f.sample,
            class: c.class,
            lead: f.lead,
            template: c.template,
        })
        .collect();
    progress(Progress {
        stage: Stage::Rhythm,
        done: 0,
        total: 1,
    });
    apply_af(&mut beats, fs, &cfg.rhythm);
    let episodes = episodes(&beats, fs, n as i64, &quality, &cfg.rhythm);
    let hrv = hrv_from_beats(&beats, fs, &cfg.hrv);
    let mut summary = summary(&beats, &episodes, &quality, fs, n as i64);
    let labels: Vec<String> = leads.iter().map(|s| s.label.clone()).collect();
    let st_len = ((cfg.long_term.st_interval_s * fs).round() as usize).max(1);
    let intervals: Vec<StInterval> = st_acc.into_values().collect();
    summary.st = st_trends(&intervals, &labels, n.div_ceil(st_len), &cfg.long_term);
    let start = record
        .start_date
        .map(|d| d.and_time(record.start_time.unwrap_or_default()));
    finish(&mut summary, &record.name, &labels, start);
    progress(Progress {
        stage: Stage::Rhythm,
        done: 1,
        total: 1,
    });
    let mut analysis = Analysis {
        engine: format!("ecg-analysis {}", env!("CARGO_PKG_VERSION")),
        record: record.name.clone(),
        fs,
        samples: n as u64,
        leads: labels,
        beats,
        templates: classes.templates,
        episodes,
        hrv,
        quality,
        pacing_spikes: spikes,
        summary,
        measurements: None,
    };
    analysis.measurements = crate::resting::measure(record, &analysis, &cfg.resting)?;
    Ok(analysis)
}

/// Chooses the signals to analyse: the ECG leads ([`crate::ecg_leads::is_ecg_lead`]) at
/// the first one's rate, at most `max`. A record without any signal recognised as an ECG
/// lead is analysed on its signals in whatever unit, except obvious non-ECG units (a
/// heart-rate trace, pressure, temperature, ...).
pub fn select_leads(record: &Record, max: usize) -> Result<Vec<&Signal>> {
    let non_ecg_unit = |s: &Signal| {
        let u = s.unit.to_ascii_lowercase();
        matches!(
            u.as_str(),
            "bpm" | "mmhg" | "%" | "degc" | "l/min" | "ohm" | "g"
        )
    };
    let with_samples = |s: &&Signal| !s.is_empty() && s.fs.is_finite() && s.fs > 0.0;
    let mut usable: Vec<&Signal> = record
        .signals
        .iter()
        .filter(with_samples)
        .filter(|s| is_ecg_lead(s))
        .collect();
    if usable.is_empty() {
        usable = record
            .signals
            .iter()
            .filter(with_samples)
            .filter(|s| !non_ecg_unit(s))
            .collect();
    }
    let Some(first) = usable.first() else {
        return Err(Error::NoSignal {
            record: record.name.clone(),
            reason: "no ECG signal with samples and a sampling frequency".into(),
        });
    };
    if !(MIN_FS..=MAX_FS).contains(&first.fs) {
        return Err(Error::UnsupportedRate {
            signal: first.label.clone(),
            fs: first.fs,
            min: MIN_FS,
            max: MAX_FS,
        });
    }
    let fs = first.fs;
    Ok(usable
        .into_iter()
        .filter(|s| (s.fs - fs).abs() < 1e-9)
        .take(max.max(1))
        .collect())
}

struct ChunkResult {
    feats: Vec<BeatFeatures>,
    shapes: Vec<f32>,
    /// quality segment index -> (per-lead weight sums, block count)
    segments: Vec<(usize, (Vec<f64>, usize))>,
    spikes: Vec<i64>,
    /// ST levels of the intervals whose beats lie in the chunk's own range.
    st: Vec<StInterval>,
}

#[allow(clippy::too_many_arguments)]
fn process_chunk(
    leads: &[&Signal],
    fs: f64,
    n: usize,
    start: usize,
    end: usize,
    overlap: usize,
    seg_len: usize,
    cfg: &Config,
) -> Result<ChunkResult> {
    let w0 = start.saturating_sub(overlap);
    let w1 = (end + overlap).min(n);
    let mut cleaned = Vec::with_capacity(leads.len());
    let mut spikes = Vec::new();
    for s in leads {
        let digital = s.samples.window(w0..w1).map_err(|source| Error::Samples {
            signal: s.label.clone(),
            source,
        })?;
        let phys: Vec<f32> = digital
            .iter()
            .map(|&d| {
                let v = s.to_physical(d);
                // physical unit to mV
                (v * unit_to_mv(&s.unit)) as f32
            })
            .collect();
        let (x, sp) = prepare_lead(&phys, fs, &cfg.detector);
        spikes.extend(sp.into_iter().map(|i| (i + w0) as i64));
        cleaned.push(x);
    }
    spikes.retain(|&i| i >= start as i64 && i < end as i64);
    spikes.sort_unstable();
    spikes.dedup_by(|a, b| (*a - *b).abs() < 4);
    let refs: Vec<&[f32]> = cleaned.iter().map(|v| v.as_slice()).collect();
    let det = detect_prepared(&refs, fs, w0, &cfg.detector);
    // morphology signals of every lead (the first two give the beat shapes)
    let shape_leads = leads.len().min(2);
    let morph: Vec<Vec<f32>> = cleaned
        .iter()
        .map(|x| {
            let mut m = x.clone();
            cfg.preprocess.apply(fs, &mut m);
            m
        })
        .collect();
    let offsets = shape_offsets(fs);
    let base_lo = (0.14 * fs).round() as usize;
    let base_hi = (0.10 * fs).round() as usize;
    let pace_window = (0.3 * fs) as i64;
    let mut feats = Vec::new();
    let mut shapes = Vec::new();
    let wlen = w1 - w0;
    for d in &det.beats {
        let abs = (d.sample + w0) as i64;
        if abs < start as i64 || abs >= end as i64 {
            continue;
        }
        let paced = spikes
            .iter()
            .any(|&p| p <= abs && abs - p < pace_window && abs - p > 0);
        for m in morph.iter().take(shape_leads) {
            let lo = d.sample.saturating_sub(base_lo);
            let hi = d.sample.saturating_sub(base_hi).max(lo + 1).min(wlen);
            let base = m[lo..hi].iter().sum::<f32>() / (hi - lo).max(1) as f32;
            for &o in &offsets {
                let i = (d.sample as i64 + o).clamp(0, wlen as i64 - 1) as usize;
                shapes.push(m[i] - base);
            }
        }
        let widths: Vec<f32> = morph
            .iter()
            .take(shape_leads)
            .map(|m| qrs_width(m, d.sample, fs))
            .collect();
        let width_s = widths.iter().sum::<f32>() / widths.len().max(1) as f32;
        feats.push(BeatFeatures {
            sample: abs,
            lead: d.lead as u16,
            energy: d.energy,
            width_s,
            quality: d.quality,
            paced,
        });
    }
    // quality blocks that start inside the chunk's own range
    let q = &det.quality;
    let mut segments: BTreeMap<usize, (Vec<f64>, usize)> = BTreeMap::new();
    if let Some(nb) = q.weights.first().map(|w| w.len()) {
        for b in 0..nb {
            let bs = q.first + b * q.len;
            if bs < start || bs >= end {
                continue;
            }
            let e = segments
                .entry(bs / seg_len)
                .or_insert_with(|| (vec![0.0; leads.len()], 0));
            for (l, w) in q.weights.iter().enumerate() {
                e.0[l] += w[b] as f64;
            }
            e.1 += 1;
        }
    }
    let st = st_levels(&morph, &det.beats, fs, w0, start, end, &spikes, cfg);
    Ok(ChunkResult {
        feats,
        shapes,
        segments: segments.into_iter().collect(),
        spikes,
        st,
    })
}

/// ST levels per interval of [`LongTermConfig::st_interval_s`] (absolute grid) from the
/// chunk's own beats: the median beat of the beats that come on time (RR before and after
/// within 0.8-1.25 of the chunk's median RR, no pacing spike), delineated for its QRS; the
/// level at J + 60 ms and J + 80 ms against the 20 ms before QRS onset, per lead.
#[allow(clippy::too_many_arguments)]
fn st_levels(
    morph: &[Vec<f32>],
    beats: &[crate::detect::Detection],
    fs: f64,
    w0: usize,
    start: usize,
    end: usize,
    spikes: &[i64],
    cfg: &Config,
) -> Vec<StInterval> {
    let lt = &cfg.long_term;
    let iv = ((lt.st_interval_s * fs).round() as usize).max(1);
    let peaks: Vec<usize> = beats.iter().map(|d| d.sample).collect();
    let mut rr: Vec<usize> = peaks.windows(2).map(|w| w[1] - w[0]).collect();
    if rr.is_empty() || morph.is_empty() {
        return Vec::new();
    }
    let mid = rr.len() / 2;
    let median_rr = *rr.select_nth_unstable(mid).1 as f64;
    let on_time = |a: usize, b: usize| {
        let r = (peaks[b] - peaks[a]) as f64 / median_rr;
        (0.8..=1.25).contains(&r)
    };
    let pace = (0.3 * fs) as i64;
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (k, &peak) in peaks
        .iter()
        .enumerate()
        .take(peaks.len().saturating_sub(1))
        .skip(1)
    {
        let abs = peak + w0;
        if abs < start || abs >= end || !on_time(k - 1, k) || !on_time(k, k + 1) {
            continue;
        }
        let a = abs as i64;
        if spikes.iter().any(|&p| p <= a && a - p < pace) {
            continue;
        }
        groups.entry((abs / iv) as u64).or_default().push(peak);
    }
    let pre = (0.3 * fs).round() as usize;
    let post = (0.5 * fs).round() as usize;
    let refs: Vec<&[f32]> = morph.iter().map(|m| m.as_slice()).collect();
    let mut out = Vec::new();
    for (index, members) in groups {
        if members.len() < lt.st_min_beats {
            continue;
        }
        let Some(med) = median_beat(&refs, &members, pre, post) else {
            continue;
        };
        let mr: Vec<&[f32]> = med.iter().map(|m| m.as_slice()).collect();
        let rr_s = median_rr / fs;
        let w = delineate(&mr, fs, pre, rr_s, rr_s, &cfg.resting.delineator);
        let (Some(on), Some(off)) = (w.qrs_on, w.qrs_off) else {
            continue;
        };
        let (j60, j80) = (
            off + (0.06 * fs).round() as usize,
            off + (0.08 * fs).round() as usize,
        );
        let levels: Vec<(f32, f32)> = med
            .iter()
            .map(|x| {
                let a = on.saturating_sub((0.02 * fs).round() as usize);
                let iso = x[a..=on].iter().sum::<f32>() / (on - a + 1) as f32;
                let at = |i: usize| x.get(i).map_or(f32::NAN, |v| v - iso);
                (at(j60), at(j80))
            })
            .collect();
        out.push(StInterval {
            index,
            beats: members.len() as u32,
            levels,
        });
    }
    out
}

/// QRS duration estimate (s): the time between 10% and 90% of the slope energy of `m`
/// within -100..+120 ms of the R peak at `r`.
pub(crate) fn qrs_width(m: &[f32], r: usize, fs: f64) -> f32 {
    let lo = r.saturating_sub((0.10 * fs) as usize).max(1);
    let hi = (r + (0.12 * fs) as usize).min(m.len().saturating_sub(1));
    if hi <= lo + 2 {
        return 0.0;
    }
    let e: Vec<f64> = (lo..hi)
        .map(|k| ((m[k + 1] - m[k - 1]) as f64).powi(2))
        .collect();
    let total: f64 = e.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut acc = 0.0;
    let (mut a, mut b) = (None, None);
    for (k, v) in e.iter().enumerate() {
        acc += v;
        if a.is_none() && acc >= 0.1 * total {
            a = Some(k);
        }
        if b.is_none() && acc >= 0.9 * total {
            b = Some(k);
        }
    }
    match (a, b) {
        (Some(a), Some(b)) => ((b - a) as f64 / fs) as f32,
        _ => 0.0,
    }
}

/// Sample offsets (relative to the R peak) of the shape points: -100 ms to +120 ms.
pub(crate) fn shape_offsets(fs: f64) -> Vec<i64> {
    (0..SHAPE_POINTS)
        .map(|k| {
            let t = -0.10 + 0.22 * k as f64 / (SHAPE_POINTS - 1) as f64;
            (t * fs).round() as i64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::synth;
    use ecg_core::{AamiClass, Samples, Scale};

    /// A 2-lead record with a PVC-like wide beat every 7th beat.
    fn record(fs: f64, seconds: f64) -> (Record, Vec<usize>) {
        let n = (seconds * fs) as usize;
        let mut r = Vec::new();
        let mut t = 0.4;
        let mut k = 0;
        while t < seconds - 0.7 {
            r.push((t * fs) as usize);
            k += 1;
            t += if k % 7 == 6 {
                0.5
            } else if k % 7 == 0 {
                1.1
            } else {
                0.8
            };
        }
        let a = synth(fs, n, &r, 1.0);
        let b = synth(fs, n, &r, 0.5);
        let mut rec = Record::new("synthetic", "test");
        for (label, x) in [("I", a), ("II", b)] {
            let mut s = Signal::new(
                label,
                fs,
                "mV",
                Samples::from_vec(x.iter().map(|v| (v * 1000.0).round() as i32).collect()),
            );
            s.scale = Scale::Gain {
                gain: 1000.0,
                baseline: 0.0,
            };
            rec.signals.push(s);
        }
        (rec, r)
    }

    #[test]
    fn parallel_equals_sequential_across_chunk_boundaries() {
        let fs = 250.0;
        // 14 chunks: more than one batch of chunks on machines with up to 3 threads
        let (rec, truth) = record(fs, 400.0);
        let cfg = Config {
            chunk_s: 30.0,
            overlap_s: 8.0,
            ..Config::default()
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let par = analyze_with_progress(&rec, &cfg, &|_| {
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert!(calls.load(Ordering::Relaxed) >= 7);
        let seq = analyze(
            &rec,
            &Config {
                parallel: false,
                ..cfg.clone()
            },
        )
        .unwrap();
        assert!(par.beats == seq.beats, "beats differ");
        assert!(par.quality == seq.quality, "quality differs");
        assert!(par.templates == seq.templates, "templates differ");
        assert!(par.hrv == seq.hrv, "hrv differs");
        let again = analyze(
            &rec,
            &Config {
                parallel: false,
                ..cfg.clone()
            },
        )
        .unwrap();
        assert!(again.hrv == seq.hrv, "hrv not deterministic");
        assert!(par == seq, "analyses differ");
        assert_eq!(par.beats.len(), truth.len());
        for (b, &t) in par.beats.iter().zip(&truth) {
            assert!((b.sample - t as i64).abs() <= 3, "{} vs {t}", b.sample);
        }
        // one big chunk finds the same beats
        let whole = analyze(
            &rec,
            &Config {
                chunk_s: 1000.0,
                ..cfg
            },
        )
        .unwrap();
        let s1: Vec<i64> = whole.beats.iter().map(|b| b.sample).collect();
        let s2: Vec<i64> = par.beats.iter().map(|b| b.sample).collect();
        assert_eq!(s1, s2);
        assert_eq!(par.leads, vec!["I", "II"]);
        assert_eq!(par.quality.len(), 40);
        assert!(par.quality.iter().all(|q| q.overall > 0.5));
        let ann = par.to_annotations("ecg");
        assert_eq!(ann.annotations.len(), par.beats.len());
        assert!(ann.annotations.iter().all(|a| a.code.is_beat()));
        let json = serde_json::to_string(&par).unwrap();
        let back: Analysis = serde_json::from_str(&json).unwrap();
        assert!(back.beats == par.beats && back.episodes == par.episodes);
        assert_eq!(back.templates, par.templates);
        assert!(par.summary.hr_mean.is_some());
        assert_eq!(
            par.summary.class_counts.iter().sum::<u64>(),
            par.beats.len() as u64
        );
        assert!(par.count(AamiClass::N) > par.beats.len() / 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Any samples at any supported rate analyse without panicking.
        #[test]
        fn arbitrary_signals_never_panic(
            samples in proptest::collection::vec(proptest::prelude::any::<i16>(), 0..3000),
            fs in 100.0f64..2000.0,
            leads in 1usize..4,
        ) {
            let mut rec = Record::new("fuzz", "test");
            for l in 0..leads {
                let v: Vec<i32> = samples.iter().map(|&x| x as i32 * (l as i32 + 1)).collect();
                rec.signals.push(Signal::new(format!("L{l}"), fs, "uV", Samples::from_vec(v)));
            }
            let r = analyze(&rec, &Config { chunk_s: 2.0, overlap_s: 1.0, ..Config::default() });
            if samples.is_empty() {
                proptest::prop_assert!(r.is_err());
            } else {
                let a = r.unwrap();
                proptest::prop_assert!(a.beats.windows(2).all(|w| w[0].sample < w[1].sample));
            }
        }
    }

    #[test]
    fn bad_records_give_typed_errors() {
        let rec = Record::new("empty", "test");
        assert!(matches!(
            analyze(&rec, &Config::default()),
            Err(Error::NoSignal { .. })
        ));
        let mut low = Record::new("low", "test");
        low.signals.push(Signal::new(
            "I",
            50.0,
            "mV",
            Samples::from_vec(vec![0; 100]),
        ));
        assert!(matches!(
            analyze(&low, &Config::default()),
            Err(Error::UnsupportedRate { .. })
        ));
        let (rec, _) = record(250.0, 10.0);
        let bad = Config {
            chunk_s: 0.0,
            ..Config::default()
        };
        assert!(matches!(analyze(&rec, &bad), Err(Error::Config(_))));
        // a flat record analyses to no beats, all noise
        let mut flat = Record::new("flat", "test");
        flat.signals.push(Signal::new(
            "I",
            250.0,
            "mV",
            Samples::from_vec(vec![0; 5000]),
        ));
        let a = analyze(&flat, &Config::default()).unwrap();
        assert!(a.beats.is_empty());
        assert!(a.hrv.is_none());
        assert!(a.summary.noise_fraction > 0.99);
    }
}
