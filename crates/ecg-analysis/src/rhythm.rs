//! Rhythm episodes and events from classified beats: sinus rhythm, brady/tachycardia,
//! atrial fibrillation (with burden), pauses, ventricular and supraventricular couplets,
//! runs, tachycardias, bigeminy and trigeminy, and noise stretches.
//!
//! Atrial fibrillation is recognised from RR irregularity over windows of 64 intervals
//! (after trimming the 4 longest and 4 shortest): normalised RMSSD, Shannon entropy of
//! the 16-bin RR histogram and the turning-point ratio (after Dash et al., Ann Biomed
//! Eng 2009). Beats inside AF episodes are relabelled `N` when they were called `S` for
//! coming early (irregular conduction is not ectopy). Atrial flutter is not told apart
//! from AF or SVT by this engine yet: [`EpisodeKind::AtrialFlutter`] is never produced.

use ecg_core::AamiClass;
use serde::{Deserialize, Serialize};

use crate::result::{Beat, Episode, EpisodeKind, QualitySegment, Summary};

/// Rhythm settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RhythmConfig {
    /// Sinus bradycardia below this rate (bpm).
    pub brady_bpm: f64,
    /// Sinus tachycardia above this rate (bpm).
    pub tachy_bpm: f64,
    /// Brady/tachycardia episodes need at least this many consecutive beats.
    pub min_rate_episode_beats: usize,
    /// A pause is an RR interval longer than this (s).
    pub pause_s: f64,
    /// Runs of 3+ ectopic beats at or above this rate are tachycardias (bpm).
    pub tachycardia_run_bpm: f64,
    /// AF analysis window (RR intervals).
    pub af_window: usize,
    /// Shortest AF episode reported (s).
    pub af_min_s: f64,
    /// AF when the normalised RMSSD exceeds this ...
    pub af_nrmssd: f64,
    /// ... and the normalised Shannon entropy exceeds this ...
    pub af_entropy: f64,
    /// ... and the turning-point ratio lies in this range.
    pub af_tpr: (f64, f64),
}

impl Default for RhythmConfig {
    fn default() -> Self {
        RhythmConfig {
            brady_bpm: 50.0,
            tachy_bpm: 100.0,
            min_rate_episode_beats: 8,
            pause_s: 2.0,
            tachycardia_run_bpm: 100.0,
            af_window: 64,
            af_min_s: 30.0,
            af_nrmssd: 0.1,
            af_entropy: 0.7,
            af_tpr: (0.54, 0.77),
        }
    }
}

/// Finds AF beat flags (true = inside an AF episode).
pub fn af_flags(beats: &[Beat], fs: f64, cfg: &RhythmConfig) -> Vec<bool> {
    let n = beats.len();
    let mut flags = vec![false; n];
    let w = cfg.af_window.max(16);
    if n < w + 1 {
        return flags;
    }
    // RR intervals ending at beat i (i >= 1), skipping those touching a V beat
    let rr: Vec<Option<f64>> = (0..n)
        .map(|i| {
            if i == 0 || beats[i].class == AamiClass::V || beats[i - 1].class == AamiClass::V {
                None
            } else {
                Some((beats[i].sample - beats[i - 1].sample) as f64 / fs)
            }
        })
        .collect();
    let step = w / 2;
    let mut start = 1;
    while start + w <= n {
        let win: Vec<f64> = rr[start..start + w].iter().flatten().copied().collect();
        if win.len() >= w * 3 / 4 && is_af_window(&win, cfg) {
            for f in &mut flags[start - 1..start + w] {
                *f = true;
            }
        }
        start += step;
    }
    // drop episodes shorter than af_min_s
    let mut i = 0;
    while i < n {
        if !flags[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < n && flags[j + 1] {
            j += 1;
        }
        if ((beats[j].sample - beats[i].sample) as f64 / fs) < cfg.af_min_s {
            for f in &mut flags[i..=j] {
                *f = false;
            }
        }
        i = j + 1;
    }
    flags
}

fn is_af_window(rr: &[f64], cfg: &RhythmConfig) -> bool {
    // turning-point ratio on the untrimmed sequence
    let tp = (1..rr.len() - 1)
        .filter(|&i| (rr[i] - rr[i - 1]) * (rr[i + 1] - rr[i]) < 0.0)
        .count();
    let tpr = tp as f64 / (rr.len() - 2) as f64;
    // trim 4 longest and 4 shortest, keep order
    let mut sorted = rr.to_vec();
    sorted.sort_by(f64::total_cmp);
    let lo = sorted[4.min(sorted.len() - 1)];
    let hi = sorted[sorted.len().saturating_sub(5)];
    let trimmed: Vec<f64> = rr.iter().copied().filter(|&v| v >= lo && v <= hi).collect();
    if trimmed.len() < 8 {
        return false;
    }
    let mean = trimmed.iter().sum::<f64>() / trimmed.len() as f64;
    let rmssd = (trimmed
        .windows(2)
        .map(|p| (p[1] - p[0]).powi(2))
        .sum::<f64>()
        / (trimmed.len() - 1) as f64)
        .sqrt();
    let nrmssd = rmssd / mean;
    let (mn, mx) = (
        trimmed[0..].iter().copied().fold(f64::INFINITY, f64::min),
        hi,
    );
    let mut hist = [0usize; 16];
    for &v in &trimmed {
        let b = if mx > mn {
            (((v - mn) / (mx - mn)) * 16.0).floor().min(15.0) as usize
        } else {
            0
        };
        hist[b] += 1;
    }
    let tot = trimmed.len() as f64;
    let ent: f64 = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / tot;
            -p * p.ln()
        })
        .sum::<f64>()
        / (16f64).ln();
    nrmssd > cfg.af_nrmssd && ent > cfg.af_entropy && tpr >= cfg.af_tpr.0 && tpr <= cfg.af_tpr.1
}

/// Relabels early narrow beats (`S`) inside AF as `N`; returns the AF flags.
pub fn apply_af(beats: &mut [Beat], fs: f64, cfg: &RhythmConfig) -> Vec<bool> {
    let flags = af_flags(beats, fs, cfg);
    for (b, &f) in beats.iter_mut().zip(&flags) {
        if f && b.class == AamiClass::S {
            b.class = AamiClass::N;
        }
    }
    flags
}

/// All rhythm episodes, ordered by start. `beats` must be in time order; classes are
/// taken as given (call [`apply_af`] first to relabel AF beats).
pub fn episodes(
    beats: &[Beat],
    fs: f64,
    n_samples: i64,
    quality: &[QualitySegment],
    cfg: &RhythmConfig,
) -> Vec<Episode> {
    let mut out = Vec::new();
    let n = beats.len();
    let af = af_flags(beats, fs, cfg);
    let hr_of = |a: usize, b: usize| -> Option<f64> {
        (b > a).then(|| 60.0 * fs * (b - a) as f64 / (beats[b].sample - beats[a].sample) as f64)
    };
    // AF episodes
    runs(&af, |i, j| {
        out.push(Episode {
            kind: EpisodeKind::AtrialFibrillation,
            start: beats[i].sample,
            end: beats[j].sample,
            beats: (j - i + 1) as u32,
            mean_hr_bpm: hr_of(i, j),
        })
    });
    // noise
    let noisy: Vec<bool> = quality
        .iter()
        .map(|q| q.overall < QualitySegment::USABLE)
        .collect();
    runs(&noisy, |i, j| {
        out.push(Episode {
            kind: EpisodeKind::Noise,
            start: quality[i].start,
            end: quality[j].end.min(n_samples),
            beats: beats
                .iter()
                .filter(|b| b.sample >= quality[i].start && b.sample < quality[j].end)
                .count() as u32,
            mean_hr_bpm: None,
        })
    });
    let in_noise = |a: i64, b: i64| {
        let k = quality.partition_point(|q| q.end <= a);
        quality[k.min(quality.len())..]
            .iter()
            .take_while(|q| q.start < b)
            .any(|q| q.overall < QualitySegment::USABLE)
    };
    // pauses
    for i in 1..n {
        let rr = (beats[i].sample - beats[i - 1].sample) as f64 / fs;
        if rr > cfg.pause_s && !in_noise(beats[i - 1].sample, beats[i].sample) {
            out.push(Episode {
                kind: EpisodeKind::Pause,
                start: beats[i - 1].sample,
                end: beats[i].sample,
                beats: 2,
                mean_hr_bpm: None,
            });
        }
    }
    // ectopic runs, bigeminy, trigeminy
    for (class, kinds) in [
        (
            AamiClass::V,
            [
                EpisodeKind::VentricularCouplet,
                EpisodeKind::VentricularRun,
                EpisodeKind::VentricularTachycardia,
                EpisodeKind::VentricularBigeminy,
                EpisodeKind::VentricularTrigeminy,
            ],
        ),
        (
            AamiClass::S,
            [
                EpisodeKind::SupraventricularCouplet,
                EpisodeKind::SupraventricularRun,
                EpisodeKind::SupraventricularTachycardia,
                EpisodeKind::SupraventricularBigeminy,
                EpisodeKind::SupraventricularTrigeminy,
            ],
        ),
    ] {
        let is: Vec<bool> = beats.iter().map(|b| b.class == class).collect();
        runs(&is, |i, j| {
            let len = j - i + 1;
            if len < 2 {
                return;
            }
            let hr = if i > 0 { hr_of(i - 1, j) } else { hr_of(i, j) };
            let kind = if len == 2 {
                kinds[0]
            } else if hr.unwrap_or(0.0) >= cfg.tachycardia_run_bpm {
                kinds[2]
            } else {
                kinds[1]
            };
            out.push(Episode {
                kind,
                start: beats[i].sample,
                end: beats[j].sample,
                beats: len as u32,
                mean_hr_bpm: hr,
            });
        });
        for (period, kind) in [(2usize, kinds[3]), (3usize, kinds[4])] {
            // ectopic beats at i, i+period, ... with only N beats in between, 3 or more
            let mut k = 0;
            while k < n {
                if !is[k] {
                    k += 1;
                    continue;
                }
                let mut last = k;
                let mut count = 1;
                while last + period < n
                    && is[last + period]
                    && (1..period).all(|d| beats[last + d].class == AamiClass::N)
                {
                    last += period;
                    count += 1;
                }
                if count >= 3 {
                    let first = k.saturating_sub(period - 1);
                    out.push(Episode {
                        kind,
                        start: beats[first].sample,
                        end: beats[last].sample,
                        beats: (last - first + 1) as u32,
                        mean_hr_bpm: hr_of(first, last),
                    });
                    k = last + 1;
                } else {
                    k += 1;
                }
            }
        }
    }
    // sinus rhythm, bradycardia, tachycardia: stretches of N beats outside AF
    let hr8: Vec<Option<f64>> = (0..n)
        .map(|i| {
            if i < 8 || (i - 8..=i).any(|k| beats[k].class != AamiClass::N || af[k]) {
                None
            } else {
                hr_of(i - 8, i)
            }
        })
        .collect();
    let cat: Vec<u8> = hr8
        .iter()
        .map(|h| match h {
            None => 0,
            Some(v) if *v < cfg.brady_bpm => 2,
            Some(v) if *v > cfg.tachy_bpm => 3,
            Some(_) => 1,
        })
        .collect();
    let mut i = 0;
    while i < n {
        if cat[i] == 0 {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < n && cat[j + 1] == cat[i] {
            j += 1;
        }
        let kind = match cat[i] {
            2 => EpisodeKind::SinusBradycardia,
            3 => EpisodeKind::SinusTachycardia,
            _ => EpisodeKind::SinusRhythm,
        };
        if kind == EpisodeKind::SinusRhythm || j - i + 1 >= cfg.min_rate_episode_beats {
            let first = i.saturating_sub(8);
            out.push(Episode {
                kind,
                start: beats[first].sample,
                end: beats[j].sample,
                beats: (j - first + 1) as u32,
                mean_hr_bpm: hr_of(first, j),
            });
        }
        i = j + 1;
    }
    out.sort_by_key(|e| (e.start, e.kind, e.end));
    out
}

/// Calls `f(first, last)` for every maximal run of `true`.
fn runs(flags: &[bool], mut f: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < flags.len() {
        if !flags[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < flags.len() && flags[j + 1] {
            j += 1;
        }
        f(i, j);
        i = j + 1;
    }
}

/// Whole-record summary numbers, with the long-term fields of [`crate::long_term::fill`]
/// (call [`crate::long_term::finish`] for clock times and strip references, and keep the
/// ST trend, which only the engine measures).
pub fn summary(
    beats: &[Beat],
    episodes: &[Episode],
    quality: &[QualitySegment],
    fs: f64,
    n_samples: i64,
) -> Summary {
    let mut s = Summary {
        duration_s: n_samples as f64 / fs,
        ..Default::default()
    };
    for b in beats {
        let k = match b.class {
            AamiClass::N => 0,
            AamiClass::S => 1,
            AamiClass::V => 2,
            AamiClass::F => 3,
            AamiClass::Q => 4,
        };
        s.class_counts[k] += 1;
    }
    // min, mean and max on one basis (the 8-beat windows of normal beats)
    let rates =
        crate::long_term::heart_rates(beats, 0..beats.len(), fs, RhythmConfig::default().pause_s);
    s.hr_min = rates.min;
    s.hr_mean = rates.mean;
    s.hr_max = rates.max;
    s.hr_mean_basis = rates.basis;
    if beats.len() >= 2 {
        let span = (beats[beats.len() - 1].sample - beats[0].sample) as f64 / fs;
        if span > 0.0 {
            s.hr_mean_all_beats_bpm = Some(60.0 * (beats.len() - 1) as f64 / span);
        }
    }
    for i in 1..beats.len() {
        let rr = (beats[i].sample - beats[i - 1].sample) as f64 / fs;
        if s.longest_rr.is_none_or(|m| rr > m.0) {
            s.longest_rr = Some((rr, beats[i].sample));
        }
    }
    let af: i64 = episodes
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter
            )
        })
        .map(|e| e.end - e.start)
        .sum();
    if n_samples > 0 {
        s.af_burden = af as f64 / n_samples as f64;
        let noisy: i64 = quality
            .iter()
            .filter(|q| q.overall < QualitySegment::USABLE)
            .map(|q| q.end - q.start)
            .sum();
        s.noise_fraction = noisy as f64 / n_samples as f64;
    }
    crate::long_term::fill(&mut s, beats, episodes, quality, fs, n_samples);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beats(rr_and_class: &[(f64, AamiClass)], fs: f64) -> Vec<Beat> {
        let mut t = 1.0;
        rr_and_class
            .iter()
            .map(|&(rr, class)| {
                t += rr;
                Beat {
                    sample: (t * fs).round() as i64,
                    class,
                    lead: 0,
                    template: 0,
                }
            })
            .collect()
    }

    fn clean(n: i64) -> Vec<QualitySegment> {
        vec![QualitySegment {
            start: 0,
            end: n,
            leads: vec![1.0],
            overall: 1.0,
        }]
    }

    fn kinds(e: &[Episode]) -> Vec<EpisodeKind> {
        e.iter()
            .map(|e| e.kind)
            .filter(|k| *k != EpisodeKind::SinusRhythm)
            .collect()
    }

    use AamiClass::{N, S, V};

    #[test]
    fn ectopic_patterns() {
        let fs = 250.0;
        let mut seq = vec![(0.8, N); 20];
        // couplet
        seq.extend([(0.5, V), (0.5, V), (1.2, N)]);
        seq.extend(vec![(0.8, N); 10]);
        // ventricular tachycardia: 4 V at 150 bpm
        seq.extend([(0.4, V), (0.4, V), (0.4, V), (0.4, V), (1.0, N)]);
        seq.extend(vec![(0.8, N); 10]);
        // bigeminy: N V N V N V
        for _ in 0..4 {
            seq.extend([(0.9, N), (0.5, V)]);
        }
        seq.extend(vec![(0.8, N); 10]);
        // supraventricular trigeminy: N N S x3
        for _ in 0..3 {
            seq.extend([(0.8, N), (0.8, N), (0.55, S)]);
        }
        seq.extend(vec![(0.8, N); 10]);
        // a 2.5 s pause
        seq.push((2.5, N));
        seq.extend(vec![(0.8, N); 10]);
        let b = beats(&seq, fs);
        let n = b.last().unwrap().sample + 100;
        let e = episodes(&b, fs, n, &clean(n), &RhythmConfig::default());
        let k = kinds(&e);
        use EpisodeKind::*;
        assert_eq!(
            k.iter().filter(|&&x| x == VentricularCouplet).count(),
            1,
            "{k:?}"
        );
        assert_eq!(
            k.iter().filter(|&&x| x == VentricularTachycardia).count(),
            1,
            "{k:?}"
        );
        assert_eq!(
            k.iter().filter(|&&x| x == VentricularBigeminy).count(),
            1,
            "{k:?}"
        );
        assert_eq!(
            k.iter()
                .filter(|&&x| x == SupraventricularTrigeminy)
                .count(),
            1,
            "{k:?}"
        );
        assert_eq!(k.iter().filter(|&&x| x == Pause).count(), 1, "{k:?}");
        let vt = e.iter().find(|e| e.kind == VentricularTachycardia).unwrap();
        assert_eq!(vt.beats, 4);
        assert!((vt.mean_hr_bpm.unwrap() - 150.0).abs() < 1.0);
        assert!(!k.contains(&AtrialFibrillation));
        // the pause is not reported inside noise
        let noisy = vec![QualitySegment {
            start: 0,
            end: n,
            leads: vec![0.0],
            overall: 0.0,
        }];
        let e = episodes(&b, fs, n, &noisy, &RhythmConfig::default());
        assert!(!kinds(&e).contains(&Pause));
        assert!(kinds(&e).contains(&Noise));
    }

    #[test]
    fn atrial_fibrillation_and_rate_episodes() {
        let fs = 250.0;
        // 60 beats of sinus at 75 bpm, 200 irregular beats, 60 sinus beats at 45 bpm
        let mut seq = vec![(0.8, N); 60];
        let mut seed = 99u64;
        for _ in 0..200 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (seed >> 11) as f64 / (1u64 << 53) as f64;
            // AF: irregular, some beats come early and were called S
            seq.push((0.4 + 0.6 * u, if u < 0.2 { S } else { N }));
        }
        seq.extend(vec![(1.333, N); 60]);
        let mut b = beats(&seq, fs);
        let n = b.last().unwrap().sample + 100;
        let flags = apply_af(&mut b, fs, &RhythmConfig::default());
        assert!(flags[100..220].iter().all(|&f| f));
        assert!(!flags[..40].iter().any(|&f| f) && !flags[290..].iter().any(|&f| f));
        assert!(
            b[60..260].iter().all(|x| x.class == N),
            "S inside AF becomes N"
        );
        let e = episodes(&b, fs, n, &clean(n), &RhythmConfig::default());
        let af: Vec<&Episode> = e
            .iter()
            .filter(|e| e.kind == EpisodeKind::AtrialFibrillation)
            .collect();
        assert_eq!(af.len(), 1);
        assert!(e.iter().any(|e| e.kind == EpisodeKind::SinusBradycardia));
        let s = summary(&b, &e, &clean(n), fs, n);
        let burden = (af[0].end - af[0].start) as f64 / n as f64;
        assert!(
            (s.af_burden - burden).abs() < 1e-12 && burden > 0.3 && burden < 0.6,
            "{burden}"
        );
        assert_eq!(s.class_counts.iter().sum::<u64>(), b.len() as u64);
        let (lo, _) = s.hr_min.unwrap();
        assert!((lo - 45.0).abs() < 1.0, "{lo}");
        // regular sinus rhythm never looks like AF
        let reg = beats(&vec![(0.8, N); 300], fs);
        assert!(
            !af_flags(&reg, fs, &RhythmConfig::default())
                .iter()
                .any(|&f| f)
        );
    }
}
