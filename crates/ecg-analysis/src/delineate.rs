//! Wave delineation: P onset/peak/offset, QRS onset/offset, T peak/offset of one beat,
//! global across leads.
//!
//! The input is a set of leads already preprocessed for morphology (baseline wander removed,
//! 40 Hz low-pass: [`crate::filter::Preprocess`]), either a median beat or a stretch of the
//! recording around one beat.
//!
//! - **QRS** boundaries come from the spatial velocity `v(t) = sqrt(sum_l x_l'(t)^2)` of all
//!   leads: the QRS core is where `v` exceeds [`DelineatorConfig::qrs_core_fraction`] of its
//!   maximum near the R peak; the onset is the first sample before the core where `v` falls
//!   to [`DelineatorConfig::qrs_onset_fraction`] of the maximum, the offset the first sample
//!   after it where `v` falls to [`DelineatorConfig::qrs_offset_fraction`].
//! - **T wave** (on a copy low-passed at [`DelineatorConfig::smooth_hz`]): per lead, the
//!   largest deviation from the isoelectric level (the 20 ms before QRS onset) between
//!   QRS offset + 60 ms and an RR-dependent limit; a later lobe of opposite sign and at least
//!   [`DelineatorConfig::t_second_lobe`] of its size (biphasic T) takes over. The T end is
//!   found with the trapezium-area method of Vázquez-Seisdedos et al. (BioMedical Engineering
//!   OnLine 2011, 10:43): from the point of steepest descent after the peak `xm` and a
//!   reference point `xr` = `xm` + [`DelineatorConfig::t_reference_s`], the end is the
//!   `xi` in `[xm, xr]` maximising the area `|(y(xm) - y(xi)) (2 xr - xi - xm)| / 2`.
//! - **Global T end** across leads. A lead's T end is *settled* when it lies within
//!   [`DelineatorConfig::t_settled_fraction`] of its trapezium window `[xm, xr]`: an end at
//!   or near `xr` means the signal had not come back to a plateau within the reference
//!   distance, typically a T wave running into the next beat's P wave (PTB s0010_re: in II,
//!   aVF, V2, V5 and V6 the ends lie at 80-100% of the window and 90-120 ms after those of
//!   I, III, aVL, V3 and V4, at 26-40%). With at least [`DelineatorConfig::t_global_min_leads`]
//!   settled leads (T wave at least [`DelineatorConfig::t_min_mv`]), the global T end is the
//!   median of the settled ends of the leads whose T wave is at least
//!   [`DelineatorConfig::t_lead_fraction`] of the largest settled one (the ends of small T
//!   waves are unreliable); the global T peak and [`Waves::t_lead`] come from that largest
//!   settled lead. With fewer settled leads (one- and two-lead recordings) the settled lead
//!   with the largest T wave gives the global T peak and end; with no settled lead, the lead
//!   with the largest T wave.
//! - **P wave** (same smoothed copy): the largest deviation from the chord over the window
//!   `[QRS onset - min(300 ms, RR/2), QRS onset - 20 ms]`, in the lead where it is largest;
//!   it must reach [`DelineatorConfig::p_min_mv`]. Onset and offset are where the slope
//!   falls below the steepest slope of the wave's rising (falling) flank divided by
//!   [`DelineatorConfig::p_onset_slope_ratio`] ([`DelineatorConfig::p_offset_slope_ratio`]),
//!   in the manner of Laguna et al. (Comput Biomed Res 1994).
//!
//! - **Few leads** (at most [`DelineatorConfig::wavelet_max_leads`], e.g. the two leads of
//!   a Holter or QT-database record, where the spatial velocity is dominated by the larger
//!   lead): each lead is also delineated alone by a wavelet delineator in the manner of
//!   Martínez et al. (IEEE TBME 2004; [`delineate_lead_wavelet`]: quadratic-spline à-trous
//!   transform at 250 Hz, QRS onset/offset from the modulus maxima of scale 2^2 around R,
//!   T end and P boundaries from scale 2^4 around the wave peaks; a T end is taken after
//!   a second, opposite lobe of the scale-2^4 transform that follows within 100 ms
//!   ([`DelineatorConfig::wt_t_second`], a biphasic T), and every global boundary
//!   becomes the median of the estimate above and the leads' wavelet estimates (P and T
//!   candidates only from leads whose wave reaches [`DelineatorConfig::p_min_mv`] /
//!   [`DelineatorConfig::t_min_mv`]; whether a P or T wave is present is still decided by
//!   the rules above). With two leads this is the median of three: a lead whose boundary is
//!   an outlier is outvoted. With more leads (12-lead resting ECGs) the spatial velocity and
//!   the robust T rule already combine the leads and stand alone.
//!
//! The thresholds are round values (the wavelet ones those of Martínez et al., except the
//! 40 ms / 50 ms gaps between QRS modulus maxima before / after the largest one, the 6%/9%
//! fractions that keep maxima in the QRS and the 15% / 100 ms of the biphasic T rule); they
//! were checked against the cardiologists' marks of the QT database, looking at its first
//! ten records only for the wavelet settings and the few-lead median, and at two later
//! records for the P offset rule and the 50 ms gap (docs/ACCURACY.md reports both halves).

use serde::{Deserialize, Serialize};

use crate::filter::{Biquad, filtfilt};

/// Delineator settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DelineatorConfig {
    /// Fraction of the peak spatial velocity that marks the QRS core.
    pub qrs_core_fraction: f32,
    /// QRS onset: the spatial velocity falls to this fraction of its peak.
    pub qrs_onset_fraction: f32,
    /// QRS offset: the spatial velocity falls to this fraction of its peak.
    pub qrs_offset_fraction: f32,
    /// Low-pass cut-off (Hz) of the copy used for P and T waves.
    pub smooth_hz: f64,
    /// Smallest T wave (mV from the isoelectric level) that is delineated.
    pub t_min_mv: f32,
    /// A later T lobe of opposite sign at least this fraction of the first one's size makes
    /// the T wave biphasic (its end is the second lobe's end).
    pub t_second_lobe: f32,
    /// Distance (s) of the trapezium's reference point after the steepest T descent.
    pub t_reference_s: f64,
    /// A lead's T end counts as settled when it lies within this fraction of its trapezium
    /// window (steepest descent to reference point); see [`LeadTWave::settled`].
    pub t_settled_fraction: f32,
    /// Fewest leads with a settled T end for the robust global T end; with fewer, the
    /// settled lead with the largest T wave gives it (with none, the largest T wave).
    pub t_global_min_leads: usize,
    /// Robust global T end: only settled leads whose T wave is at least this fraction of the
    /// largest settled one take part (ends of small T waves are unreliable).
    pub t_lead_fraction: f32,
    /// Smallest P wave (mV from the chord under it) that counts as present.
    pub p_min_mv: f32,
    /// The P search window ends this long (s) before QRS onset.
    pub p_gap_s: f64,
    /// Longest P search window (s) before QRS onset (at most half the preceding RR).
    pub p_window_s: f64,
    /// P onset where the slope falls below the steepest rising slope divided by this.
    pub p_onset_slope_ratio: f32,
    /// P offset where the slope falls below the steepest falling slope divided by this.
    pub p_offset_slope_ratio: f32,
    /// Wavelet delineator: modulus maxima of the scale-2^2 transform before the main one
    /// belong to the QRS when above this fraction of it.
    pub wt_qrs_pre: f32,
    /// Same after the main maximum.
    pub wt_qrs_post: f32,
    /// Largest gap (s) between successive QRS modulus maxima before the main one.
    pub wt_qrs_gap_s: f64,
    /// Largest gap (s) between successive QRS modulus maxima after the main one: wider than
    /// [`DelineatorConfig::wt_qrs_gap_s`] so that the slow upstroke out of a deep S wave,
    /// whose maximum lies 40-50 ms after the R downstroke's, still belongs to the QRS.
    pub wt_qrs_post_gap_s: f64,
    /// QRS onset where the scale-2^2 modulus falls to this fraction of the first maximum.
    pub wt_qrs_on: f32,
    /// QRS offset where the scale-2^2 modulus falls to this fraction of the last maximum.
    pub wt_qrs_off: f32,
    /// T end where the scale-2^4 modulus falls to this fraction of the descending maximum.
    pub wt_t_end: f32,
    /// Biphasic T in the wavelet delineator: when, within
    /// [`DelineatorConfig::wt_t_second_s`] after the T end found from the descending
    /// maximum, the scale-2^4 transform has a maximum of the opposite sign (a second phase
    /// of the wave) above this fraction of the descending maximum's modulus, the T end is
    /// taken after that lobe instead (at most two phases: not when the T peak already is
    /// the later lobe of a biphasic T by [`DelineatorConfig::t_second_lobe`]). 0 turns the
    /// rule off.
    pub wt_t_second: f32,
    /// Longest time (s) after the T end in which the biphasic rule of
    /// [`DelineatorConfig::wt_t_second`] looks for the second lobe.
    pub wt_t_second_s: f64,
    /// P onset and offset from the modulus maxima of the scale-2^4 transform nearest the P
    /// peak (the last one before it, the first one after it: the P wave's own slopes)
    /// rather than the largest ones in the search window (after the peak that can be the
    /// start of the QRS seen through the wide scale).
    pub wt_p_first_maximum: bool,
    /// P onset where the scale-2^4 modulus falls to this fraction of the rising maximum.
    pub wt_p_on: f32,
    /// P offset where the scale-2^4 modulus falls to this fraction of the falling maximum.
    pub wt_p_off: f32,
    /// With at most this many leads, each global boundary is the median of the estimate
    /// above (spatial velocity, T and P rules) and the per-lead wavelet estimates
    /// ([`delineate_lead_wavelet`]); with more leads the estimate above stands alone. 0
    /// turns the wavelet delineator off.
    pub wavelet_max_leads: usize,
}

impl Default for DelineatorConfig {
    fn default() -> Self {
        DelineatorConfig {
            qrs_core_fraction: 0.3,
            qrs_onset_fraction: 0.03,
            qrs_offset_fraction: 0.10,
            smooth_hz: 15.0,
            t_min_mv: 0.05,
            t_second_lobe: 0.5,
            t_reference_s: 0.2,
            t_settled_fraction: 0.6,
            t_global_min_leads: 3,
            t_lead_fraction: 0.5,
            p_min_mv: 0.03,
            p_gap_s: 0.02,
            p_window_s: 0.3,
            p_onset_slope_ratio: 2.0,
            p_offset_slope_ratio: 1.5,
            wt_qrs_pre: 0.06,
            wt_qrs_post: 0.09,
            wt_qrs_gap_s: 0.04,
            wt_qrs_post_gap_s: 0.05,
            wavelet_max_leads: 3,
            wt_qrs_on: 0.05,
            wt_qrs_off: 0.125,
            wt_t_end: 0.4,
            wt_t_second: 0.15,
            wt_t_second_s: 0.1,
            wt_p_first_maximum: true,
            wt_p_on: 0.5,
            wt_p_off: 0.9,
        }
    }
}

/// Wave boundaries and peaks of one beat, as sample indices into the delineated leads.
/// `None` where a wave was not found (no P wave in atrial fibrillation, a flat T wave).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waves {
    /// P wave onset.
    pub p_on: Option<usize>,
    /// P wave peak.
    pub p_peak: Option<usize>,
    /// P wave offset.
    pub p_off: Option<usize>,
    /// QRS onset.
    pub qrs_on: Option<usize>,
    /// QRS offset (J point).
    pub qrs_off: Option<usize>,
    /// T wave peak.
    pub t_peak: Option<usize>,
    /// T wave offset.
    pub t_off: Option<usize>,
    /// Lead (index into the input) that gave the P wave.
    pub p_lead: Option<usize>,
    /// Lead (index into the input) that gave the T wave (with the robust global T end of
    /// several leads: the largest settled T wave, which gave the T peak).
    pub t_lead: Option<usize>,
}

/// Seconds to a whole number of samples.
fn samples(s: f64, fs: f64) -> usize {
    (s * fs).round().max(0.0) as usize
}

/// Delineates the beat whose R peak is at `r` in `leads` (mV, preprocessed, same length,
/// sampled at `fs`). `rr_prev_s` and `rr_next_s` are the RR intervals before and after the
/// beat (NaN or 0 when unknown); they bound the P and T search windows.
pub fn delineate(
    leads: &[&[f32]],
    fs: f64,
    r: usize,
    rr_prev_s: f64,
    rr_next_s: f64,
    cfg: &DelineatorConfig,
) -> Waves {
    let mut out = Waves::default();
    let n = leads.iter().map(|l| l.len()).min().unwrap_or(0);
    if leads.is_empty()
        || n < 8
        || r + 2 >= n
        || r < 2
        || fs.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return out;
    }
    // --- QRS from the spatial velocity
    let half = (fs / 2.0) as f32;
    let v_lo = r.saturating_sub(samples(0.25, fs)).max(1);
    let v_hi = (r + samples(0.25, fs)).min(n - 2);
    let v: Vec<f32> = (v_lo..=v_hi)
        .map(|i| {
            leads
                .iter()
                .map(|l| {
                    let d = (l[i + 1] - l[i - 1]) * half;
                    d * d
                })
                .sum::<f32>()
                .sqrt()
        })
        .collect();
    let vi = |i: usize| v[i - v_lo];
    let lo = r.saturating_sub(samples(0.1, fs)).max(v_lo);
    let hi = (r + samples(0.1, fs)).min(v_hi);
    let vmax = (lo..=hi).map(vi).fold(0.0f32, f32::max);
    if vmax.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !vmax.is_finite() {
        return out;
    }
    let core = cfg.qrs_core_fraction * vmax;
    let first_core = (lo..=r).find(|&i| vi(i) > core).unwrap_or(r);
    let last_core = (r..=hi).rev().find(|&i| vi(i) > core).unwrap_or(r);
    let lo2 = r.saturating_sub(samples(0.2, fs)).max(v_lo);
    let hi2 = (r + samples(0.2, fs)).min(v_hi);
    let mut i = first_core;
    while i > lo2 && vi(i) > cfg.qrs_onset_fraction * vmax {
        i -= 1;
    }
    let qrs_on = i;
    let mut i = last_core;
    while i < hi2 && vi(i) > cfg.qrs_offset_fraction * vmax {
        i += 1;
    }
    let qrs_off = i;
    out.qrs_on = Some(qrs_on);
    out.qrs_off = Some(qrs_off);

    // --- smoothed copies of a window around the beat for P and T
    let w0 = r.saturating_sub(samples(0.7, fs));
    let w1 = (r + samples(1.0, fs)).min(n);
    let lp = [Biquad::lowpass(fs, cfg.smooth_hz.min(0.45 * fs))];
    let smooth: Vec<Vec<f32>> = leads
        .iter()
        .map(|l| {
            let mut y = l[w0..w1].to_vec();
            filtfilt(&lp, &mut y);
            y
        })
        .collect();
    let slope = |y: &[f32], i: usize| -> f32 {
        if i == 0 || i + 1 >= y.len() {
            0.0
        } else {
            (y[i + 1] - y[i - 1]) * half
        }
    };
    // isoelectric level per lead: the 20 ms before QRS onset (unsmoothed signal)
    let iso_a = qrs_on.saturating_sub(samples(0.02, fs));
    let iso: Vec<f32> = leads
        .iter()
        .map(|l| {
            let s = &l[iso_a..=qrs_on];
            s.iter().sum::<f32>() / s.len() as f32
        })
        .collect();

    // --- T wave
    let rr_next = if rr_next_s.is_finite() && rr_next_s > 0.0 {
        rr_next_s
    } else {
        1.0
    };
    let ws = qrs_off + samples(0.06, fs);
    let wend = (r + samples((0.7 * rr_next).clamp(0.3, 0.8), fs)).min(w1.saturating_sub(1));
    if wend > ws + samples(0.04, fs) && ws > w0 {
        let (a, b) = (ws - w0, wend - w0);
        let last = (r + samples(0.9 * rr_next, fs)).saturating_sub(w0);
        let waves: Vec<LeadTWave> = smooth
            .iter()
            .enumerate()
            .filter_map(|(l, y)| {
                let t = lead_t_wave(y, iso[l], a, b, last, fs, cfg)?;
                Some(LeadTWave {
                    lead: l,
                    peak: t.peak + w0,
                    end: t.end + w0,
                    descent: t.descent + w0,
                    reference: t.reference + w0,
                    ..t
                })
            })
            .collect();
        if let Some(t) = global_t_wave(&waves, cfg) {
            out.t_peak = Some(t.peak);
            out.t_off = Some(t.end);
            out.t_lead = Some(t.lead);
        }
    }

    // --- P wave
    let rr_prev = if rr_prev_s.is_finite() && rr_prev_s > 0.0 {
        rr_prev_s
    } else {
        1.0
    };
    let pwin = samples(cfg.p_window_s.min(0.5 * rr_prev), fs);
    let gap = samples(cfg.p_gap_s, fs);
    let edge = samples(0.01, fs);
    if qrs_on > w0 + pwin && pwin > gap + samples(0.06, fs) {
        let ps = qrs_on - pwin - w0;
        let pe = qrs_on - gap - w0;
        let mut best: Option<(f32, usize, usize)> = None; // amp (signed), lead, peak
        for (l, y) in smooth.iter().enumerate() {
            let (ya, yb) = (y[ps], y[pe]);
            let span = (pe - ps) as f32;
            let dev = |i: usize| y[i] - (ya + (yb - ya) * (i - ps) as f32 / span);
            let Some(k) = (ps + edge..pe.saturating_sub(edge))
                .max_by(|&x, &z| dev(x).abs().total_cmp(&dev(z).abs()))
            else {
                continue;
            };
            let amp = dev(k);
            if best.is_none_or(|bst| amp.abs() > bst.0.abs()) {
                best = Some((amp, l, k));
            }
        }
        if let Some((amp, l, k)) = best
            && amp.abs() >= cfg.p_min_mv
        {
            let y = &smooth[l];
            let sg = amp.signum();
            let xl = k.saturating_sub(samples(0.1, fs)).max(1);
            let xm = (xl..k)
                .max_by(|&x, &z| (slope(y, x) * sg).total_cmp(&(slope(y, z) * sg)))
                .unwrap_or(k);
            let th = slope(y, xm).abs() / cfg.p_onset_slope_ratio;
            let stop = xl.saturating_sub(samples(0.04, fs)).max(1);
            let mut i = xm;
            while i > stop && slope(y, i).abs() > th {
                i -= 1;
            }
            let p_on = i;
            let qon = qrs_on - w0;
            let xr = (k + samples(0.1, fs)).min(qon.saturating_sub(samples(0.005, fs)));
            let xm2 = (k..xr)
                .max_by(|&x, &z| (-slope(y, x) * sg).total_cmp(&(-slope(y, z) * sg)))
                .unwrap_or(k);
            let th2 = slope(y, xm2).abs() / cfg.p_offset_slope_ratio;
            let lim = xr.min(xm2 + samples(0.04, fs));
            let mut i = xm2;
            while i < lim && slope(y, i).abs() > th2 {
                i += 1;
            }
            let p_off = i.max(k);
            out.p_on = Some(p_on.min(k) + w0);
            out.p_peak = Some(k + w0);
            out.p_off = Some(p_off + w0);
            out.p_lead = Some(l);
        }
    }
    if leads.len() <= cfg.wavelet_max_leads {
        combine_with_wavelet(&mut out, leads, fs, r, rr_prev_s, rr_next_s, cfg);
    }
    out
}

/// Median of the candidate sample indices (the mean of the two middle ones, rounded up,
/// for an even count); `None` when there is none.
fn median_index(mut v: Vec<usize>) -> Option<usize> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]).div_ceil(2)
    })
}

/// Few-lead rule (module documentation): every boundary of `out` becomes the median of its
/// own value and the wavelet estimates of the leads (P and T candidates only from leads
/// whose wave reaches [`DelineatorConfig::p_min_mv`] / [`DelineatorConfig::t_min_mv`]).
/// A wave `out` did not find stays absent, so the presence rules above decide.
fn combine_with_wavelet(
    out: &mut Waves,
    leads: &[&[f32]],
    fs: f64,
    r: usize,
    rr_prev_s: f64,
    rr_next_s: f64,
    cfg: &DelineatorConfig,
) {
    let (Some(qon), Some(qoff)) = (out.qrs_on, out.qrs_off) else {
        return;
    };
    let per_lead: Vec<LeadWaves> = leads
        .iter()
        .map(|x| delineate_lead_wavelet(x, fs, r, rr_prev_s, rr_next_s, Some((qon, qoff)), cfg))
        .collect();
    let pick = |own: Option<usize>, f: &dyn Fn(&LeadWaves) -> Option<usize>| {
        let mut v: Vec<usize> = own.into_iter().collect();
        v.extend(per_lead.iter().filter_map(f));
        median_index(v)
    };
    out.qrs_on = pick(out.qrs_on, &|w| w.qrs_on).map(|v| v.min(r));
    out.qrs_off = pick(out.qrs_off, &|w| w.qrs_off).map(|v| v.max(r));
    if out.t_off.is_some() {
        let t_ok = |w: &LeadWaves| w.t_amp.abs() >= cfg.t_min_mv;
        out.t_off = pick(out.t_off, &|w| w.t_off.filter(|_| t_ok(w)));
        if let (Some(p), Some(e)) = (out.t_peak, out.t_off) {
            out.t_off = Some(e.max(p));
        }
    }
    if let Some(peak) = out.p_peak {
        let p_ok = |w: &LeadWaves| w.p_amp.abs() >= cfg.p_min_mv;
        out.p_on = pick(out.p_on, &|w| w.p_on.filter(|_| p_ok(w))).map(|v| v.min(peak));
        out.p_off = pick(out.p_off, &|w| w.p_off.filter(|_| p_ok(w))).map(|v| v.max(peak));
    }
}

/// The T wave of one lead: peak and end (sample indices) and its size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeadTWave {
    /// Lead (index into the delineated leads).
    pub lead: usize,
    /// Signed T amplitude (mV from the isoelectric level; the later lobe of a biphasic T).
    pub amplitude_mv: f32,
    /// T peak.
    pub peak: usize,
    /// T end (trapezium-area method).
    pub end: usize,
    /// Point of steepest descent after the peak (start of the trapezium window).
    pub descent: usize,
    /// Reference point of the trapezium (end of its window).
    pub reference: usize,
}

impl LeadTWave {
    /// Whether the T end lies within `fraction` of the trapezium window
    /// (`descent..=reference`): the wave came back to a plateau. An end at or near the
    /// reference point means the signal was still moving there (typically a T wave running
    /// into the next P wave), so the end is not a T end.
    pub fn settled(&self, fraction: f32) -> bool {
        let window = self.reference.saturating_sub(self.descent) as f32;
        (self.end.saturating_sub(self.descent) as f32) <= fraction * window
    }
}

/// Slope (per second) of `y` at `i` by the central difference; 0 at the edges.
fn slope_at(y: &[f32], i: usize, half_fs: f32) -> f32 {
    if i == 0 || i + 1 >= y.len() {
        0.0
    } else {
        (y[i + 1] - y[i - 1]) * half_fs
    }
}

/// The T wave of one smoothed lead `y` (isoelectric level `iso`): the largest deviation in
/// `[a, b)`, the later opposite lobe when biphasic, the trapezium end with the reference
/// point at most at `last`. `lead` is left 0. `None` when there is no descent after the peak.
fn lead_t_wave(
    y: &[f32],
    iso: f32,
    a: usize,
    b: usize,
    last: usize,
    fs: f64,
    cfg: &DelineatorConfig,
) -> Option<LeadTWave> {
    let half = (fs / 2.0) as f32;
    let wn = y.len();
    let dev = |i: usize| y[i] - iso;
    let mut k = (a..b).max_by(|&x, &z| dev(x).abs().total_cmp(&dev(z).abs()))?;
    let mut amp = dev(k);
    if amp == 0.0 {
        return None;
    }
    // a later opposite lobe of comparable size: biphasic T
    let lobe_end = b.min(k + samples(0.15, fs));
    if let Some(k2) = (k + 1..lobe_end)
        .min_by(|&x, &z| (dev(x) * amp.signum()).total_cmp(&(dev(z) * amp.signum())))
        && -dev(k2) * amp.signum() > cfg.t_second_lobe * amp.abs()
    {
        k = k2;
        amp = dev(k2);
    }
    // steepest descent back towards the baseline after the peak
    let e = (b + samples(0.1, fs))
        .min(k + samples(0.15, fs))
        .min(wn.saturating_sub(1));
    let descent = |i: usize| -slope_at(y, i, half) * amp.signum();
    let xm = (k..e).max_by(|&x, &z| descent(x).total_cmp(&descent(z)))?;
    if descent(xm) <= 0.0 {
        return None;
    }
    let xr = (xm + samples(cfg.t_reference_s, fs)).min(wn - 1).min(last);
    let end = trapezium_end(y, xm, xr);
    Some(LeadTWave {
        lead: 0,
        amplitude_mv: amp,
        peak: k,
        end,
        descent: xm,
        reference: xr,
    })
}

/// The global T wave from the T waves of the leads (rule in the module documentation):
/// with at least [`DelineatorConfig::t_global_min_leads`] settled T ends, the median end of
/// the settled leads whose T wave is at least [`DelineatorConfig::t_lead_fraction`] of the
/// largest settled one (peak and lead from the largest); with fewer, the largest settled T
/// wave; with none, the largest T wave.
fn global_t_wave(waves: &[LeadTWave], cfg: &DelineatorConfig) -> Option<LeadTWave> {
    let size = |t: &LeadTWave| t.amplitude_mv.abs();
    let eligible = waves.iter().filter(|t| size(t) >= cfg.t_min_mv);
    let settled: Vec<LeadTWave> = eligible
        .clone()
        .filter(|t| t.settled(cfg.t_settled_fraction))
        .copied()
        .collect();
    if settled.len() >= cfg.t_global_min_leads.max(1) {
        let largest = settled.iter().copied().reduce(first_largest)?;
        let mut ends: Vec<usize> = settled
            .iter()
            .filter(|t| size(t) >= cfg.t_lead_fraction * size(&largest))
            .map(|t| t.end)
            .collect();
        ends.sort_unstable();
        let m = ends.len() / 2;
        let end = if ends.len() % 2 == 1 {
            ends[m]
        } else {
            (ends[m - 1] + ends[m]).div_ceil(2)
        };
        return Some(LeadTWave { end, ..largest });
    }
    settled
        .iter()
        .copied()
        .reduce(first_largest)
        .or_else(|| eligible.copied().reduce(first_largest))
}

/// The larger T wave of two, the first on a tie.
fn first_largest(a: LeadTWave, b: LeadTWave) -> LeadTWave {
    if b.amplitude_mv.abs() > a.amplitude_mv.abs() {
        b
    } else {
        a
    }
}

/// The median beat of each lead: sample by sample, the median over the beats at `peaks`
/// (R-peak indices into the leads) of the window `peak - pre .. peak + post`. Beats whose
/// window does not fit in the leads are skipped; returns `None` when none fits. The R peak
/// lies at index `pre` of each median beat.
pub fn median_beat(
    leads: &[&[f32]],
    peaks: &[usize],
    pre: usize,
    post: usize,
) -> Option<Vec<Vec<f32>>> {
    let n = leads.iter().map(|l| l.len()).min().unwrap_or(0);
    let fit: Vec<usize> = peaks
        .iter()
        .copied()
        .filter(|&p| p >= pre && p + post < n)
        .collect();
    if fit.is_empty() || leads.is_empty() {
        return None;
    }
    let len = pre + post + 1;
    let mut buf = vec![0f32; fit.len()];
    Some(
        leads
            .iter()
            .map(|l| {
                (0..len)
                    .map(|k| {
                        for (b, &p) in buf.iter_mut().zip(&fit) {
                            *b = l[p - pre + k];
                        }
                        median_of(&mut buf)
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Median of a non-empty buffer (the mean of the two middle values for even lengths).
fn median_of(v: &mut [f32]) -> f32 {
    let m = v.len() / 2;
    let (_, hi, _) = v.select_nth_unstable_by(m, f32::total_cmp);
    let hi = *hi;
    if v.len() % 2 == 1 {
        hi
    } else {
        let lo = v[..m].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (lo + hi) / 2.0
    }
}

/// The trapezium-area end point: the `xi` in `[xm, xr]` maximising
/// `|(y[xm] - y[xi]) (2 xr - xi - xm)|`.
fn trapezium_end(y: &[f32], xm: usize, xr: usize) -> usize {
    if xr <= xm || xr >= y.len() {
        return xm;
    }
    let ym = y[xm] as f64;
    (xm..=xr)
        .max_by(|&a, &b| {
            let area = |i: usize| ((ym - y[i] as f64) * (2 * xr - i - xm) as f64).abs();
            area(a).total_cmp(&area(b))
        })
        .unwrap_or(xm)
}

/// Rate (Hz) at which the wavelet delineator works: Martínez et al. chose the scales
/// 2^1..2^5 for 250 Hz; other rates are resampled to it around the beat.
pub const WAVELET_FS: f64 = 250.0;

/// Dyadic wavelet transform by the à-trous algorithm with the quadratic-spline wavelet of
/// Martínez et al. (IEEE TBME 2004; high-pass `2 (z - z^-1)`-type difference, low-pass
/// `(1, 3, 3, 1) / 8` upsampled per level), scales `2^1 ..= 2^levels`. The filters are
/// centred so that every scale is aligned with `x` (no group delay): the first low-pass is the
/// binomial `(1, 4, 6, 4, 1) / 16`, the spline filter convolved with a half-sample average,
/// which keeps its centre on a sample. Edges repeat the end samples. `out[k - 1]` is scale
/// `2^k`; each is proportional to the derivative of `x` smoothed at that scale.
pub fn wavelet_transform(x: &[f32], levels: usize) -> Vec<Vec<f32>> {
    let n = x.len();
    let mut out = Vec::with_capacity(levels);
    if n == 0 {
        return out;
    }
    let last = n as isize - 1;
    let at = |v: &[f32], i: isize| v[i.clamp(0, last) as usize];
    let mut a = x.to_vec();
    for k in 1..=levels {
        let s = 1isize << (k - 1);
        let w: Vec<f32> = if k == 1 {
            (0..=last).map(|i| at(&a, i + 1) - at(&a, i - 1)).collect()
        } else {
            let h = s / 2;
            (0..=last)
                .map(|i| 2.0 * (at(&a, i + h) - at(&a, i - h)))
                .collect()
        };
        if k < levels {
            a = if k == 1 {
                (0..=last)
                    .map(|i| {
                        (at(&a, i - 2)
                            + 4.0 * at(&a, i - 1)
                            + 6.0 * at(&a, i)
                            + 4.0 * at(&a, i + 1)
                            + at(&a, i + 2))
                            / 16.0
                    })
                    .collect()
            } else {
                let (p, q) = (s / 2, 3 * s / 2);
                (0..=last)
                    .map(|i| {
                        (at(&a, i - q) + 3.0 * (at(&a, i - p) + at(&a, i + p)) + at(&a, i + q))
                            / 8.0
                    })
                    .collect()
            };
        }
        out.push(w);
    }
    out
}

/// `x` sampled at `from` Hz, linearly interpolated at `to` Hz (same start time).
fn resample_linear(x: &[f32], from: f64, to: f64) -> Vec<f32> {
    if x.is_empty() || from <= 0.0 || to <= 0.0 {
        return Vec::new();
    }
    let step = from / to;
    let n = ((x.len() - 1) as f64 / step).floor() as usize + 1;
    (0..n)
        .map(|i| {
            let t = i as f64 * step;
            let k = (t.floor() as usize).min(x.len() - 1);
            let f = (t - k as f64) as f32;
            match x.get(k + 1) {
                Some(&b) => x[k] + f * (b - x[k]),
                None => x[k],
            }
        })
        .collect()
}

/// Indices in `a..=b` where `|w|` has a local maximum (a modulus maximum): not below the
/// previous sample, above the next one, and not zero.
fn modulus_maxima(w: &[f32], a: usize, b: usize) -> Vec<usize> {
    let b = b.min(w.len().saturating_sub(2));
    (a.max(1)..=b)
        .filter(|&i| {
            let m = w[i].abs();
            m > 0.0 && m >= w[i - 1].abs() && m > w[i + 1].abs()
        })
        .collect()
}

/// From the modulus maximum at `from`, walks in direction `step` (-1 before, +1 after)
/// to the first sample where `|w|` falls to `fraction` of `|w[from]|` or has a local
/// minimum, stopping at `limit`.
fn boundary_from(w: &[f32], from: usize, fraction: f32, step: isize, limit: usize) -> usize {
    let thr = fraction * w[from].abs();
    let mut i = from;
    loop {
        let next = i as isize + step;
        if next < 1 || next as usize + 1 >= w.len() || i == limit {
            return i;
        }
        i = next as usize;
        let m = w[i].abs();
        if m <= thr {
            return i;
        }
        let beyond = w[(i as isize + step) as usize].abs();
        if m <= beyond {
            return i;
        }
    }
}

/// The wavelet delineation of one lead, as sample indices into that lead (the sampling
/// rate of the input); see [`delineate_lead_wavelet`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadWaves {
    /// QRS onset.
    pub qrs_on: Option<usize>,
    /// QRS offset.
    pub qrs_off: Option<usize>,
    /// P onset.
    pub p_on: Option<usize>,
    /// P peak.
    pub p_peak: Option<usize>,
    /// P offset.
    pub p_off: Option<usize>,
    /// T peak.
    pub t_peak: Option<usize>,
    /// T offset.
    pub t_off: Option<usize>,
    /// Signed P amplitude (mV from the chord under it).
    pub p_amp: f32,
    /// Signed T amplitude (mV from the isoelectric level).
    pub t_amp: f32,
    /// Largest modulus of the scale-2^2 transform at the QRS (mV per sample, scaled).
    pub qrs_modulus: f32,
    /// Modulus of the scale-2^4 transform at the T wave's descending flank.
    pub t_modulus: f32,
}

/// Wavelet delineation of one lead `x` (mV, preprocessed) around the R peak at `r`
/// (sampled at `fs`), in the manner of Martínez et al. 2004: QRS onset and offset from the
/// modulus maxima of the scale-2^2 transform around R, T end and P boundaries from the
/// scale-2^4 transform around the T and P peaks (found as the largest deviations in
/// RR-dependent windows). `qrs` is the global QRS onset and offset used to place the P and
/// T search windows (the lead's own when `None`).
pub fn delineate_lead_wavelet(
    x: &[f32],
    fs: f64,
    r: usize,
    rr_prev_s: f64,
    rr_next_s: f64,
    qrs: Option<(usize, usize)>,
    cfg: &DelineatorConfig,
) -> LeadWaves {
    let mut out = LeadWaves::default();
    if fs.is_nan() || fs <= 0.0 || r >= x.len() {
        return out;
    }
    // window around the beat, resampled to WAVELET_FS
    let w0 = r.saturating_sub(samples(0.7, fs));
    let w1 = (r + samples(1.0, fs)).min(x.len());
    let ratio = fs / WAVELET_FS;
    let y: Vec<f32> = if (ratio - 1.0).abs() < 1e-9 {
        x[w0..w1].to_vec()
    } else {
        resample_linear(&x[w0..w1], fs, WAVELET_FS)
    };
    let n = y.len();
    let to_in = |i: usize| w0 + ((i as f64 * ratio).round() as usize).min(w1 - w0 - 1);
    let to_y = |i: usize| (((i.saturating_sub(w0)) as f64 / ratio).round() as usize).min(n - 1);
    if n < 16 {
        return out;
    }
    let ms = |t: f64| (t * WAVELET_FS).round() as usize;
    let ry = to_y(r);
    let wt = wavelet_transform(&y, 5);
    let w2 = &wt[1];
    // --- QRS
    let lo = ry.saturating_sub(ms(0.15)).max(1);
    let hi = (ry + ms(0.18)).min(n - 2);
    let core_lo = ry.saturating_sub(ms(0.06));
    let core_hi = (ry + ms(0.06)).min(n - 1);
    let Some(main) = (core_lo..=core_hi).max_by(|&a, &b| w2[a].abs().total_cmp(&w2[b].abs()))
    else {
        return out;
    };
    let big = w2[main].abs();
    if big.is_nan() || big <= 0.0 || !big.is_finite() {
        return out;
    }
    out.qrs_modulus = big;
    let maxima = modulus_maxima(w2, lo, hi);
    let gap = ms(cfg.wt_qrs_gap_s);
    let post_gap = ms(cfg.wt_qrs_post_gap_s);
    let mut first = main;
    for &m in maxima.iter().rev().filter(|&&m| m < main) {
        if first - m > gap {
            break;
        }
        if w2[m].abs() > cfg.wt_qrs_pre * big {
            first = m;
        }
    }
    let mut last = main;
    for &m in maxima.iter().filter(|&&m| m > main) {
        if m - last > post_gap {
            break;
        }
        if w2[m].abs() > cfg.wt_qrs_post * big {
            last = m;
        }
    }
    let qon = boundary_from(w2, first, cfg.wt_qrs_on, -1, lo);
    let qoff = boundary_from(w2, last, cfg.wt_qrs_off, 1, hi);
    out.qrs_on = Some(to_in(qon));
    out.qrs_off = Some(to_in(qoff));
    let (gon, goff) = match qrs {
        Some((a, b)) => (to_y(a.max(w0)), to_y(b.max(w0))),
        None => (qon, qoff),
    };
    // smoothed copy for the wave peaks
    let mut sm = y.clone();
    filtfilt(
        &[Biquad::lowpass(
            WAVELET_FS,
            cfg.smooth_hz.min(0.45 * WAVELET_FS),
        )],
        &mut sm,
    );
    let iso_a = gon.saturating_sub(ms(0.02));
    let iso = y[iso_a..=gon].iter().sum::<f32>() / (gon - iso_a + 1) as f32;
    let w4 = &wt[3];
    // --- T wave
    let rr_next = if rr_next_s.is_finite() && rr_next_s > 0.0 {
        rr_next_s
    } else {
        1.0
    };
    let ts = goff + ms(0.06);
    let te = (ry + ms((0.7 * rr_next).clamp(0.3, 0.8))).min(n - 2);
    if te > ts + ms(0.04) {
        let dev = |i: usize| sm[i] - iso;
        if let Some(mut k) = (ts..te).max_by(|&a, &b| dev(a).abs().total_cmp(&dev(b).abs())) {
            let mut amp = dev(k);
            let lobe_end = te.min(k + ms(0.15));
            let mut biphasic = false;
            if let Some(k2) = (k + 1..lobe_end)
                .min_by(|&a, &b| (dev(a) * amp.signum()).total_cmp(&(dev(b) * amp.signum())))
                && -dev(k2) * amp.signum() > cfg.t_second_lobe * amp.abs()
            {
                k = k2;
                amp = dev(k2);
                biphasic = true;
            }
            let sg = amp.signum();
            let e = (k + ms(0.15)).min(n - 2);
            let desc = (k..=e).max_by(|&a, &b| (-w4[a] * sg).total_cmp(&(-w4[b] * sg)));
            if let Some(nb) = desc
                && -w4[nb] * sg > 0.0
                && amp != 0.0
            {
                let limit = (ry + ms(0.9 * rr_next)).min(n - 2).max(nb);
                let mut end = boundary_from(w4, nb, cfg.wt_t_end, 1, limit);
                // biphasic T: a later lobe of the opposite sign and comparable size
                let look = (end + ms(cfg.wt_t_second_s)).min(limit);
                if cfg.wt_t_second > 0.0
                    && !biphasic
                    && let Some(nb2) =
                        (end..=look).max_by(|&a, &b| (w4[a] * sg).total_cmp(&(w4[b] * sg)))
                    && w4[nb2] * sg >= cfg.wt_t_second * w4[nb].abs()
                {
                    if let Some(z) = (nb..nb2).find(|&i| w4[i] * sg >= 0.0) {
                        k = z;
                    }
                    end = boundary_from(w4, nb2, cfg.wt_t_end, 1, limit);
                }
                out.t_peak = Some(to_in(k));
                out.t_off = Some(to_in(end));
                out.t_amp = amp;
                out.t_modulus = w4[nb].abs();
            }
        }
    }
    // --- P wave
    let rr_prev = if rr_prev_s.is_finite() && rr_prev_s > 0.0 {
        rr_prev_s
    } else {
        1.0
    };
    let pwin = ms(cfg.p_window_s.min(0.5 * rr_prev));
    let pgap = ms(cfg.p_gap_s);
    let edge = ms(0.01);
    if gon > pwin + 1 && pwin > pgap + ms(0.06) {
        let ps = gon - pwin;
        let pe = gon - pgap;
        let (ya, yb) = (sm[ps], sm[pe]);
        let span = (pe - ps) as f32;
        let dev = |i: usize| sm[i] - (ya + (yb - ya) * (i - ps) as f32 / span);
        if let Some(k) =
            (ps + edge..pe - edge).max_by(|&a, &b| dev(a).abs().total_cmp(&dev(b).abs()))
        {
            let amp = dev(k);
            let sg = amp.signum();
            let a0 = k.saturating_sub(ms(0.1)).max(1);
            let rising = |i: usize| w4[i] * sg;
            let last_rise = if cfg.wt_p_first_maximum {
                (a0 + 1..k).rev().find(|&i| {
                    rising(i) > 0.0 && rising(i) >= rising(i + 1) && rising(i) > rising(i - 1)
                })
            } else {
                None
            };
            let rise =
                last_rise.or_else(|| (a0..=k).max_by(|&a, &b| rising(a).total_cmp(&rising(b))));
            let b1 = (k + ms(0.1)).min(gon);
            let falling = |i: usize| -w4[i] * sg;
            let first_fall = if cfg.wt_p_first_maximum {
                (k + 1..b1).find(|&i| {
                    falling(i) > 0.0 && falling(i) >= falling(i - 1) && falling(i) > falling(i + 1)
                })
            } else {
                None
            };
            let fall =
                first_fall.or_else(|| (k..=b1).max_by(|&a, &b| falling(a).total_cmp(&falling(b))));
            if let (Some(na), Some(nb)) = (rise, fall)
                && w4[na] * sg > 0.0
                && -w4[nb] * sg > 0.0
            {
                let on = boundary_from(w4, na, cfg.wt_p_on, -1, a0.saturating_sub(ms(0.05)));
                let off = boundary_from(w4, nb, cfg.wt_p_off, 1, gon.saturating_sub(1).max(nb));
                out.p_on = Some(to_in(on));
                out.p_peak = Some(to_in(k));
                out.p_off = Some(to_in(off));
                out.p_amp = amp;
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A synthetic beat at `fs`: P (0.15 mV, centre R-170 ms, sigma 20 ms), QRS (1 mV,
    /// sigma 10 ms at R), T (0.3 mV, centre R+250 ms, sigma 40 ms), in two leads (the second
    /// at half the gain), R at 0.7 s of a 1.7 s window.
    pub(crate) fn synthetic_beat(fs: f64) -> (Vec<f32>, Vec<f32>, usize) {
        let (a, r) = gaussian_beat(
            fs,
            &[(0.15, -0.17, 0.02), (1.0, 0.0, 0.01), (0.3, 0.25, 0.04)],
        );
        let b: Vec<f32> = a.iter().map(|v| v * 0.5).collect();
        (a, b, r)
    }

    /// One lead of 1.7 s at `fs` with R at 0.7 s: the sum of Gaussian waves given as
    /// (amplitude mV, centre s from R, sigma s).
    fn gaussian_beat(fs: f64, waves: &[(f64, f64, f64)]) -> (Vec<f32>, usize) {
        let n = (1.7 * fs) as usize;
        let r = (0.7 * fs) as usize;
        let x = (0..n)
            .map(|i| {
                let t = (i as f64 - r as f64) / fs;
                waves
                    .iter()
                    .map(|&(a, c, s)| a * (-(t - c) * (t - c) / (2.0 * s * s)).exp())
                    .sum::<f64>() as f32
            })
            .collect();
        (x, r)
    }

    #[test]
    fn synthetic_beat_boundaries() {
        for fs in [250.0, 500.0, 1000.0] {
            let (a, b, r) = synthetic_beat(fs);
            let w = delineate(&[&a, &b], fs, r, 1.0, 1.0, &DelineatorConfig::default());
            let ms = |i: Option<usize>| (i.unwrap() as f64 - r as f64) / fs * 1000.0;
            // Gaussians: the boundaries lie 2-3.5 sigma from each centre
            let (qon, qoff) = (ms(w.qrs_on), ms(w.qrs_off));
            assert!((-40.0..=-20.0).contains(&qon), "{fs}: qrs_on {qon}");
            assert!((20.0..=40.0).contains(&qoff), "{fs}: qrs_off {qoff}");
            let tp = ms(w.t_peak);
            assert!((tp - 250.0).abs() <= 8.0, "{fs}: t_peak {tp}");
            let toff = ms(w.t_off);
            assert!((330.0..=400.0).contains(&toff), "{fs}: t_off {toff}");
            let pp = ms(w.p_peak);
            assert!((pp + 170.0).abs() <= 8.0, "{fs}: p_peak {pp}");
            let (pon, poff) = (ms(w.p_on), ms(w.p_off));
            assert!((-240.0..=-200.0).contains(&pon), "{fs}: p_on {pon}");
            assert!((-140.0..=-105.0).contains(&poff), "{fs}: p_off {poff}");
            assert_eq!(w.t_lead, Some(0));
        }
    }

    #[test]
    fn wavelet_delineation_of_one_lead() {
        for fs in [250.0, 360.0, 500.0, 1000.0] {
            let (a, _, r) = synthetic_beat(fs);
            let w = delineate_lead_wavelet(&a, fs, r, 1.0, 1.0, None, &DelineatorConfig::default());
            let ms = |i: Option<usize>| (i.unwrap() as f64 - r as f64) / fs * 1000.0;
            let got = [
                w.p_on, w.p_peak, w.p_off, w.qrs_on, w.qrs_off, w.t_peak, w.t_off,
            ]
            .map(ms);
            // Gaussians (sigma 20, 10, 40 ms): boundaries 2-4 sigma from the centres
            let expected = [
                (-240.0, -200.0),
                (-178.0, -162.0),
                (-145.0, -105.0),
                (-45.0, -25.0),
                (25.0, 45.0),
                (242.0, 258.0),
                (320.0, 400.0),
            ];
            for (g, (lo, hi)) in got.iter().zip(expected) {
                assert!((lo..=hi).contains(g), "{fs}: {got:?}");
            }
            assert!(w.p_amp > 0.1 && w.t_amp > 0.25, "{w:?}");
        }
    }

    #[test]
    fn wavelet_qrs_end_includes_a_slow_s_upstroke() {
        // R (1 mV, sigma 8 ms) then a deep, wide S wave (-0.5 mV at R+40 ms, sigma 14 ms):
        // the S upstroke's modulus maximum lies more than 40 ms after the R downstroke's,
        // and the QRS ends after the upstroke, not at the S nadir (QT database sel14157)
        let fs = 250.0;
        let (x, r) = gaussian_beat(fs, &[(1.0, 0.0, 0.008), (-0.5, 0.04, 0.014)]);
        let ms = |i: Option<usize>| (i.unwrap() as f64 - r as f64) / fs * 1000.0;
        let cfg = DelineatorConfig::default();
        let w = delineate_lead_wavelet(&x, fs, r, 1.0, 1.0, None, &cfg);
        let narrow = DelineatorConfig {
            wt_qrs_post_gap_s: 0.04,
            ..cfg
        };
        let w40 = delineate_lead_wavelet(&x, fs, r, 1.0, 1.0, None, &narrow);
        let (off, off40) = (ms(w.qrs_off), ms(w40.qrs_off));
        // the upstroke ends about 3 sigma after the nadir (R+82 ms)
        assert!((65.0..=95.0).contains(&off), "qrs_off {off}");
        // with the 40 ms gap the upstroke is dropped and the QRS ends at the nadir
        assert!((30.0..=50.0).contains(&off40), "qrs_off with 40 ms {off40}");
    }

    #[test]
    fn wavelet_t_end_follows_a_second_low_lobe() {
        // QRS, then a deep negative T lobe (-0.3 mV at R+200 ms) and a low positive lobe
        // (0.08 mV at R+310 ms, below the amplitude rule's 50%): the T end comes after
        // the second lobe, and only before it with the biphasic rule switched off
        let fs = 250.0;
        let (x, r) = gaussian_beat(
            fs,
            &[(1.0, 0.0, 0.01), (-0.3, 0.2, 0.05), (0.08, 0.31, 0.025)],
        );
        let ms = |i: Option<usize>| (i.unwrap() as f64 - r as f64) / fs * 1000.0;
        let on = delineate_lead_wavelet(&x, fs, r, 1.0, 1.0, None, &DelineatorConfig::default());
        let off_cfg = DelineatorConfig {
            wt_t_second: 0.0,
            ..DelineatorConfig::default()
        };
        let off = delineate_lead_wavelet(&x, fs, r, 1.0, 1.0, None, &off_cfg);
        assert!(on.t_amp < -0.2 && off.t_amp < -0.2, "{on:?} {off:?}");
        let (e_on, e_off) = (ms(on.t_off), ms(off.t_off));
        assert!((340.0..=400.0).contains(&e_on), "{e_on} {e_off}");
        assert!(e_off <= 315.0, "{e_on} {e_off}");
        // the T peak moves to the zero crossing between the two lobes
        assert!((290.0..=340.0).contains(&ms(on.t_peak)), "{on:?}");
    }

    #[test]
    fn wavelet_transform_follows_the_derivative() {
        // a ramp: every scale is a constant positive slope away from the edges
        let x: Vec<f32> = (0..200).map(|i| 0.01 * i as f32).collect();
        let w = wavelet_transform(&x, 5);
        assert_eq!(w.len(), 5);
        for s in &w {
            assert_eq!(s.len(), 200);
            assert!(s[60..140].iter().all(|&v| v > 0.0));
            let (lo, hi) = s[60..140]
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            assert!(hi - lo < 1e-4, "{lo} {hi}");
        }
        // an impulse: scale 2^1 is odd around it (zero at the impulse, opposite signs)
        let mut d = vec![0.0f32; 64];
        d[32] = 1.0;
        let w = wavelet_transform(&d, 3);
        assert_eq!(w[0][32], 0.0);
        assert!(w[0][31] > 0.0 && w[0][33] < 0.0);
        assert!(wavelet_transform(&[], 4).is_empty());
    }

    #[test]
    fn median_of_candidates() {
        assert_eq!(median_index(vec![]), None);
        assert_eq!(median_index(vec![7]), Some(7));
        assert_eq!(median_index(vec![9, 1, 5]), Some(5));
        assert_eq!(median_index(vec![4, 1]), Some(3));
        assert_eq!(
            resample_linear(&[0.0, 1.0, 2.0], 2.0, 4.0),
            vec![0.0, 0.5, 1.0, 1.5, 2.0]
        );
        assert!(resample_linear(&[], 2.0, 4.0).is_empty());
    }

    fn lead_t(lead: usize, amplitude_mv: f32, end: usize) -> LeadTWave {
        LeadTWave {
            lead,
            amplitude_mv,
            peak: 250,
            end,
            descent: 300,
            reference: 500,
        }
    }

    #[test]
    fn global_t_end_is_robust_across_leads() {
        let cfg = DelineatorConfig::default();
        // the s0010_re pattern: the largest T wave (lead 0) runs to the reference point,
        // three settled leads end near 380; a small T wave ends early
        let waves = [
            lead_t(0, 0.39, 487),
            lead_t(1, -0.38, 379),
            lead_t(2, 0.27, 378),
            lead_t(3, 0.36, 386),
            lead_t(4, -0.22, 500),
            lead_t(5, 0.08, 330),
            lead_t(6, 0.03, 320),
        ];
        assert!(!waves[0].settled(cfg.t_settled_fraction));
        assert!(waves[1].settled(cfg.t_settled_fraction));
        let t = global_t_wave(&waves, &cfg).unwrap();
        // median of 379, 378, 386 (lead 5 is below half of the largest settled wave)
        assert_eq!((t.end, t.lead, t.peak), (379, 1, 250));
        // even count: the mean of the two middle ends, rounded up
        let t = global_t_wave(&[waves[1], waves[2], waves[3], lead_t(7, 0.3, 390)], &cfg);
        assert_eq!(t.map(|t| t.end), Some(383));
        // fewer than three settled leads: the largest settled T wave
        let t = global_t_wave(&waves[..3], &cfg).unwrap();
        assert_eq!((t.end, t.lead), (379, 1));
        // no settled lead: the largest T wave
        let t = global_t_wave(&[waves[0], waves[4]], &cfg).unwrap();
        assert_eq!((t.end, t.lead), (487, 0));
        // T waves below t_min_mv count for nothing
        let small = [lead_t(0, 0.04, 380), lead_t(1, -0.02, 390)];
        assert_eq!(global_t_wave(&small, &cfg), None);
        assert_eq!(global_t_wave(&[], &cfg), None);
    }

    /// Twelve copies of the synthetic beat, one of them with a T wave running into a
    /// following wave: the robust end is the settled leads' one.
    #[test]
    fn merging_lead_does_not_move_the_global_t_end() {
        let fs = 500.0;
        let (a, _, r) = synthetic_beat(fs);
        // the T rules above alone (no few-lead wavelet median for the one-lead references)
        let cfg = DelineatorConfig {
            wavelet_max_leads: 0,
            ..Default::default()
        };
        let single = delineate(&[&a], fs, r, 1.0, 1.0, &cfg);
        let mut big = a.clone();
        for (i, x) in big.iter_mut().enumerate() {
            let t = (i as f64 - r as f64) / fs;
            // a T wave 1.5 times as large, then a ramp going on in the same direction into the
            // next beat
            let g = (-(t - 0.25) * (t - 0.25) / (2.0 * 0.04 * 0.04)).exp();
            *x += (0.15 * g) as f32;
            if t > 0.3 {
                *x -= (1.5 * (t - 0.3).min(0.25)) as f32;
            }
        }
        let mut leads: Vec<&[f32]> = vec![&big];
        leads.extend(std::iter::repeat_n(a.as_slice(), 11));
        let w = delineate(&leads, fs, r, 1.0, 1.0, &DelineatorConfig::default());
        let alone = delineate(&[&big], fs, r, 1.0, 1.0, &cfg);
        assert!(
            alone.t_off.unwrap() > single.t_off.unwrap() + 25,
            "{alone:?} {single:?}"
        );
        assert_eq!(w.t_off, single.t_off);
        assert_ne!(w.t_lead, Some(0));
    }

    #[test]
    fn no_p_wave_and_degenerate_input() {
        let fs = 500.0;
        let (mut a, _, r) = synthetic_beat(fs);
        // remove the P wave
        let g = |t: f64| (-(t + 0.17) * (t + 0.17) / (2.0 * 0.02 * 0.02)).exp();
        for (i, x) in a.iter_mut().enumerate() {
            *x -= (0.15 * g((i as f64 - r as f64) / fs)) as f32;
        }
        let w = delineate(&[&a], fs, r, 1.0, 1.0, &DelineatorConfig::default());
        assert!(w.p_peak.is_none() && w.p_on.is_none());
        assert!(w.qrs_on.is_some() && w.t_off.is_some());
        // flat, empty, out of range: nothing, no panic
        let flat = vec![0.0f32; 1000];
        assert_eq!(
            delineate(&[&flat], fs, 500, 1.0, 1.0, &Default::default()),
            Waves::default()
        );
        assert_eq!(
            delineate(&[], fs, 5, 1.0, 1.0, &Default::default()),
            Waves::default()
        );
        assert_eq!(
            delineate(&[&a], fs, a.len() + 3, f64::NAN, 0.0, &Default::default()),
            Waves::default()
        );
        let short = [1.0f32, -1.0, 2.0];
        assert_eq!(
            delineate(&[&short], fs, 1, 1.0, 1.0, &Default::default()),
            Waves::default()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Arbitrary samples and positions never panic, and boundaries stay ordered.
        #[test]
        fn arbitrary_input_never_panics(
            x in proptest::collection::vec(-5.0f32..5.0, 0..1200),
            r in 0usize..1300,
            fs in 100.0f64..2000.0,
            rr in -1.0f64..3.0,
            qa in 0usize..1500,
            qb in 0usize..1500,
        ) {
            let w = delineate(&[&x, &x], fs, r, rr, rr, &Default::default());
            let lw = delineate_lead_wavelet(&x, fs, r, rr, rr, Some((qa, qb)), &Default::default());
            for (a, b) in [(lw.p_on, lw.p_peak), (lw.p_peak, lw.p_off), (lw.t_peak, lw.t_off)] {
                if let (Some(a), Some(b)) = (a, b) {
                    proptest::prop_assert!(a <= b);
                }
            }
            if let (Some(a), Some(b)) = (w.qrs_on, w.qrs_off) {
                proptest::prop_assert!(a <= r && r <= b);
            }
            if let (Some(a), Some(b), Some(c)) = (w.p_on, w.p_peak, w.p_off) {
                proptest::prop_assert!(a <= b && b <= c);
            }
        }
    }
}
