//! Preprocessing: second-order IIR sections (Butterworth low/high-pass, notch), zero-phase
//! filtering, baseline-wander removal, powerline suppression and resampling, for any
//! sampling rate.
//!
//! Coefficients and filter state are `f64` (a 0.5 Hz high-pass at 1000 Hz needs that
//! precision); samples are stored as `f32`.

use serde::{Deserialize, Serialize};

/// One second-order IIR section `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`,
/// run in transposed direct form II.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Biquad {
    /// Numerator coefficients.
    pub b: [f64; 3],
    /// Denominator coefficients `a1`, `a2` (`a0` is 1).
    pub a: [f64; 2],
}

impl Biquad {
    /// Butterworth (Q = 1/sqrt 2) low-pass with cut-off `fc` Hz (bilinear transform).
    pub fn lowpass(fs: f64, fc: f64) -> Biquad {
        Self::lowpass_q(fs, fc, std::f64::consts::FRAC_1_SQRT_2)
    }

    /// Low-pass with cut-off `fc` Hz and quality factor `q`.
    pub fn lowpass_q(fs: f64, fc: f64, q: f64) -> Biquad {
        let (cw, alpha) = Self::angles(fs, fc, q);
        let a0 = 1.0 + alpha;
        Biquad {
            b: [
                (1.0 - cw) / 2.0 / a0,
                (1.0 - cw) / a0,
                (1.0 - cw) / 2.0 / a0,
            ],
            a: [-2.0 * cw / a0, (1.0 - alpha) / a0],
        }
    }

    /// Butterworth high-pass with cut-off `fc` Hz.
    pub fn highpass(fs: f64, fc: f64) -> Biquad {
        let (cw, alpha) = Self::angles(fs, fc, std::f64::consts::FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        Biquad {
            b: [
                (1.0 + cw) / 2.0 / a0,
                -(1.0 + cw) / a0,
                (1.0 + cw) / 2.0 / a0,
            ],
            a: [-2.0 * cw / a0, (1.0 - alpha) / a0],
        }
    }

    /// Notch at `f0` Hz with quality factor `q` (bandwidth `f0 / q`).
    pub fn notch(fs: f64, f0: f64, q: f64) -> Biquad {
        let (cw, alpha) = Self::angles(fs, f0, q);
        let a0 = 1.0 + alpha;
        Biquad {
            b: [1.0 / a0, -2.0 * cw / a0, 1.0 / a0],
            a: [-2.0 * cw / a0, (1.0 - alpha) / a0],
        }
    }

    fn angles(fs: f64, fc: f64, q: f64) -> (f64, f64) {
        let w0 = 2.0 * std::f64::consts::PI * fc / fs;
        (w0.cos(), w0.sin() / (2.0 * q))
    }

    /// Gain at DC, `H(1)`.
    pub fn dc_gain(&self) -> f64 {
        (self.b[0] + self.b[1] + self.b[2]) / (1.0 + self.a[0] + self.a[1])
    }

    /// Magnitude of the frequency response at `f` Hz.
    pub fn magnitude(&self, fs: f64, f: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * f / fs;
        let (c1, s1, c2, s2) = (w.cos(), -w.sin(), (2.0 * w).cos(), -(2.0 * w).sin());
        let nr = self.b[0] + self.b[1] * c1 + self.b[2] * c2;
        let ni = self.b[1] * s1 + self.b[2] * s2;
        let dr = 1.0 + self.a[0] * c1 + self.a[1] * c2;
        let di = self.a[0] * s1 + self.a[1] * s2;
        ((nr * nr + ni * ni) / (dr * dr + di * di)).sqrt()
    }

    /// Filters `x` in place, in the direction given, starting from the steady state for a
    /// constant input equal to the first sample processed (so a DC offset causes no
    /// transient).
    pub fn run(&self, x: &mut [f32], reverse: bool) {
        let Some(&first) = (if reverse { x.last() } else { x.first() }) else {
            return;
        };
        let mut state = SectionState::new(self, first as f64);
        let mut step = |s: &mut f32| *s = state.step(*s as f64) as f32;
        if reverse {
            x.iter_mut().rev().for_each(&mut step);
        } else {
            x.iter_mut().for_each(&mut step);
        }
    }
}

/// A running section: its coefficients and the two state variables of transposed direct
/// form II.
struct SectionState {
    b: [f64; 3],
    a: [f64; 2],
    s1: f64,
    s2: f64,
}

impl SectionState {
    /// The steady state for a constant input `v`.
    fn new(q: &Biquad, v: f64) -> SectionState {
        let [_, b1, b2] = q.b;
        let [a1, a2] = q.a;
        let y0 = v * q.dc_gain();
        let s2 = b2 * v - a2 * y0;
        let s1 = b1 * v - a1 * y0 + s2;
        SectionState {
            b: q.b,
            a: q.a,
            s1,
            s2,
        }
    }

    #[inline(always)]
    fn step(&mut self, xi: f64) -> f64 {
        let [b0, b1, b2] = self.b;
        let [a1, a2] = self.a;
        let y = b0 * xi + self.s1;
        self.s1 = b1 * xi - a1 * y + self.s2;
        self.s2 = b2 * xi - a2 * y;
        y
    }
}

/// Runs `p` then `q` over `x` in one pass, in the direction given: exactly the values of
/// `p.run(x, reverse)` followed by `q.run(x, reverse)` (the intermediate samples are
/// rounded to `f32` as stored samples would be, and `q` starts from the steady state of
/// `p`'s first output), with the two recursions interleaved so that the processor overlaps
/// their dependency chains.
fn run_pair(p: &Biquad, q: &Biquad, x: &mut [f32], reverse: bool) {
    let (head, rest) = if reverse {
        match x.split_last_mut() {
            Some((h, r)) => (h, r),
            None => return,
        }
    } else {
        match x.split_first_mut() {
            Some((h, r)) => (h, r),
            None => return,
        }
    };
    let v = *head as f64;
    let mut sp = SectionState::new(p, v);
    let y = sp.step(v) as f32;
    let mut sq = SectionState::new(q, y as f64);
    *head = sq.step(y as f64) as f32;
    let mut step = |s: &mut f32| {
        let y = sp.step(*s as f64) as f32;
        *s = sq.step(y as f64) as f32;
    };
    if reverse {
        rest.iter_mut().rev().for_each(&mut step);
    } else {
        rest.iter_mut().for_each(&mut step);
    }
}

/// Runs the sections forward then backward: zero phase, squared magnitude response.
/// Sections run two at a time in one pass ([`run_pair`]): the same values as running them
/// one after the other.
pub fn filtfilt(sections: &[Biquad], x: &mut [f32]) {
    let mut pairs = sections.chunks_exact(2);
    for pair in &mut pairs {
        run_pair(&pair[0], &pair[1], x, false);
    }
    for s in pairs.remainder() {
        s.run(x, false);
    }
    // backward: the last section first
    let mut pairs = sections.rchunks_exact(2);
    for pair in &mut pairs {
        run_pair(&pair[1], &pair[0], x, true);
    }
    for s in pairs.remainder() {
        s.run(x, true);
    }
}

/// Which powerline frequencies to suppress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mains {
    /// No notch.
    Off,
    /// 50 Hz (Europe, most of Asia and Africa).
    Hz50,
    /// 60 Hz (Americas).
    Hz60,
    /// Both 50 and 60 Hz (narrow notches; the default when the origin is unknown).
    #[default]
    Both,
}

/// Preprocessing settings of the signal used for morphology (templates, fiducial points).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preprocess {
    /// Baseline-wander high-pass cut-off in Hz.
    pub highpass_hz: f64,
    /// Low-pass cut-off in Hz (clamped below 0.45 fs).
    pub lowpass_hz: f64,
    /// Powerline notch(es).
    pub mains: Mains,
    /// Notch quality factor.
    pub notch_q: f64,
}

impl Default for Preprocess {
    fn default() -> Self {
        Preprocess {
            highpass_hz: 0.5,
            lowpass_hz: 40.0,
            mains: Mains::Both,
            notch_q: 25.0,
        }
    }
}

impl Preprocess {
    /// The sections to run (zero-phase) at `fs`: high-pass, notches below Nyquist, low-pass.
    pub fn sections(&self, fs: f64) -> Vec<Biquad> {
        let mut v = vec![Biquad::highpass(fs, self.highpass_hz)];
        let notches: &[f64] = match self.mains {
            Mains::Off => &[],
            Mains::Hz50 => &[50.0],
            Mains::Hz60 => &[60.0],
            Mains::Both => &[50.0, 60.0],
        };
        for &f0 in notches {
            if f0 < 0.45 * fs && f0 > self.highpass_hz {
                v.push(Biquad::notch(fs, f0, self.notch_q));
            }
        }
        v.push(Biquad::lowpass(fs, self.lowpass_hz.min(0.45 * fs)));
        v
    }

    /// Applies the preprocessing to `x` in place (zero phase).
    pub fn apply(&self, fs: f64, x: &mut [f32]) {
        filtfilt(&self.sections(fs), x);
    }
}

/// Band-pass (`lo`..`hi` Hz) sections used by the QRS detector.
pub fn bandpass_sections(fs: f64, lo: f64, hi: f64) -> Vec<Biquad> {
    vec![
        Biquad::highpass(fs, lo),
        Biquad::lowpass(fs, hi.min(0.45 * fs)),
    ]
}

/// Linear-interpolation resampling of a uniformly sampled signal from `fs_in` to `fs_out`:
/// output sample `k` is the input at time `k / fs_out`, for every time within the input.
pub fn resample_linear(x: &[f32], fs_in: f64, fs_out: f64) -> Vec<f32> {
    if x.is_empty() || fs_in <= 0.0 || fs_out <= 0.0 {
        return Vec::new();
    }
    let last = (x.len() - 1) as f64;
    let n_out = (last * fs_out / fs_in).floor() as usize + 1;
    (0..n_out)
        .map(|k| {
            let t = k as f64 * fs_in / fs_out;
            let i = (t.floor() as usize).min(x.len() - 1);
            let f = t - i as f64;
            match x.get(i + 1) {
                Some(&next) => (x[i] as f64 * (1.0 - f) + next as f64 * f) as f32,
                None => x[i],
            }
        })
        .collect()
}

/// Removes pacemaker spikes: samples whose curvature over +-`half` samples exceeds
/// `threshold_mv` and whose excursion lasts at most `half` samples on each side are
/// replaced by a straight line. Returns the sample index of each spike removed.
pub fn remove_pacing_spikes(x: &mut [f32], fs: f64, threshold_mv: f32) -> Vec<usize> {
    let half = ((0.004 * fs).round() as usize).max(1);
    let width = 2 * half;
    let mut spikes = Vec::new();
    if x.len() <= 2 * width + 1 {
        return spikes;
    }
    let mut i = width;
    while i + width < x.len() {
        let base = 0.5 * (x[i - width] + x[i + width]);
        let dev = x[i] - base;
        // A spike rises and falls within `half` samples: the neighbours `half` away are
        // already back near the baseline, unlike a QRS complex whose slopes last longer.
        if dev.abs() > threshold_mv
            && (x[i - half] - base).abs() < 0.5 * dev.abs()
            && (x[i + half] - base).abs() < 0.5 * dev.abs()
        {
            // Find the extreme sample of the spike, then bridge it.
            let lo = i - half;
            let hi = i + half;
            let a = x[lo - 1];
            let b = x[hi + 1];
            let span = (hi + 1 - (lo - 1)) as f32;
            for (k, v) in x[lo..=hi].iter_mut().enumerate() {
                let f = (k + 1) as f32 / span;
                *v = a + (b - a) * f;
            }
            spikes.push(i);
            i = hi + width;
        } else {
            i += 1;
        }
    }
    spikes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(fs: f64, f: f64, n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * std::f64::consts::PI * f * i as f64 / fs).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn butterworth_has_half_power_at_cutoff() {
        for fs in [128.0, 250.0, 360.0, 1000.0] {
            let lp = Biquad::lowpass(fs, 20.0);
            let hp = Biquad::highpass(fs, 0.5);
            assert!((lp.magnitude(fs, 20.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
            assert!((hp.magnitude(fs, 0.5) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
            assert!((lp.dc_gain() - 1.0).abs() < 1e-12);
            assert!(hp.dc_gain().abs() < 1e-12);
            let n = Biquad::notch(fs, 50.0, 25.0);
            assert!(n.magnitude(fs, 50.0) < 1e-9);
            assert!((n.magnitude(fs, 10.0) - 1.0).abs() < 0.01);
        }
    }

    #[test]
    fn preprocessing_removes_wander_and_mains_keeps_qrs_band() {
        for fs in [250.0, 360.0, 500.0, 1000.0] {
            let n = (fs * 20.0) as usize;
            let wander = sine(fs, 0.1, n, 1.0);
            let mains50 = sine(fs, 50.0, n, 0.2);
            let mains60 = sine(fs, 60.0, n, 0.2);
            let band = sine(fs, 10.0, n, 1.0);
            let p = Preprocess::default();
            let mut w = wander.clone();
            p.apply(fs, &mut w);
            let mut m = mains50.clone();
            p.apply(fs, &mut m);
            let mut m6 = mains60.clone();
            p.apply(fs, &mut m6);
            let mut b = band.clone();
            p.apply(fs, &mut b);
            let mid = n / 4..3 * n / 4;
            assert!(
                rms(&w[mid.clone()]) < 0.05 * rms(&wander[mid.clone()]),
                "{fs}"
            );
            assert!(
                rms(&m[mid.clone()]) < 0.02 * rms(&mains50[mid.clone()]),
                "{fs}"
            );
            assert!(
                rms(&m6[mid.clone()]) < 0.02 * rms(&mains60[mid.clone()]),
                "{fs}"
            );
            let keep = rms(&b[mid.clone()]) / rms(&band[mid.clone()]);
            assert!(keep > 0.97 && keep < 1.01, "{fs}: {keep}");
        }
    }

    #[test]
    fn paired_sections_give_the_values_of_one_section_at_a_time() {
        // filtfilt runs sections two at a time; the values must be bit for bit those of
        // running every section on its own, forward then backward in reverse order.
        let fs = 250.0;
        let all = [
            Biquad::highpass(fs, 0.5),
            Biquad::lowpass(fs, 40.0),
            Biquad::notch(fs, 50.0, 30.0),
            Biquad::notch(fs, 60.0, 30.0),
            Biquad::lowpass_q(fs, 20.0, 0.9),
        ];
        let x: Vec<f32> = (0..3000)
            .map(|i| {
                let t = i as f64 / fs;
                (1.3 + (2.0 * std::f64::consts::PI * 1.1 * t).sin()
                    + 0.2 * (2.0 * std::f64::consts::PI * 50.0 * t).sin()
                    + 0.05 * ((i * 7919 % 101) as f64 / 101.0 - 0.5)) as f32
            })
            .collect();
        for n in 0..=all.len() {
            let sections = &all[..n];
            let mut fused = x.clone();
            filtfilt(sections, &mut fused);
            let mut one_by_one = x.clone();
            for s in sections {
                s.run(&mut one_by_one, false);
            }
            for s in sections.iter().rev() {
                s.run(&mut one_by_one, true);
            }
            let same = fused
                .iter()
                .zip(&one_by_one)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{n} sections");
            if n > 0 {
                assert_ne!(fused, x, "{n} sections changed nothing");
            }
        }
        let mut empty: Vec<f32> = Vec::new();
        filtfilt(&all, &mut empty);
        let mut one = vec![2.5f32];
        filtfilt(&all[..2], &mut one);
        assert!(one[0].is_finite());
    }

    #[test]
    fn filtfilt_has_zero_phase() {
        // A symmetric pulse stays centred where it was.
        let fs = 360.0;
        let mut x = vec![0f32; 2000];
        for (i, v) in x.iter_mut().enumerate() {
            let t = (i as f64 - 1000.0) / (0.01 * fs);
            *v = (-t * t).exp() as f32;
        }
        filtfilt(&bandpass_sections(fs, 5.0, 20.0), &mut x);
        let peak = x
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        assert_eq!(peak, Some(1000));
    }

    #[test]
    fn resampling_is_exact_on_lines() {
        let x: Vec<f32> = (0..100).map(|i| i as f32 * 0.5).collect();
        let y = resample_linear(&x, 100.0, 250.0);
        assert_eq!(y.len(), 248);
        for (k, &v) in y.iter().enumerate() {
            assert!((v - (k as f32 * 100.0 / 250.0) * 0.5).abs() < 1e-4);
        }
        let z = resample_linear(&x, 100.0, 50.0);
        assert_eq!(z, (0..50).map(|i| i as f32).collect::<Vec<_>>());
        assert!(resample_linear(&[], 1.0, 2.0).is_empty());
    }

    #[test]
    fn pacing_spikes_are_bridged_but_qrs_is_kept() {
        let fs = 500.0;
        let mut x = vec![0f32; 1000];
        // QRS-like triangle 80 ms wide, 1.5 mV
        for k in 0..40 {
            let v = 1.5 * (1.0 - (k as f32 - 20.0).abs() / 20.0);
            x[300 + k] = v;
        }
        // pacing spike 2 ms wide, 5 mV
        x[700] = 5.0;
        x[701] = 4.0;
        let spikes = remove_pacing_spikes(&mut x, fs, 1.0);
        assert_eq!(spikes.len(), 1);
        assert!((spikes[0] as i64 - 700).abs() <= 1);
        assert!(x[690..710].iter().all(|v| v.abs() < 0.01));
        assert!((x[320] - 1.5).abs() < 1e-6);
    }
}
