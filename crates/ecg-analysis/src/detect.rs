//! QRS detection with multi-lead fusion.
//!
//! Per lead: band-pass (5-18 Hz, zero phase), squared slope, moving-window integration.
//! Each lead's energy is normalised by a robust local scale (the median of the maxima of
//! nine 1.5 s blocks around it) so that every lead peaks near 1 at its QRS complexes,
//! whatever its gain. Leads are fused by a weighted mean whose weights come from a
//! per-block signal-quality index (flat or lead-off leads weigh nothing, noisy leads
//! little). Beats are picked on the fused curve with adaptive signal/noise levels,
//! a refractory period, T-wave rejection and search-back (in the spirit of Pan and
//! Tompkins, 1985), then placed on the R peak of the lead that contributed most.
//! Leads whose own beat trains disagree with the best-supported lead over a 12 s stretch
//! are left out of the fusion there, so that independent trains are not merged into
//! their union (see `lead_agreement`).

use serde::{Deserialize, Serialize};

use crate::filter::{bandpass_sections, filtfilt};

/// Settings of the QRS detector. The defaults are general (not tuned per record).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    /// Band-pass low edge in Hz.
    pub band_low_hz: f64,
    /// Band-pass high edge in Hz.
    pub band_high_hz: f64,
    /// Moving-window integration length in seconds.
    pub integration_s: f64,
    /// No two beats closer than this (seconds).
    pub refractory_s: f64,
    /// Candidates closer than this to the previous beat and much smaller are T waves.
    pub t_wave_s: f64,
    /// A candidate within [`DetectorConfig::t_wave_s`] must reach this fraction of the
    /// previous beat's peak.
    pub t_wave_ratio: f32,
    /// Threshold position between noise level (0) and signal level (1).
    pub threshold: f32,
    /// Search back for a missed beat when no beat came for this many mean RR intervals.
    pub searchback_rr: f64,
    /// Fraction of the threshold a search-back candidate must reach.
    pub searchback_threshold: f32,
    /// Length of the normalisation blocks in seconds.
    pub block_s: f64,
    /// Number of blocks (odd) whose maxima's median is a lead's scale.
    pub scale_blocks: usize,
    /// Pacing spikes larger than this (mV curvature within 4 ms) are removed first;
    /// 0 disables.
    pub pacing_spike_mv: f32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            band_low_hz: 5.0,
            band_high_hz: 18.0,
            integration_s: 0.08,
            refractory_s: 0.2,
            t_wave_s: 0.36,
            t_wave_ratio: 0.4,
            threshold: 0.3,
            searchback_rr: 1.66,
            searchback_threshold: 0.5,
            block_s: 1.5,
            scale_blocks: 9,
            pacing_spike_mv: 2.0,
        }
    }
}

/// One beat found by [`detect`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// R-peak sample (index into the window given to [`detect`]).
    pub sample: usize,
    /// The lead whose R peak places the beat.
    pub lead: usize,
    /// Fused, normalised energy at the beat (about 1 for a typical QRS).
    pub energy: f32,
    /// Width of the fused energy hump above a third of its peak, in seconds.
    pub width_s: f32,
    /// Sum of the lead weights (signal quality) at the beat, divided by the lead count.
    pub quality: f32,
}

/// Per-lead, per-block signal quality as computed by the detector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockQuality {
    /// First sample of the first block (index into the window).
    pub first: usize,
    /// Block length in samples.
    pub len: usize,
    /// `weights[lead][block]` in 0..=1 (0 = flat, saturated or lead-off; 1 = clean).
    pub weights: Vec<Vec<f32>>,
}

/// Output of [`detect`]: the beats and intermediate signals reused by the classifier.
#[derive(Clone, Debug, Default)]
pub struct DetectorOutput {
    /// Beats in time order.
    pub beats: Vec<Detection>,
    /// Per-block quality of each lead.
    pub quality: BlockQuality,
    /// Pacing spikes removed (sample indices into the window), all leads merged.
    pub pacing_spikes: Vec<usize>,
}

/// Smallest slope energy ((mV/s)^2) a lead's scale may take: a QRS complex whose
/// slopes stay below about 3 mV/s is not told apart from noise.
const SCALE_FLOOR: f32 = 10.0;

/// Detects QRS complexes in `leads` (physical samples in mV, NaN = missing, all at `fs`).
/// `grid_offset` is the absolute sample index of `leads[..][0]`: normalisation blocks lie
/// on a grid of absolute indices so that overlapping windows agree.
pub fn detect(
    leads: &[&[f32]],
    fs: f64,
    grid_offset: usize,
    cfg: &DetectorConfig,
) -> DetectorOutput {
    let mut spikes = Vec::new();
    let cleaned: Vec<Vec<f32>> = leads
        .iter()
        .map(|l| {
            let (x, s) = prepare_lead(l, fs, cfg);
            spikes.extend(s);
            x
        })
        .collect();
    let refs: Vec<&[f32]> = cleaned.iter().map(|v| v.as_slice()).collect();
    let mut out = detect_prepared(&refs, fs, grid_offset, cfg);
    spikes.sort_unstable();
    spikes.dedup_by(|a, b| a.abs_diff(*b) < 4);
    out.pacing_spikes = spikes;
    out
}

/// Cleans one lead for [`detect_prepared`]: missing samples (NaN) hold the last value and
/// pacing spikes are bridged. Returns the cleaned samples and the spikes' indices.
pub fn prepare_lead(lead: &[f32], fs: f64, cfg: &DetectorConfig) -> (Vec<f32>, Vec<usize>) {
    let mut x = lead.to_vec();
    fill_missing(&mut x);
    let spikes = if cfg.pacing_spike_mv > 0.0 {
        crate::filter::remove_pacing_spikes(&mut x, fs, cfg.pacing_spike_mv)
    } else {
        Vec::new()
    };
    (x, spikes)
}

/// [`detect`] on leads already cleaned by [`prepare_lead`] (no NaN, no pacing spikes);
/// leaves [`DetectorOutput::pacing_spikes`] empty.
pub fn detect_prepared(
    cleaned: &[&[f32]],
    fs: f64,
    grid_offset: usize,
    cfg: &DetectorConfig,
) -> DetectorOutput {
    let full = cleaned;
    let fs_full = fs;
    let mut out = DetectorOutput::default();
    if full.iter().map(|l| l.len()).min().unwrap_or(0) < 3 || full.is_empty() {
        return out;
    }
    // The detection feature has no content above 20 Hz: from 240 Hz on, run it on block
    // averages of `factor` samples (250 Hz -> 125 Hz, 360 Hz -> 120 Hz, 1000 Hz -> 125 Hz)
    // and place the R peaks on the full-rate leads.
    let factor = ((fs / 120.0).floor() as usize).max(1);
    let decimated: Vec<Vec<f32>> = if factor > 1 {
        full.iter()
            .map(|l| {
                l.chunks_exact(factor)
                    .map(|c| c.iter().sum::<f32>() / factor as f32)
                    .collect()
            })
            .collect()
    } else {
        Vec::new()
    };
    let leads: Vec<&[f32]> = if factor > 1 {
        decimated.iter().map(|v| v.as_slice()).collect()
    } else {
        full.to_vec()
    };
    let fs = fs / factor as f64;
    let grid_offset = grid_offset / factor;
    let n = leads.iter().map(|l| l.len()).min().unwrap_or(0);
    if n < 3 {
        return out;
    }
    let bands = bandpass_sections(fs, cfg.band_low_hz, cfg.band_high_hz);
    let block = ((cfg.block_s * fs).round() as usize).max(1);
    let first_block_start = grid_offset / block * block;
    let nblocks = (grid_offset + n - first_block_start).div_ceil(block);
    let half_w = ((cfg.integration_s * fs / 2.0).round() as usize).max(1);
    // per lead: its weighted, normalised energy `bw * e / scale` (0 where unusable)
    let mut contributions: Vec<Vec<f32>> = Vec::with_capacity(leads.len());
    let mut energies: Vec<Vec<f32>> = Vec::with_capacity(leads.len());
    let mut all_weights = Vec::with_capacity(leads.len());
    for lead in &leads {
        let mut x: Vec<f32> = lead[..n].to_vec();
        let raw_quality = raw_block_flags(&x, block, first_block_start, grid_offset, nblocks);
        filtfilt(&bands, &mut x);
        // squared central slope in (mV/s)^2
        let mut e = vec![0f32; n];
        let k = (fs / 2.0) as f32;
        for i in 1..n - 1 {
            let d = (x[i + 1] - x[i - 1]) * k;
            e[i] = d * d;
        }
        let e = moving_average(&e, half_w);
        // block maxima and block medians (noise floor)
        let mut maxima = vec![0f32; nblocks];
        let mut floors = vec![0f32; nblocks];
        let mut buf: Vec<f32> = Vec::with_capacity(block);
        for (b, (mx, fl)) in maxima.iter_mut().zip(floors.iter_mut()).enumerate() {
            let start = (first_block_start + b * block).saturating_sub(grid_offset);
            let end = (first_block_start + (b + 1) * block)
                .saturating_sub(grid_offset)
                .min(n);
            if start >= end {
                continue;
            }
            *mx = e[start..end].iter().copied().fold(0.0, f32::max);
            // the median of every 4th sample is plenty for a noise floor
            buf.clear();
            buf.extend(e[start..end].iter().step_by(4).copied());
            let mid = buf.len() / 2;
            *fl = *buf.select_nth_unstable_by(mid, f32::total_cmp).1;
        }
        let weights: Vec<f32> = (0..nblocks)
            .map(|b| {
                if !raw_quality[b] || maxima[b] < SCALE_FLOOR {
                    return 0.0;
                }
                // Clean ECG concentrates slope energy in short QRS bursts: between them the
                // energy is near zero, so the block median is a tiny fraction of the
                // maximum. Broadband noise (muscle, motion) raises the median.
                let ratio = floors[b] / maxima[b];
                ((0.12 - ratio) / 0.1).clamp(0.05, 1.0)
            })
            .collect();
        let scales = median_window(&maxima, &weights, cfg.scale_blocks / 2);
        // normalise with the scale linearly interpolated between block centres
        // (block by block, without a division per sample)
        let inv_block = 1.0 / block as f64;
        let mut contribution = vec![0f32; n];
        for (b, &bw) in weights.iter().enumerate() {
            let start = (first_block_start + b * block).saturating_sub(grid_offset);
            let end = (first_block_start + (b + 1) * block)
                .saturating_sub(grid_offset)
                .min(n);
            if bw == 0.0 || start >= end {
                continue;
            }
            let rel0 = grid_offset + start - first_block_start;
            for i in start..end {
                let pos = (rel0 + (i - start)) as f64 * inv_block - 0.5;
                // pos >= -0.5: the saturating cast is floor(max(pos, 0))
                let b0 = pos as usize;
                let b1 = (b0 + 1).min(nblocks - 1);
                let f = (pos - b0 as f64).clamp(0.0, 1.0) as f32;
                let s = (scales[b0] * (1.0 - f) + scales[b1] * f).max(SCALE_FLOOR);
                contribution[i] = bw * e[i] / s;
            }
        }
        contributions.push(contribution);
        energies.push(e);
        all_weights.push((weights, scales));
    }
    // leads whose beat trains disagree with the best-supported lead's are left out of the
    // fusion, stretch by stretch (`included[lead][block]`)
    let included = lead_agreement(
        &contributions,
        &all_weights,
        block,
        first_block_start,
        grid_offset,
        fs,
        cfg,
    );
    let mut fused = vec![0f32; n];
    let mut wsum = vec![0f32; n];
    for ((contribution, (weights, _)), inc) in contributions.iter().zip(&all_weights).zip(&included)
    {
        for (b, (&bw, &keep)) in weights.iter().zip(inc).enumerate() {
            let (start, end) = block_range(b, block, first_block_start, grid_offset, n);
            if bw == 0.0 || !keep || start >= end {
                continue;
            }
            for i in start..end {
                fused[i] += contribution[i];
                wsum[i] += bw;
            }
        }
    }
    drop(contributions);
    for (f, w) in fused.iter_mut().zip(&wsum) {
        *f = if *w > 0.0 { *f / *w } else { 0.0 };
    }
    let picks = pick_beats(&fused, fs, cfg);
    // place each beat on the R peak of the lead that contributes most
    let search = ((0.1 * fs_full).round() as usize).max(1);
    let width_limit = ((0.15 * fs).round() as usize).max(1);
    let nlead = leads.len();
    for (c, v) in picks {
        let b = (grid_offset + c - first_block_start) / block;
        let mut best = (0usize, f32::MIN);
        let mut qsum = 0.0;
        for (l, (w, s)) in all_weights.iter().enumerate() {
            let contrib = w[b] * energies[l][c] / s[b].max(SCALE_FLOOR);
            qsum += w[b];
            if included[l][b] && contrib > best.1 {
                best = (l, contrib);
            }
        }
        let lead = best.0;
        let centre = (c * factor + factor / 2).min(full[lead].len() - 1);
        let sample = r_peak(full[lead], centre, search, fs_full);
        // width of the fused hump above a third of the peak
        let level = v / 3.0;
        let mut lo = c;
        while lo > 0 && c - lo < width_limit && fused[lo - 1] > level {
            lo -= 1;
        }
        let mut hi = c;
        while hi + 1 < n && hi - c < width_limit && fused[hi + 1] > level {
            hi += 1;
        }
        out.beats.push(Detection {
            sample,
            lead,
            energy: v,
            width_s: ((hi - lo + 1) as f64 / fs) as f32,
            quality: qsum / nlead as f32,
        });
    }
    out.quality = BlockQuality {
        first: 0,
        len: block * factor,
        weights: all_weights.into_iter().map(|(w, _)| w).collect(),
    };
    // the first block may start before the window: report its start clamped to 0
    out.quality.first = first_block_start * factor;
    out
}

/// Blocks (of the absolute block grid) per stretch over which leads' beat trains are
/// compared: 8 blocks of 1.5 s (12 s, about 14 beats at 70 bpm).
const STRETCH_BLOCKS: usize = 8;
/// A beat of one lead agrees with another lead when that lead has a beat this close (s).
const AGREEMENT_S: f64 = 0.15;
/// Two leads agree over a stretch when at least `AGREEMENT_NUM / AGREEMENT_DEN` (80%) of
/// the beats of one of them lie within [`AGREEMENT_S`] of a beat of the other.
const AGREEMENT_NUM: usize = 4;
/// See [`AGREEMENT_NUM`].
const AGREEMENT_DEN: usize = 5;
/// Leads are compared only when each has at least this many beats in the stretch.
const AGREEMENT_MIN_BEATS: usize = 4;

/// Sample range (in the window) of block `b`.
fn block_range(
    b: usize,
    block: usize,
    first_block_start: usize,
    grid_offset: usize,
    n: usize,
) -> (usize, usize) {
    let start = (first_block_start + b * block).saturating_sub(grid_offset);
    let end = (first_block_start + (b + 1) * block)
        .saturating_sub(grid_offset)
        .min(n);
    (start, end)
}

/// Which leads take part in the fusion, per block: `included[lead][block]`.
///
/// The leads of one heart see the same beats. When the leads' beat trains disagree (a
/// lead belongs to another recording, a mislabelled channel, or a lead picks up a
/// periodic artefact), the weighted mean of their energies would show the beats of every
/// train, and the detector would count their union. So each lead's beats are first picked
/// on its own normalised energy; then, stretch by stretch ([`STRETCH_BLOCKS`] blocks on
/// the absolute grid), two leads disagree when each has at least
/// [`AGREEMENT_MIN_BEATS`] beats there and fewer than 80% of either lead's beats lie
/// within [`AGREEMENT_S`] of a beat of the other. A lead that only misses beats (low
/// amplitude) or adds some (noise) still agrees in one direction and stays in: the
/// quality weights handle it as before. Trains of independent rhythms at similar rates
/// drift in and out of step: while they are within 150 ms of each other they agree
/// (their fused peaks fall within the refractory period: one beat), and once they drift
/// apart the stretch follows one of them. When some leads disagree, the anchor of the
/// stretch is, among the leads that disagree with another, the one with the largest
/// summed mean block weight of the leads that agree with it (itself included; ties go to
/// the better-quality lead, then the first); the leads that disagree with the anchor are
/// left out of that stretch. With a single lead, or when all agree, every lead is
/// included and the fusion is exactly the weighted mean of all leads.
fn lead_agreement(
    contributions: &[Vec<f32>],
    weights: &[(Vec<f32>, Vec<f32>)],
    block: usize,
    first_block_start: usize,
    grid_offset: usize,
    fs: f64,
    cfg: &DetectorConfig,
) -> Vec<Vec<bool>> {
    let nblocks = weights.first().map_or(0, |w| w.0.len());
    let mut included = vec![vec![true; nblocks]; contributions.len()];
    if contributions.len() < 2 || nblocks == 0 {
        return included;
    }
    let n = contributions.iter().map(|c| c.len()).min().unwrap_or(0);
    // every lead's own beats, on its normalised energy (the contribution over its weight)
    let trains: Vec<Vec<usize>> = contributions
        .iter()
        .zip(weights)
        .map(|(c, (w, _))| {
            let mut x = vec![0f32; n];
            for (b, &bw) in w.iter().enumerate() {
                let (start, end) = block_range(b, block, first_block_start, grid_offset, n);
                if bw > 0.0 && start < end {
                    let inv = 1.0 / bw;
                    for (o, v) in x[start..end].iter_mut().zip(&c[start..end]) {
                        *o = v * inv;
                    }
                }
            }
            pick_beats(&x, fs, cfg).into_iter().map(|p| p.0).collect()
        })
        .collect();
    let tol = (AGREEMENT_S * fs).round() as usize;
    // beats of `a` in [lo, hi) with a beat of `b` (anywhere in the window) within `tol`
    let matched = |a: &[usize], b: &[usize], lo: usize, hi: usize| -> (usize, usize) {
        let from = a.partition_point(|&x| x < lo);
        let to = a.partition_point(|&x| x < hi);
        let hits = a[from..to]
            .iter()
            .filter(|&&x| {
                let k = b.partition_point(|&y| y + tol < x);
                b.get(k).is_some_and(|&y| y <= x + tol)
            })
            .count();
        (hits, to - from)
    };
    let abs_first = first_block_start / block;
    let nlead = contributions.len();
    let mut b0 = 0;
    while b0 < nblocks {
        // the stretch holding block b0, cut to the window's blocks
        let b1 = ((abs_first + b0) / STRETCH_BLOCKS + 1) * STRETCH_BLOCKS - abs_first;
        let b1 = b1.min(nblocks);
        let lo = block_range(b0, block, first_block_start, grid_offset, n).0;
        let hi = block_range(b1 - 1, block, first_block_start, grid_offset, n).1;
        let mean_w: Vec<f32> = weights
            .iter()
            .map(|(w, _)| w[b0..b1].iter().sum::<f32>() / (b1 - b0) as f32)
            .collect();
        let mut agree = vec![vec![true; nlead]; nlead];
        let mut any_disagreement = false;
        for l in 0..nlead {
            for m in l + 1..nlead {
                if mean_w[l] <= 0.0 || mean_w[m] <= 0.0 {
                    continue;
                }
                let (hl, nl) = matched(&trains[l], &trains[m], lo, hi);
                let (hm, nm) = matched(&trains[m], &trains[l], lo, hi);
                if nl >= AGREEMENT_MIN_BEATS
                    && nm >= AGREEMENT_MIN_BEATS
                    && AGREEMENT_DEN * hl < AGREEMENT_NUM * nl
                    && AGREEMENT_DEN * hm < AGREEMENT_NUM * nm
                {
                    agree[l][m] = false;
                    agree[m][l] = false;
                    any_disagreement = true;
                }
            }
        }
        if any_disagreement {
            let support =
                |l: usize| -> f32 { (0..nlead).filter(|&m| agree[l][m]).map(|m| mean_w[m]).sum() };
            // a lead that disagrees with some lead has enough beats and weight to be an
            // anchor; the others agree with every lead by default and cannot bridge them
            let mut anchor: Option<usize> = None;
            for l in (0..nlead).filter(|&l| agree[l].iter().any(|a| !a)) {
                let better = anchor.is_none_or(|a| {
                    let (s, sa) = (support(l), support(a));
                    s > sa || (s == sa && mean_w[l] > mean_w[a])
                });
                if better {
                    anchor = Some(l);
                }
            }
            let Some(anchor) = anchor else {
                b0 = b1;
                continue;
            };
            for (l, inc) in included.iter_mut().enumerate() {
                if !agree[anchor][l] {
                    inc[b0..b1].fill(false);
                }
            }
        }
        b0 = b1;
    }
    included
}

/// Replaces NaN (missing) samples by the last valid value (0 before the first).
fn fill_missing(x: &mut [f32]) {
    let mut last = x.iter().copied().find(|v| v.is_finite()).unwrap_or(0.0);
    for v in x.iter_mut() {
        if v.is_finite() {
            last = *v;
        } else {
            *v = last;
        }
    }
}

/// Per block: false when the raw lead is flat (lead-off, range below 20 uV) or clipped
/// (more than 10% of its samples on one extreme value that lies far from the mean).
fn raw_block_flags(
    x: &[f32],
    block: usize,
    first: usize,
    offset: usize,
    nblocks: usize,
) -> Vec<bool> {
    let mut ok = vec![true; nblocks];
    for (b, flag) in ok.iter_mut().enumerate() {
        let start = (first + b * block).saturating_sub(offset);
        let end = (first + (b + 1) * block)
            .saturating_sub(offset)
            .min(x.len());
        if start >= end {
            continue;
        }
        let s = &x[start..end];
        let (mut lo, mut hi) = (f32::MAX, f32::MIN);
        for &v in s {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo < 0.02 {
            *flag = false;
            continue;
        }
        // clipped: a tenth of the block sits on an extreme that is far from the mean
        let median = s.iter().sum::<f32>() / s.len() as f32;
        let half_range = 0.5 * (hi - lo);
        let at_hi = s.iter().filter(|&&v| v == hi).count();
        let at_lo = s.iter().filter(|&&v| v == lo).count();
        if (at_hi * 10 > s.len() && hi - median > half_range)
            || (at_lo * 10 > s.len() && median - lo > half_range)
        {
            *flag = false;
        }
    }
    ok
}

/// Centred moving average over `2 * half + 1` samples (shrinking at the edges).
pub(crate) fn moving_average(x: &[f32], half: usize) -> Vec<f32> {
    let n = x.len();
    let mut prefix = Vec::with_capacity(n + 1);
    let mut acc = 0f64;
    prefix.push(0.0);
    for &v in x {
        acc += v as f64;
        prefix.push(acc);
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            ((prefix[hi] - prefix[lo]) / (hi - lo) as f64) as f32
        })
        .collect()
}

/// Median of the usable (`weight > 0`) values among `x[i - half ..= i + half]` (clamped
/// to the ends) for every `i`; [`SCALE_FLOOR`] where none is usable.
fn median_window(x: &[f32], weight: &[f32], half: usize) -> Vec<f32> {
    let mut buf = Vec::with_capacity(2 * half + 1);
    (0..x.len())
        .map(|i| {
            buf.clear();
            let range = i.saturating_sub(half)..(i + half + 1).min(x.len());
            buf.extend(
                x[range.clone()]
                    .iter()
                    .zip(&weight[range])
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(v, _)| *v),
            );
            if buf.is_empty() {
                return SCALE_FLOOR;
            }
            buf.sort_unstable_by(f32::total_cmp);
            buf[buf.len() / 2]
        })
        .collect()
}

/// Sample of the largest absolute deflection of `x` (after removing the window's median
/// level) within `c - search ..= c + search`.
fn r_peak(x: &[f32], c: usize, search: usize, fs: f64) -> usize {
    let lo = c.saturating_sub(search);
    let hi = (c + search + 1).min(x.len());
    // local baseline: mean of the 40 ms before the search window
    let b_lo = lo.saturating_sub(((0.04 * fs) as usize).max(1));
    let base_slice = &x[b_lo..lo.max(b_lo + 1).min(x.len())];
    let finite: Vec<f32> = base_slice
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let base = if finite.is_empty() {
        0.0
    } else {
        finite.iter().sum::<f32>() / finite.len() as f32
    };
    let mut best = (c, -1f32);
    for (i, &v) in x[lo..hi].iter().enumerate() {
        if v.is_finite() && (v - base).abs() > best.1 {
            best = (lo + i, (v - base).abs());
        }
    }
    best.0
}

/// Adaptive peak picking on the fused curve. Returns (sample, peak value) pairs.
fn pick_beats(f: &[f32], fs: f64, cfg: &DetectorConfig) -> Vec<(usize, f32)> {
    let n = f.len();
    // candidate peaks: local maxima above a floor
    let mut cands: Vec<(usize, f32)> = Vec::new();
    for i in 1..n.saturating_sub(1) {
        let v = f[i];
        if v > 0.02 && v >= f[i - 1] && v > f[i + 1] {
            cands.push((i, v));
        }
    }
    // merge candidates closer than 60 ms, keeping the highest
    let merge = (0.06 * fs) as usize;
    let mut merged: Vec<(usize, f32)> = Vec::with_capacity(cands.len());
    for c in cands {
        match merged.last_mut() {
            Some(last) if c.0 - last.0 < merge => {
                if c.1 > last.1 {
                    *last = c;
                }
            }
            _ => merged.push(c),
        }
    }
    let cands = merged;
    let refractory = (cfg.refractory_s * fs) as usize;
    let t_wave = (cfg.t_wave_s * fs) as usize;
    let mut spk = 1.0f32;
    let mut npk = 0.05f32;
    let mut rr: Vec<usize> = Vec::new();
    let mut beats: Vec<(usize, f32)> = Vec::new();
    let mut last: Option<(usize, f32)> = None;
    let mut last_idx = 0usize; // index in cands just after the last beat
    let mut k = 0usize;
    let rr_mean = |rr: &[usize]| -> f64 {
        if rr.is_empty() {
            0.9 * fs
        } else {
            rr.iter().sum::<usize>() as f64 / rr.len() as f64
        }
    };
    while k < cands.len() {
        let (i, v) = cands[k];
        let thr = npk + cfg.threshold * (spk - npk);
        // search back when a beat is overdue
        if let Some((lb, _)) = last {
            let limit = (cfg.searchback_rr * rr_mean(&rr)) as usize;
            if i - lb > limit && i - lb > 2 * refractory {
                let mut best: Option<usize> = None;
                for (j, &(cj, vj)) in cands.iter().enumerate().take(k).skip(last_idx) {
                    if cj <= lb + refractory || cj + refractory >= i {
                        continue;
                    }
                    if cj - lb < t_wave && vj < cfg.t_wave_ratio * last.map_or(0.0, |l| l.1) {
                        continue;
                    }
                    if vj > cfg.searchback_threshold * thr && best.is_none_or(|b| vj > cands[b].1) {
                        best = Some(j);
                    }
                }
                if let Some(j) = best {
                    let (cj, vj) = cands[j];
                    spk = 0.25 * vj.min(4.0 * spk) + 0.75 * spk;
                    push_rr(&mut rr, cj - lb);
                    beats.push((cj, vj));
                    last = Some((cj, vj));
                    last_idx = j + 1;
                    continue; // re-examine candidate k against the new last beat
                }
            }
        }
        k += 1;
        if let Some((lb, lv)) = last
            && i - lb < refractory
        {
            // a higher peak within the refractory period moves the beat
            if v > lv && beats.last().is_some_and(|b| b.0 == lb) {
                beats.pop();
                if let Some(&(pb, _)) = beats.last() {
                    rr.pop();
                    push_rr(&mut rr, i - pb);
                }
                beats.push((i, v));
                last = Some((i, v));
                last_idx = k;
            }
            continue;
        }
        if v > thr {
            if let Some((lb, lv)) = last
                && i - lb < t_wave
                && v < cfg.t_wave_ratio * lv
            {
                npk = 0.125 * v + 0.875 * npk;
                continue;
            }
            spk = 0.125 * v.min(4.0 * spk) + 0.875 * spk;
            if let Some((lb, _)) = last {
                push_rr(&mut rr, i - lb);
            }
            beats.push((i, v));
            last = Some((i, v));
            last_idx = k;
        } else {
            npk = 0.125 * v + 0.875 * npk;
        }
    }
    beats
}

fn push_rr(rr: &mut Vec<usize>, v: usize) {
    rr.push(v);
    if rr.len() > 8 {
        rr.remove(0);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A synthetic ECG lead: Gaussian QRS (R 1 mV, 30 ms sd 10 ms), T wave (0.3 mV, 250 ms
    /// after R), at the given R-peak samples.
    pub(crate) fn synth(fs: f64, n: usize, r_peaks: &[usize], amp: f32) -> Vec<f32> {
        let mut x = vec![0f32; n];
        for &r in r_peaks {
            for (i, v) in x.iter_mut().enumerate() {
                let t = (i as f64 - r as f64) / fs;
                if t.abs() > 0.6 {
                    continue;
                }
                let q = (-(t / 0.010).powi(2) / 2.0).exp();
                let s = -0.25 * (-((t - 0.025) / 0.008).powi(2) / 2.0).exp();
                let tw = 0.3 * (-((t - 0.25) / 0.04).powi(2) / 2.0).exp();
                *v += amp * (q + s + tw) as f32;
            }
        }
        x
    }

    fn regular(fs: f64, seconds: f64, rr_s: f64) -> (Vec<usize>, usize) {
        let n = (seconds * fs) as usize;
        let mut r = Vec::new();
        let mut t = 0.5;
        while t < seconds - 0.7 {
            r.push((t * fs) as usize);
            t += rr_s;
        }
        (r, n)
    }

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    }

    fn assert_match(found: &[Detection], truth: &[usize], fs: f64) {
        assert_eq!(
            found.len(),
            truth.len(),
            "{:?}",
            found.iter().map(|b| b.sample).collect::<Vec<_>>()
        );
        for (b, &t) in found.iter().zip(truth) {
            assert!(
                (b.sample as f64 - t as f64).abs() <= 0.01 * fs,
                "{} vs {t}",
                b.sample
            );
        }
    }

    #[test]
    fn finds_every_beat_at_any_rate() {
        for fs in [128.0, 250.0, 360.0, 500.0, 1000.0] {
            let (r, n) = regular(fs, 30.0, 0.8);
            let x = synth(fs, n, &r, 1.2);
            let out = detect(&[&x], fs, 0, &DetectorConfig::default());
            assert_match(&out.beats, &r, fs);
        }
    }

    #[test]
    fn fuses_leads_and_survives_lead_off_and_noise() {
        let fs = 360.0;
        let (r, n) = regular(fs, 40.0, 0.75);
        let a = synth(fs, n, &r, 1.0);
        let mut b = synth(fs, n, &r, 0.4);
        // lead b: off (flat) for 10 s, then noisy for 10 s
        let mut seed = 7u64;
        for (i, v) in b.iter_mut().enumerate() {
            if (10.0 * fs) as usize <= i && i < (20.0 * fs) as usize {
                *v = 0.0;
            } else if (20.0 * fs) as usize <= i && i < (30.0 * fs) as usize {
                *v += 0.8 * lcg(&mut seed);
            }
        }
        let out = detect(&[&a, &b], fs, 0, &DetectorConfig::default());
        assert_match(&out.beats, &r, fs);
        // the flat stretch has weight 0 for lead b
        let blk = out.quality.len;
        let b_mid = (15.0 * fs) as usize / blk;
        assert_eq!(out.quality.weights[1][b_mid], 0.0);
        assert!(out.quality.weights[0][b_mid] > 0.5);
    }

    #[test]
    fn leads_with_independent_beat_trains_are_not_merged() {
        let fs = 250.0;
        let (a, n) = regular(fs, 120.0, 0.8);
        let (b, _) = regular(fs, 120.0, 0.93);
        let x = synth(fs, n, &a, 1.0);
        let y = synth(fs, n, &b, 1.0);
        let y2 = synth(fs, n, &b, 0.7);
        let near = |found: &[Detection], truth: &[usize]| {
            found
                .iter()
                .filter(|d| {
                    truth
                        .iter()
                        .any(|&t| d.sample.abs_diff(t) as f64 <= 0.02 * fs)
                })
                .count()
        };
        // two leads, equal quality: the first lead's train, not the union of both
        let out = detect(&[&x, &y], fs, 0, &DetectorConfig::default());
        assert!(
            out.beats.len().abs_diff(a.len()) <= 3,
            "{} beats, {} in lead 0's train",
            out.beats.len(),
            a.len()
        );
        assert!(near(&out.beats, &a) + 3 >= a.len());
        // three leads, two of them carrying the same train: the majority wins
        let out = detect(&[&x, &y, &y2], fs, 0, &DetectorConfig::default());
        assert!(
            out.beats.len().abs_diff(b.len()) <= 3,
            "{} beats, {} in leads 1 and 2",
            out.beats.len(),
            b.len()
        );
        assert!(near(&out.beats, &b) + 3 >= b.len());
        // leads of one heart are fused as before: every beat, once
        let z = synth(fs, n, &a, 0.5);
        let out = detect(&[&x, &z], fs, 0, &DetectorConfig::default());
        assert_match(&out.beats, &a, fs);
    }

    #[test]
    fn premature_beats_and_pauses_are_found() {
        let fs = 250.0;
        let mut r = Vec::new();
        let mut t = 0.5;
        let mut k = 0;
        while t < 58.0 {
            r.push((t * fs) as usize);
            k += 1;
            t += match k % 10 {
                4 => 0.45, // premature
                5 => 1.15, // compensatory pause
                9 => 2.6,  // a pause
                _ => 0.8,
            };
        }
        let x = synth(fs, (60.0 * fs) as usize, &r, 1.0);
        let out = detect(&[&x], fs, 0, &DetectorConfig::default());
        assert_match(&out.beats, &r, fs);
    }

    #[test]
    fn pacing_spikes_do_not_become_beats() {
        let fs = 500.0;
        let (r, n) = regular(fs, 20.0, 0.8);
        let mut x = synth(fs, n, &r, 1.0);
        for &p in &r {
            // spike 40 ms before each QRS and one isolated spike
            x[p - 20] += 6.0;
        }
        x[(10.35 * fs) as usize] += 6.0;
        let out = detect(&[&x], fs, 0, &DetectorConfig::default());
        assert_match(&out.beats, &r, fs);
        assert_eq!(out.pacing_spikes.len(), r.len() + 1);
    }

    #[test]
    fn silence_gives_no_beats() {
        let x = vec![0f32; 5000];
        assert!(
            detect(&[&x], 250.0, 0, &DetectorConfig::default())
                .beats
                .is_empty()
        );
        assert!(
            detect(&[], 250.0, 0, &DetectorConfig::default())
                .beats
                .is_empty()
        );
    }
}
