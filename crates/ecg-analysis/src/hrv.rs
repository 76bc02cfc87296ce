//! Heart-rate variability per the 1996 Task Force of the ESC and NASPE: time domain,
//! frequency domain (Welch periodogram of the NN series resampled at 4 Hz) and nonlinear
//! measures (Poincare SD1/SD2, DFA alpha1/alpha2, sample entropy).
//!
//! Everything runs on NN intervals only: intervals between two consecutive beats both
//! classified `N`, within [`HrvConfig::min_nn_s`]..[`HrvConfig::max_nn_s`] and differing
//! from the previous accepted interval by at most [`HrvConfig::max_change`]. Successive
//! differences (RMSSD, pNN50, SD1) use adjacent NN intervals only.
//!
//! Conventions (so that numbers can be reproduced with numpy/scipy): standard deviations
//! use `ddof = 1`; band powers are the sum of Welch PSD bins (Hann window, segments of a
//! power of two samples up to 2^14, 50% overlap, linear detrend, density scaling, as
//! `scipy.signal.welch`) times the bin width, over `lo <= f < hi`; DFA uses
//! non-overlapping boxes from the start and every integer box size of the range; sample
//! entropy counts template pairs within `r` (Chebyshev, inclusive) among the first
//! `N - m` templates, as PhysioNet's `sampen`.

use ecg_core::AamiClass;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use crate::result::Beat;

/// HRV settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HrvConfig {
    /// Shortest NN interval accepted (s).
    pub min_nn_s: f64,
    /// Longest NN interval accepted (s).
    pub max_nn_s: f64,
    /// Largest relative change from the previous accepted NN interval.
    pub max_change: f64,
    /// Resampling rate of the NN series for the spectrum (Hz).
    pub resample_hz: f64,
    /// Segment length for SDANN and SDNN index (s).
    pub segment_s: f64,
    /// Sample entropy embedding dimension.
    pub sampen_m: usize,
    /// Sample entropy tolerance as a fraction of the NN standard deviation.
    pub sampen_r: f64,
}

impl Default for HrvConfig {
    fn default() -> Self {
        HrvConfig {
            min_nn_s: 0.3,
            max_nn_s: 2.0,
            max_change: 0.2,
            resample_hz: 4.0,
            segment_s: 300.0,
            sampen_m: 2,
            sampen_r: 0.2,
        }
    }
}

/// Frequency-domain HRV (powers in ms^2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrequencyDomain {
    /// Ultra-low frequency power (< 0.003 Hz), for recordings of an hour or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ulf_ms2: Option<f64>,
    /// Very-low frequency power (0.003-0.04 Hz).
    pub vlf_ms2: f64,
    /// Low frequency power (0.04-0.15 Hz).
    pub lf_ms2: f64,
    /// High frequency power (0.15-0.4 Hz).
    pub hf_ms2: f64,
    /// Total power (< 0.4 Hz).
    pub total_ms2: f64,
    /// LF / HF.
    pub lf_hf: f64,
    /// LF in normalised units, 100 LF / (LF + HF).
    pub lf_nu: f64,
    /// HF in normalised units, 100 HF / (LF + HF).
    pub hf_nu: f64,
}

/// HRV results.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hrv {
    /// NN intervals used.
    pub nn_count: u64,
    /// Mean NN interval (ms).
    pub mean_nn_ms: f64,
    /// Mean heart rate from the mean NN (bpm).
    pub mean_hr_bpm: f64,
    /// SDNN (ms).
    pub sdnn_ms: f64,
    /// SDANN: standard deviation of the 5-minute mean NN (ms); needs two segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdann_ms: Option<f64>,
    /// SDNN index: mean of the 5-minute SDNN (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdnn_index_ms: Option<f64>,
    /// RMSSD (ms).
    pub rmssd_ms: f64,
    /// Percentage of successive differences above 50 ms.
    pub pnn50: f64,
    /// HRV triangular index (NN count / height of the 1/128 s histogram).
    pub triangular_index: f64,
    /// TINN: base of the triangle best fitting the NN histogram (ms).
    pub tinn_ms: f64,
    /// Frequency domain (needs at least 2 minutes of NN intervals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<FrequencyDomain>,
    /// Poincare SD1 (ms).
    pub sd1_ms: f64,
    /// Poincare SD2 (ms).
    pub sd2_ms: f64,
    /// DFA short-term exponent (4-16 beats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dfa_alpha1: Option<f64>,
    /// DFA long-term exponent (16-64 beats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dfa_alpha2: Option<f64>,
    /// Sample entropy (m = 2, r = 0.2 SDNN by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_entropy: Option<f64>,
}

/// NN intervals extracted from beats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NnSeries {
    /// Time of the beat ending each interval (s).
    pub time_s: Vec<f64>,
    /// Interval lengths (ms).
    pub nn_ms: Vec<f64>,
    /// `adjacent[k]`: interval `k` directly follows interval `k - 1` (they share a beat).
    pub adjacent: Vec<bool>,
}

impl NnSeries {
    /// Extracts NN intervals from classified beats.
    pub fn from_beats(beats: &[Beat], fs: f64, cfg: &HrvConfig) -> NnSeries {
        let mut s = NnSeries::default();
        let mut prev: Option<f64> = None;
        let mut last_end: Option<usize> = None;
        for i in 1..beats.len() {
            if beats[i].class != AamiClass::N || beats[i - 1].class != AamiClass::N {
                continue;
            }
            let nn = (beats[i].sample - beats[i - 1].sample) as f64 / fs;
            if !(cfg.min_nn_s..=cfg.max_nn_s).contains(&nn) {
                continue;
            }
            if let Some(p) = prev
                && (nn - p).abs() > cfg.max_change * p
            {
                prev = Some(nn);
                continue;
            }
            prev = Some(nn);
            s.time_s.push(beats[i].sample as f64 / fs);
            s.nn_ms.push(nn * 1000.0);
            s.adjacent.push(last_end == Some(i - 1));
            last_end = Some(i);
        }
        s
    }

    /// Successive differences of adjacent intervals (ms).
    pub fn successive_differences(&self) -> Vec<f64> {
        (1..self.nn_ms.len())
            .filter(|&k| self.adjacent[k])
            .map(|k| self.nn_ms[k] - self.nn_ms[k - 1])
            .collect()
    }
}

/// Computes HRV from classified beats; `None` with fewer than 30 NN intervals.
pub fn hrv_from_beats(beats: &[Beat], fs: f64, cfg: &HrvConfig) -> Option<Hrv> {
    hrv(&NnSeries::from_beats(beats, fs, cfg), cfg)
}

/// Computes HRV from an NN series; `None` with fewer than 30 intervals.
pub fn hrv(s: &NnSeries, cfg: &HrvConfig) -> Option<Hrv> {
    let nn = &s.nn_ms;
    if nn.len() < 30 {
        return None;
    }
    let mean = mean(nn);
    let sdnn = std_dev(nn);
    let diffs = s.successive_differences();
    let rmssd = if diffs.is_empty() {
        0.0
    } else {
        (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt()
    };
    let pnn50 = if diffs.is_empty() {
        0.0
    } else {
        100.0 * diffs.iter().filter(|d| d.abs() > 50.0).count() as f64 / diffs.len() as f64
    };
    let (sdann, sdnn_index) = segment_stats(s, cfg.segment_s);
    let (tri, tinn) = triangular(nn);
    let var_d = if diffs.len() > 1 {
        variance(&diffs)
    } else {
        0.0
    };
    let sd1 = (var_d / 2.0).sqrt();
    let sd2 = (2.0 * sdnn * sdnn - var_d / 2.0).max(0.0).sqrt();
    let (a1, a2) = (dfa(nn, 4, 16), dfa(nn, 16, 64));
    let sampen = sample_entropy(nn, cfg.sampen_m, cfg.sampen_r * sdnn);
    Some(Hrv {
        nn_count: nn.len() as u64,
        mean_nn_ms: mean,
        mean_hr_bpm: 60_000.0 / mean,
        sdnn_ms: sdnn,
        sdann_ms: sdann,
        sdnn_index_ms: sdnn_index,
        rmssd_ms: rmssd,
        pnn50,
        triangular_index: tri,
        tinn_ms: tinn,
        frequency: frequency_domain(s, cfg.resample_hz),
        sd1_ms: sd1,
        sd2_ms: sd2,
        dfa_alpha1: a1,
        dfa_alpha2: a2,
        sample_entropy: sampen,
    })
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

fn std_dev(x: &[f64]) -> f64 {
    variance(x).sqrt()
}

/// SDANN and SDNN index over segments of `seg_s` seconds counted from the first interval
/// (segments with fewer than 10 intervals are skipped).
fn segment_stats(s: &NnSeries, seg_s: f64) -> (Option<f64>, Option<f64>) {
    let Some(&t0) = s.time_s.first() else {
        return (None, None);
    };
    let mut means = Vec::new();
    let mut sds = Vec::new();
    let mut k = 0;
    while k < s.nn_ms.len() {
        let seg = ((s.time_s[k] - t0) / seg_s).floor();
        let mut j = k;
        while j < s.nn_ms.len() && ((s.time_s[j] - t0) / seg_s).floor() == seg {
            j += 1;
        }
        if j - k >= 10 {
            means.push(mean(&s.nn_ms[k..j]));
            sds.push(std_dev(&s.nn_ms[k..j]));
        }
        k = j;
    }
    if means.len() < 2 {
        return (None, None);
    }
    (Some(std_dev(&means)), Some(mean(&sds)))
}

/// HRV triangular index and TINN from the histogram of bin width 1/128 s.
pub fn triangular(nn_ms: &[f64]) -> (f64, f64) {
    let bin = 1000.0 / 128.0;
    let lo = nn_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = nn_ms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 0.0);
    }
    let first = (lo / bin).floor() as i64;
    let nb = ((hi / bin).floor() as i64 - first + 1) as usize;
    let mut h = vec![0f64; nb];
    for &v in nn_ms {
        h[((v / bin).floor() as i64 - first) as usize] += 1.0;
    }
    let (x, &y) = h
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .unwrap_or((0, &0.0));
    let tri = nn_ms.len() as f64 / y.max(1.0);
    // TINN: triangle q with q(n) = 0, q(x) = y, q(m) = 0, least squares against h.
    // Points are histogram bin indices; the triangle's ends may lie one bin outside.
    let ext: Vec<f64> = std::iter::once(0.0)
        .chain(h.iter().copied())
        .chain(std::iter::once(0.0))
        .collect();
    let xe = x + 1;
    // error of the left part for each n < xe, right part for each m > xe
    let left = |n: usize| -> f64 {
        (n..=xe)
            .map(|t| {
                let q = y * (t - n) as f64 / (xe - n) as f64;
                (ext[t] - q).powi(2) - ext[t] * ext[t]
            })
            .sum()
    };
    let right = |m: usize| -> f64 {
        (xe + 1..=m)
            .map(|t| {
                let q = y * (m - t) as f64 / (m - xe) as f64;
                (ext[t] - q).powi(2) - ext[t] * ext[t]
            })
            .sum()
    };
    let mut best_n = 0;
    let mut best_l = f64::INFINITY;
    for n in 0..xe {
        let l = left(n);
        if l < best_l {
            best_l = l;
            best_n = n;
        }
    }
    let mut best_m = xe + 1;
    let mut best_r = f64::INFINITY;
    for m in xe + 1..ext.len() {
        let r = right(m);
        if r < best_r {
            best_r = r;
            best_m = m;
        }
    }
    (tri, (best_m - best_n) as f64 * bin)
}

/// Welch spectrum of the NN series linearly resampled at `fs_r` Hz; `None` when the
/// series covers less than 2 minutes.
pub fn frequency_domain(s: &NnSeries, fs_r: f64) -> Option<FrequencyDomain> {
    let t = &s.time_s;
    let (&t0, &t1) = (t.first()?, t.last()?);
    if t1 - t0 < 120.0 {
        return None;
    }
    let n = ((t1 - t0) * fs_r).floor() as usize + 1;
    let mut x = Vec::with_capacity(n);
    let mut j = 0;
    for k in 0..n {
        let tk = t0 + k as f64 / fs_r;
        while j + 1 < t.len() && t[j + 1] < tk {
            j += 1;
        }
        let v = if j + 1 < t.len() && t[j + 1] > t[j] {
            let f = ((tk - t[j]) / (t[j + 1] - t[j])).clamp(0.0, 1.0);
            s.nn_ms[j] * (1.0 - f) + s.nn_ms[j + 1] * f
        } else {
            s.nn_ms[j]
        };
        x.push(v);
    }
    let mut seg = 1usize;
    while seg * 2 <= n && seg * 2 <= 1 << 14 {
        seg *= 2;
    }
    let (freqs, psd) = welch(&x, fs_r, seg);
    let df = fs_r / seg as f64;
    let band = |lo: f64, hi: f64| -> f64 {
        freqs
            .iter()
            .zip(&psd)
            .filter(|(f, _)| **f >= lo && **f < hi)
            .map(|(_, p)| p)
            .sum::<f64>()
            * df
    };
    let ulf = band(0.0, 0.003);
    let vlf = band(0.003, 0.04);
    let lf = band(0.04, 0.15);
    let hf = band(0.15, 0.4);
    let long = t1 - t0 >= 3600.0;
    Some(FrequencyDomain {
        ulf_ms2: long.then_some(ulf),
        vlf_ms2: vlf,
        lf_ms2: lf,
        hf_ms2: hf,
        total_ms2: if long { ulf } else { 0.0 } + vlf + lf + hf,
        lf_hf: if hf > 0.0 { lf / hf } else { f64::NAN },
        lf_nu: 100.0 * lf / (lf + hf),
        hf_nu: 100.0 * hf / (lf + hf),
    })
}

/// Welch PSD like `scipy.signal.welch(x, fs, window="hann", nperseg=seg,
/// noverlap=seg/2, detrend="linear", scaling="density")`: returns (frequencies, PSD).
pub fn welch(x: &[f64], fs: f64, seg: usize) -> (Vec<f64>, Vec<f64>) {
    let seg = seg.min(x.len()).max(2);
    let step = seg / 2;
    let win: Vec<f64> = (0..seg)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / seg as f64).cos())
        .collect();
    let wss: f64 = win.iter().map(|w| w * w).sum();
    let fft = FftPlanner::<f64>::new().plan_fft_forward(seg);
    let nf = seg / 2 + 1;
    let mut acc = vec![0f64; nf];
    let mut count = 0usize;
    let mut buf = vec![Complex::new(0.0, 0.0); seg];
    let mut start = 0;
    // linear detrend helpers
    let tm = (seg - 1) as f64 / 2.0;
    let stt: f64 = (0..seg).map(|i| (i as f64 - tm).powi(2)).sum();
    while start + seg <= x.len() {
        let s = &x[start..start + seg];
        let m = s.iter().sum::<f64>() / seg as f64;
        let slope = s
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 - tm) * (v - m))
            .sum::<f64>()
            / stt;
        for (i, b) in buf.iter_mut().enumerate() {
            let d = s[i] - m - slope * (i as f64 - tm);
            *b = Complex::new(d * win[i], 0.0);
        }
        fft.process(&mut buf);
        for (k, a) in acc.iter_mut().enumerate() {
            *a += buf[k].norm_sqr();
        }
        count += 1;
        start += step.max(1);
    }
    let scale = 1.0 / (fs * wss * count.max(1) as f64);
    let psd: Vec<f64> = acc
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let double = k != 0 && !(seg.is_multiple_of(2) && k == nf - 1);
            a * scale * if double { 2.0 } else { 1.0 }
        })
        .collect();
    let freqs = (0..nf).map(|k| k as f64 * fs / seg as f64).collect();
    (freqs, psd)
}

/// Detrended fluctuation analysis exponent over box sizes `lo..=hi` (every integer);
/// `None` when the series is shorter than `2 * hi`.
pub fn dfa(x: &[f64], lo: usize, hi: usize) -> Option<f64> {
    if x.len() < 2 * hi || lo < 3 || hi <= lo {
        return None;
    }
    let m = mean(x);
    let mut y = Vec::with_capacity(x.len());
    let mut acc = 0.0;
    for v in x {
        acc += v - m;
        y.push(acc);
    }
    let mut lx = Vec::new();
    let mut ly = Vec::new();
    for s in lo..=hi {
        let boxes = y.len() / s;
        let sf = s as f64;
        let tm = (sf - 1.0) / 2.0;
        let stt = sf * (sf * sf - 1.0) / 12.0;
        let mut ss = 0.0;
        for b in 0..boxes {
            let seg = &y[b * s..(b + 1) * s];
            let ym = seg.iter().sum::<f64>() / sf;
            let slope = seg
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64 - tm) * (v - ym))
                .sum::<f64>()
                / stt;
            for (i, v) in seg.iter().enumerate() {
                let r = v - ym - slope * (i as f64 - tm);
                ss += r * r;
            }
        }
        let f = (ss / (boxes * s) as f64).sqrt();
        if f > 0.0 {
            lx.push(sf.ln());
            ly.push(f.ln());
        }
    }
    if lx.len() < 2 {
        return None;
    }
    let mx = mean(&lx);
    let my = mean(&ly);
    let num: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let den: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    Some(num / den)
}

/// Sample entropy `-ln(A / B)` with embedding `m` and tolerance `r` (absolute units),
/// computed exactly in O(N log^2 N) by range counting ([`count_pairs`]), so that a
/// 24-hour series (100,000 intervals) takes a fraction of a second. `None` when A or B
/// is zero.
pub fn sample_entropy(x: &[f64], m: usize, r: f64) -> Option<f64> {
    if m == 0 || x.len() <= m + 1 || r.is_nan() || r < 0.0 {
        return None;
    }
    let t = x.len() - m;
    let b = count_pairs(x, t, m, r);
    let a = count_pairs(x, t, m + 1, r);
    if a == 0 || b == 0 {
        return None;
    }
    Some(-((a as f64) / (b as f64)).ln())
}

/// Pairs (i < j < t) of templates `x[i..i+d]`, `x[j..j+d]` within `r` in every coordinate.
/// Dimensions 1 to 3: a sweep over the first coordinate keeps the templates within `r`
/// behind the current one in a 2-D Fenwick tree over the ranks of the other two
/// coordinates (dense when the ranks are few, as for NN intervals measured in samples;
/// otherwise a tree of sorted lists), so each template costs a few O(log^2 N) updates
/// and one box count. Higher dimensions fall back to pairwise comparison.
pub fn count_pairs(x: &[f64], t: usize, d: usize, r: f64) -> u64 {
    count_pairs_with(x, t, d, r, 1 << 22)
}

/// [`count_pairs`] with the largest dense tree size (cells) as a parameter.
fn count_pairs_with(x: &[f64], t: usize, d: usize, r: f64, dense_cells: usize) -> u64 {
    if t < 2 || x.len() < t + d - 1 {
        return 0;
    }
    if d > 3 {
        let mut c = 0u64;
        for i in 0..t {
            for j in i + 1..t {
                if (0..d).all(|k| (x[i + k] - x[j + k]).abs() <= r) {
                    c += 1;
                }
            }
        }
        return c;
    }
    let coord = |i: usize, k: usize| if k < d { x[i + k] } else { 0.0 };
    let ranks = |k: usize| {
        let mut v: Vec<f64> = (0..t).map(|i| coord(i, k)).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let (ys, zs) = (ranks(1), ranks(2));
    let rank = |v: &[f64], val: f64| v.partition_point(|&w| w < val);
    let py: Vec<usize> = (0..t).map(|i| rank(&ys, coord(i, 1))).collect();
    let pz: Vec<usize> = (0..t).map(|i| rank(&zs, coord(i, 2))).collect();
    let mut tree: Box<dyn BoxCounter> = if ys.len().saturating_mul(zs.len()) <= dense_cells {
        Box::new(DenseFenwick::new(ys.len(), zs.len()))
    } else {
        Box::new(RangeTree::new(
            ys.len(),
            py.iter().copied().zip(pz.iter().copied()),
        ))
    };
    let mut order: Vec<usize> = (0..t).collect();
    order.sort_by(|&a, &b| coord(a, 0).total_cmp(&coord(b, 0)));
    let mut total = 0u64;
    let mut lo = 0usize;
    for (k, &i) in order.iter().enumerate() {
        let xi = coord(i, 0);
        while coord(order[lo], 0) < xi - r {
            let j = order[lo];
            tree.add(py[j], pz[j], -1);
            lo += 1;
        }
        let (y, z) = (coord(i, 1), coord(i, 2));
        let (y0, y1) = (rank(&ys, y - r), ys.partition_point(|&w| w <= y + r));
        let (z0, z1) = (rank(&zs, z - r), zs.partition_point(|&w| w <= z + r));
        total += tree.count(y0, y1, z0, z1);
        tree.add(py[i], pz[i], 1);
        debug_assert!(lo <= k + 1);
    }
    total
}

/// Counts of points by (y rank, z rank) with updates and box counts.
trait BoxCounter {
    /// Adds `delta` at ranks (`y`, `z`).
    fn add(&mut self, y: usize, z: usize, delta: i32);
    /// Points with y rank in `y0..y1` and z rank in `z0..z1`.
    fn count(&self, y0: usize, y1: usize, z0: usize, z1: usize) -> u64;
}

/// A dense 2-D Fenwick tree.
struct DenseFenwick {
    ny: usize,
    nz: usize,
    bit: Vec<i32>,
}

impl DenseFenwick {
    fn new(ny: usize, nz: usize) -> Self {
        DenseFenwick {
            ny,
            nz,
            bit: vec![0; (ny + 1) * (nz + 1)],
        }
    }

    /// Points with y rank < `y` and z rank < `z`.
    fn prefix(&self, y: usize, z: usize) -> i64 {
        let mut s = 0i64;
        let mut i = y;
        while i > 0 {
            let row = i * (self.nz + 1);
            let mut j = z;
            while j > 0 {
                s += self.bit[row + j] as i64;
                j -= j & j.wrapping_neg();
            }
            i -= i & i.wrapping_neg();
        }
        s
    }
}

impl BoxCounter for DenseFenwick {
    fn add(&mut self, y: usize, z: usize, delta: i32) {
        let mut i = y + 1;
        while i <= self.ny {
            let row = i * (self.nz + 1);
            let mut j = z + 1;
            while j <= self.nz {
                self.bit[row + j] += delta;
                j += j & j.wrapping_neg();
            }
            i += i & i.wrapping_neg();
        }
    }

    fn count(&self, y0: usize, y1: usize, z0: usize, z1: usize) -> u64 {
        if y1 <= y0 || z1 <= z0 {
            return 0;
        }
        let c =
            self.prefix(y1, z1) - self.prefix(y0, z1) - self.prefix(y1, z0) + self.prefix(y0, z0);
        c.max(0) as u64
    }
}

/// A Fenwick tree over y ranks whose nodes hold Fenwick trees over the sorted z ranks of
/// the points that can reach them (memory O(N log N), for many distinct values).
struct RangeTree {
    node_z: Vec<Vec<usize>>,
    node_bit: Vec<Vec<i32>>,
}

impl RangeTree {
    fn new(ny: usize, points: impl Iterator<Item = (usize, usize)>) -> RangeTree {
        let mut node_z: Vec<Vec<usize>> = vec![Vec::new(); ny + 1];
        for (y, z) in points {
            let mut i = y + 1;
            while i <= ny {
                node_z[i].push(z);
                i += i & i.wrapping_neg();
            }
        }
        for v in &mut node_z {
            v.sort_unstable();
            v.dedup();
        }
        let node_bit = node_z.iter().map(|v| vec![0i32; v.len() + 1]).collect();
        RangeTree { node_z, node_bit }
    }

    fn prefix(&self, y: usize, z0: usize, z1: usize) -> i64 {
        let mut c = 0i64;
        let mut i = y;
        while i > 0 {
            let zs = &self.node_z[i];
            let hi = zs.partition_point(|&v| v < z1);
            let lo = zs.partition_point(|&v| v < z0);
            c += bit_prefix(&self.node_bit[i], hi) - bit_prefix(&self.node_bit[i], lo);
            i -= i & i.wrapping_neg();
        }
        c
    }
}

impl BoxCounter for RangeTree {
    fn add(&mut self, y: usize, z: usize, delta: i32) {
        let mut i = y + 1;
        while i < self.node_z.len() {
            let mut k = self.node_z[i].partition_point(|&v| v < z) + 1;
            let bit = &mut self.node_bit[i];
            while k < bit.len() {
                bit[k] += delta;
                k += k & k.wrapping_neg();
            }
            i += i & i.wrapping_neg();
        }
    }

    fn count(&self, y0: usize, y1: usize, z0: usize, z1: usize) -> u64 {
        if y1 <= y0 || z1 <= z0 {
            return 0;
        }
        (self.prefix(y1, z0, z1) - self.prefix(y0, z0, z1)).max(0) as u64
    }
}

fn bit_prefix(bit: &[i32], mut k: usize) -> i64 {
    let mut s = 0i64;
    while k > 0 {
        s += bit[k] as i64;
        k -= k & k.wrapping_neg();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The NN series of the reference values below (same formula in Python).
    fn series() -> NnSeries {
        let mut s = NnSeries::default();
        let mut t = 0.0;
        for k in 0..600usize {
            let nn = 800.0
                + 40.0 * (2.0 * std::f64::consts::PI * 0.1 * t).sin()
                + 25.0 * (2.0 * std::f64::consts::PI * 0.25 * t).sin()
                + 30.0 * (((k * 7919) % 97) as f64 / 97.0 - 0.5);
            t += nn / 1000.0;
            s.time_s.push(t);
            s.nn_ms.push(nn);
            s.adjacent.push(k > 0);
        }
        s
    }

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-12), "{a} vs {b}");
    }

    // Reference values: numpy 2.4 / scipy 1.17, computed with the script below on the same
    // series (np.std(ddof=1); np.interp at 4 Hz; scipy.signal.welch(x, fs=4,
    // window='hann', nperseg=1024, noverlap=512, detrend='linear', scaling='density'),
    // bins lo <= f < hi summed times df; DFA with np.polyfit per non-overlapping box;
    // brute-force sample entropy over the first N - m templates):
    //   /work/venv/bin/python testdata/analysis/hrv_reference.py
    #[test]
    fn matches_numpy_and_scipy() {
        let s = series();
        let h = hrv(&s, &HrvConfig::default()).unwrap();
        close(h.mean_nn_ms, 798.596576772656, 1e-12);
        close(h.sdnn_ms, 34.32651670699393, 1e-12);
        close(h.rmssd_ms, 28.6972775680988, 1e-12);
        close(h.pnn50, 11.686143572621036, 1e-12);
        close(h.sd1_ms, 20.308981823705036, 1e-10);
        close(h.sd2_ms, 44.092683698721316, 1e-10);
        close(h.triangular_index, 7.894736842105263, 1e-12);
        let f = h.frequency.unwrap();
        close(f.vlf_ms2, 0.5654019178576893, 1e-6);
        close(f.lf_ms2, 753.3885693525415, 1e-9);
        close(f.hf_ms2, 250.33777688801925, 1e-9);
        assert!(f.ulf_ms2.is_none());
        close(f.lf_hf, 753.3885693525415 / 250.33777688801925, 1e-9);
        close(f.lf_nu + f.hf_nu, 100.0, 1e-12);
        close(h.dfa_alpha1.unwrap(), 1.1229233549779367, 1e-9);
        close(h.dfa_alpha2.unwrap(), 0.030885918221864282, 1e-6);
        close(h.sample_entropy.unwrap(), 0.8000140987120282, 1e-12);
        let r = 0.2 * h.sdnn_ms;
        assert_eq!(count_pairs(&s.nn_ms, 598, 2, r), 3986);
        assert_eq!(count_pairs(&s.nn_ms, 598, 3, r), 1791);
        // two 5-minute segments
        assert!(h.sdann_ms.is_some() && h.sdnn_index_ms.is_some());
        assert!(h.tinn_ms > 0.0);
    }

    #[test]
    fn white_noise_has_dfa_near_one_half_and_fast_sample_entropy() {
        // 30,000 intervals (the benchmark runs 100,000): sample entropy must stay fast
        let mut seed = 12345u64;
        let nn: Vec<f64> = (0..30_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                800.0 + 100.0 * ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
            })
            .collect();
        let a1 = dfa(&nn, 4, 16).unwrap();
        assert!((a1 - 0.5).abs() < 0.1, "{a1}");
        let t = std::time::Instant::now();
        let se = sample_entropy(&nn, 2, 0.2 * std_dev(&nn)).unwrap();
        // uniform iid: -ln P(|x - y| <= r), r = 0.2 sd = 5.77 of 100 -> about 2.25
        assert!((se - 2.25).abs() < 0.1, "{se}");
        assert!(t.elapsed().as_secs_f64() < 20.0);
    }

    #[test]
    fn nn_intervals_skip_ectopy_and_artefacts() {
        let b = |sample: i64, class| Beat {
            sample,
            class,
            lead: 0,
            template: 0,
        };
        let beats = vec![
            b(0, AamiClass::N),
            b(250, AamiClass::N),
            b(500, AamiClass::N),
            b(650, AamiClass::V),
            b(1000, AamiClass::N),
            b(1250, AamiClass::N),
            b(1500, AamiClass::N),
            b(2100, AamiClass::N), // 2.4 s: too long
            b(2350, AamiClass::N),
        ];
        let s = NnSeries::from_beats(&beats, 250.0, &HrvConfig::default());
        assert_eq!(s.nn_ms, vec![1000.0, 1000.0, 1000.0, 1000.0, 1000.0]);
        assert_eq!(s.adjacent, vec![false, true, false, true, false]);
        assert_eq!(s.successive_differences(), vec![0.0, 0.0]);
    }

    proptest! {
        #[test]
        fn range_counting_equals_brute_force(x in proptest::collection::vec(0.0f64..10.0, 3..80), r in 0.0f64..3.0, d in 1usize..4) {
            prop_assume!(x.len() > d + 1);
            let t = x.len() - d;
            let mut brute = 0u64;
            for i in 0..t {
                for j in i + 1..t {
                    if (0..d).all(|k| (x[i + k] - x[j + k]).abs() <= r) {
                        brute += 1;
                    }
                }
            }
            prop_assert_eq!(count_pairs(&x, t, d, r), brute);
            // the tree of sorted lists (used for many distinct values) agrees
            prop_assert_eq!(count_pairs_with(&x, t, d, r, 0), brute);
        }
    }
}
