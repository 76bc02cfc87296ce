//! Numbers the long-term report derives from the analysis' beats and episodes: the
//! heart-rate trend per 5 minutes and the hourly table.
//!
//! Definitions (so the printed numbers can be reproduced):
//! - RR intervals join consecutive beats of any class; intervals outside 0.2–3 s (missed
//!   beats, gaps) are left out.
//! - Mean heart rate of a stretch = 60 / mean RR of the intervals that end in it.
//! - Minimum and maximum heart rate of a stretch = extremes of the 8-interval rate
//!   (8 × 60 / sum of 8 consecutive valid RR between normal beats) over the windows that end
//!   in it, as the analysis' own minimum and maximum.
//! - A beat, pause or episode belongs to the hour (or bin) where it starts; AF minutes are
//!   the overlap of AF/flutter episodes with the hour.

use ecg_analysis::{Analysis, EpisodeKind};
use ecg_core::AamiClass;

/// Heart-rate numbers of one stretch of the recording.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct RateStats {
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// One row of the hourly table.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct HourRow {
    /// Start, seconds from the recording start.
    pub start_s: f64,
    pub beats: u64,
    pub rate: RateStats,
    pub ventricular: u64,
    pub supraventricular: u64,
    pub pauses: u64,
    pub af_minutes: f64,
}

/// Rate statistics per bin of `bin_s` seconds over `duration_s`.
pub(crate) fn rate_bins(a: &Analysis, duration_s: f64, bin_s: f64) -> Vec<RateStats> {
    let n = ((duration_s / bin_s).ceil() as usize).max(1);
    let mut sum = vec![0.0f64; n];
    let mut count = vec![0u32; n];
    let mut min = vec![f64::INFINITY; n];
    let mut max = vec![f64::NEG_INFINITY; n];
    if a.fs <= 0.0 {
        return vec![RateStats::default(); n];
    }
    let t: Vec<f64> = a.beats.iter().map(|b| b.sample as f64 / a.fs).collect();
    let normal =
        |i: usize| a.beats[i].class == AamiClass::N && a.beats[i - 1].class == AamiClass::N;
    // valid RR intervals ending at beat i (i >= 1)
    let rr = |i: usize| -> Option<f64> {
        let r = t[i] - t[i - 1];
        (0.2..=3.0).contains(&r).then_some(r)
    };
    let mut window_sum = 0.0;
    let mut window_len = 0usize;
    for (i, &ti) in t.iter().enumerate().skip(1) {
        let bin = ((ti / bin_s) as usize).min(n - 1);
        if let Some(r) = rr(i) {
            sum[bin] += r;
            count[bin] += 1;
        }
        match rr(i).filter(|_| normal(i)) {
            Some(r) => {
                window_sum += r;
                window_len += 1;
                if window_len > 8 {
                    // drop the interval that left the window (it was valid and normal:
                    // the window resets at every other one)
                    if let Some(old) = rr(i - 8) {
                        window_sum -= old;
                    }
                    window_len = 8;
                }
                if window_len == 8 {
                    let hr = 8.0 * 60.0 / window_sum;
                    min[bin] = min[bin].min(hr);
                    max[bin] = max[bin].max(hr);
                }
            }
            None => {
                window_sum = 0.0;
                window_len = 0;
            }
        }
    }
    (0..n)
        .map(|b| RateStats {
            min: min[b].is_finite().then_some(min[b]),
            mean: (count[b] > 0).then(|| 60.0 * f64::from(count[b]) / sum[b]),
            max: max[b].is_finite().then_some(max[b]),
        })
        .collect()
}

/// The hourly table.
pub(crate) fn hourly(a: &Analysis, duration_s: f64) -> Vec<HourRow> {
    let rates = rate_bins(a, duration_s, 3600.0);
    let mut rows: Vec<HourRow> = rates
        .iter()
        .enumerate()
        .map(|(h, r)| HourRow {
            start_s: h as f64 * 3600.0,
            rate: *r,
            ..Default::default()
        })
        .collect();
    if a.fs <= 0.0 || rows.is_empty() {
        return rows;
    }
    let last = rows.len() - 1;
    let hour = |sample: i64| ((sample as f64 / a.fs / 3600.0).max(0.0) as usize).min(last);
    for b in &a.beats {
        let row = &mut rows[hour(b.sample)];
        row.beats += 1;
        match b.class {
            AamiClass::V => row.ventricular += 1,
            AamiClass::S => row.supraventricular += 1,
            _ => {}
        }
    }
    for e in &a.episodes {
        match e.kind {
            EpisodeKind::Pause => rows[hour(e.start)].pauses += 1,
            EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter => {
                let (s, end) = (e.start as f64 / a.fs, e.end as f64 / a.fs);
                for (h, row) in rows.iter_mut().enumerate() {
                    let (h0, h1) = (h as f64 * 3600.0, (h + 1) as f64 * 3600.0);
                    let overlap = end.min(h1) - s.max(h0);
                    if overlap > 0.0 {
                        row.af_minutes += overlap / 60.0;
                    }
                }
            }
            _ => {}
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An analysis with these beats, built through serde so that fields the analysis adds
    /// later (with serde defaults) do not break the test.
    fn analysis_with_beats(times: &[f64], classes: &[AamiClass]) -> Analysis {
        let beats: Vec<serde_json::Value> = times
            .iter()
            .zip(classes.iter().cycle())
            .map(|(&t, class)| {
                serde_json::json!({
                    "sample": (t * 100.0).round() as i64,
                    "class": format!("{class:?}"),
                    "lead": 0,
                    "template": 0,
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "engine": "test", "record": "t", "fs": 100.0, "samples": 0, "leads": ["II"],
            "beats": beats, "templates": [], "episodes": [], "quality": [],
            "summary": {"duration_s": 0.0, "class_counts": [0, 0, 0, 0, 0],
                        "af_burden": 0.0, "noise_fraction": 0.0},
        }))
        .unwrap()
    }

    #[test]
    fn bins_have_mean_and_8_beat_extremes() {
        // 60 bpm for 600 s, then 120 bpm for 600 s
        let mut t: Vec<f64> = (0..600).map(f64::from).collect();
        t.extend((0..1200).map(|i| 600.0 + f64::from(i) * 0.5));
        let a = analysis_with_beats(&t, &[AamiClass::N]);
        let bins = rate_bins(&a, 1200.0, 300.0);
        assert_eq!(bins.len(), 4);
        assert!((bins[0].mean.unwrap() - 60.0).abs() < 1e-9);
        assert!((bins[0].max.unwrap() - 60.0).abs() < 1e-9);
        assert!((bins[3].min.unwrap() - 120.0).abs() < 1e-9);
        // the bin with the change: its first window is all 1 s intervals (the one ending
        // at 600 s), its last ones all 0.5 s
        assert!((bins[2].max.unwrap() - 120.0).abs() < 1e-9);
        assert!((bins[2].min.unwrap() - 60.0).abs() < 1e-9);
        assert!((bins[2].mean.unwrap() - 60.0 * 600.0 / 300.5).abs() < 1e-9);
        let rows = hourly(&a, 1200.0);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].beats, 1800);
    }

    #[test]
    fn a_gap_resets_the_window() {
        let mut t: Vec<f64> = (0..5).map(f64::from).collect();
        t.extend((0..20).map(|i| 20.0 + f64::from(i)));
        let a = analysis_with_beats(&t, &[AamiClass::N]);
        let bins = rate_bins(&a, 60.0, 60.0);
        assert!((bins[0].min.unwrap() - 60.0).abs() < 1e-9);
        // with every other beat ventricular no window of normal intervals remains
        let a = analysis_with_beats(&t, &[AamiClass::N, AamiClass::V]);
        let bins = rate_bins(&a, 60.0, 60.0);
        assert_eq!((bins[0].min, bins[0].max), (None, None));
        assert!((bins[0].mean.unwrap() - 60.0).abs() < 1e-9);
        let rows = hourly(&a, 60.0);
        assert_eq!(rows[0].ventricular, 12);
    }
}
