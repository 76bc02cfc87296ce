//! The heart-rate basis of the long-term summary and the lead-consistency rule of the
//! multi-lead fusion.
//!
//! - Over synthetic beat lists (ectopy, pauses, long gaps, several hours): the minimum,
//!   mean and maximum heart rate of the record and of every hourly row come from the same
//!   8-beat windows of normal beats, so `min <= mean <= max` whenever all three exist, and
//!   the values equal a direct computation of docs/CLI.md's definitions.
//! - `holter_3ch_1h.edf` (3 synthetic channels, each with its own independent rhythm at
//!   about 70 bpm, see ../shared/testdata/edf/README.md): the detector follows one
//!   channel's train (about 4,200 beats in the hour) instead of the union of the three
//!   (8,069 beats before the rule).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_analysis::long_term::HourlyRow;
use ecg_analysis::result::HrMeanBasis;
use ecg_analysis::rhythm::{RhythmConfig, episodes, summary};
use ecg_analysis::{Beat, QualitySegment, Summary};
use ecg_core::{AamiClass, DecodeOptions};
use proptest::prelude::*;

/// The definitions of docs/CLI.md computed directly: (min, mean, max, basis) of the
/// windows of 8 RR intervals of all-`N` beats whose last beat has an index in `lo..hi`;
/// without a window, the mean of the RR intervals up to 2 s ending there.
fn reference(
    beats: &[Beat],
    lo: usize,
    hi: usize,
    fs: f64,
) -> (Option<f64>, Option<f64>, Option<f64>, Option<HrMeanBasis>) {
    let rates: Vec<(f64, i64)> = (lo.max(8)..hi)
        .filter(|&i| beats[i - 8..=i].iter().all(|b| b.class == AamiClass::N))
        .map(|i| {
            let span = beats[i].sample - beats[i - 8].sample;
            (60.0 * 8.0 * fs / span as f64, span)
        })
        .collect();
    if !rates.is_empty() {
        let min = rates.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
        let max = rates.iter().map(|r| r.0).fold(0.0, f64::max);
        // duration-weighted mean of the window rates
        let weighted: f64 = rates.iter().map(|r| r.0 * r.1 as f64).sum();
        let time: f64 = rates.iter().map(|r| r.1 as f64).sum();
        return (
            Some(min),
            Some(weighted / time),
            Some(max),
            Some(HrMeanBasis::NormalWindows),
        );
    }
    let rr: Vec<i64> = (lo.max(1)..hi)
        .map(|i| beats[i].sample - beats[i - 1].sample)
        .filter(|&rr| rr > 0 && rr as f64 <= 2.0 * fs)
        .collect();
    if rr.is_empty() {
        return (None, None, None, None);
    }
    let mean = 60.0 * fs * rr.len() as f64 / rr.iter().sum::<i64>() as f64;
    (None, Some(mean), None, Some(HrMeanBasis::RrIntervals))
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        _ => false,
    }
}

fn ordered(min: Option<f64>, mean: Option<f64>, max: Option<f64>) -> bool {
    match (min, mean, max) {
        (Some(lo), Some(m), Some(hi)) => lo <= m && m <= hi,
        _ => true,
    }
}

fn summarise(beats: &[Beat], fs: f64) -> Summary {
    let n = beats.last().map_or(1000, |b| b.sample + (fs as i64));
    let quality = vec![QualitySegment {
        start: 0,
        end: n,
        leads: vec![1.0],
        overall: 1.0,
    }];
    let eps = episodes(beats, fs, n, &quality, &RhythmConfig::default());
    summary(beats, &eps, &quality, fs, n)
}

fn check_row(row: &HourlyRow, beats: &[Beat], fs: f64) -> Result<(), TestCaseError> {
    let a = (row.start_s * fs).round() as i64;
    let b = (row.end_s * fs).round() as i64;
    let lo = beats.partition_point(|x| x.sample < a);
    let hi = beats.partition_point(|x| x.sample < b);
    prop_assert_eq!(row.beats, (hi - lo) as u64);
    prop_assert!(
        ordered(row.hr_min_bpm, row.hr_mean_bpm, row.hr_max_bpm),
        "hour {}: {:?} {:?} {:?}",
        row.hour,
        row.hr_min_bpm,
        row.hr_mean_bpm,
        row.hr_max_bpm
    );
    let (min, mean, max, basis) = reference(beats, lo, hi, fs);
    prop_assert!(close(row.hr_min_bpm, min), "{:?} {:?}", row.hr_min_bpm, min);
    prop_assert!(close(row.hr_max_bpm, max), "{:?} {:?}", row.hr_max_bpm, max);
    prop_assert!(
        close(row.hr_mean_bpm, mean),
        "{:?} {:?}",
        row.hr_mean_bpm,
        mean
    );
    prop_assert_eq!(row.hr_mean_basis, basis);
    Ok(())
}

/// One step of a synthetic beat list: the RR interval before the beat (ms), its class
/// and, rarely, a gap (s) before it (no signal, a lead-off, a pause).
fn step() -> impl Strategy<Value = (u32, AamiClass, u32)> {
    (
        prop_oneof![
            6 => 500u32..1300,
            2 => 250u32..500,
            1 => 1300u32..3500,
        ],
        prop_oneof![
            12 => Just(AamiClass::N),
            2 => Just(AamiClass::S),
            2 => Just(AamiClass::V),
            1 => Just(AamiClass::F),
            1 => Just(AamiClass::Q),
        ],
        prop_oneof![60 => Just(0u32), 1 => 5u32..2500],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// min <= mean <= max overall and per hour, on beat lists with ectopy, pauses and
    /// gaps, and the values are those of the documented definitions.
    #[test]
    fn min_mean_max_share_one_basis(
        steps in proptest::collection::vec(step(), 0..4000),
        fs in prop_oneof![Just(128.0f64), Just(250.0), Just(360.0)],
    ) {
        let mut t = 0.3f64;
        let beats: Vec<Beat> = steps
            .iter()
            .map(|&(rr_ms, class, gap_s)| {
                t += rr_ms as f64 / 1000.0 + gap_s as f64;
                Beat { sample: (t * fs).round() as i64, class, lead: 0, template: 0 }
            })
            .collect();
        let s = summarise(&beats, fs);
        prop_assert!(ordered(s.hr_min_bpm, s.hr_mean_bpm, s.hr_max_bpm),
            "{:?} {:?} {:?}", s.hr_min_bpm, s.hr_mean_bpm, s.hr_max_bpm);
        let (min, mean, max, basis) = reference(&beats, 0, beats.len(), fs);
        prop_assert!(close(s.hr_min_bpm, min));
        prop_assert!(close(s.hr_mean_bpm, mean), "{:?} {:?}", s.hr_mean_bpm, mean);
        prop_assert!(close(s.hr_max_bpm, max));
        prop_assert_eq!(s.hr_mean_basis, basis);
        // the first summary fields say the same
        prop_assert_eq!(s.hr_mean, s.hr_mean_bpm);
        prop_assert_eq!(s.hr_min.map(|m| m.0), s.hr_min_bpm);
        prop_assert_eq!(s.hr_max.map(|m| m.0), s.hr_max_bpm);
        // the rate of all beats keeps the earlier definition
        if beats.len() >= 2 {
            let span = (beats[beats.len() - 1].sample - beats[0].sample) as f64 / fs;
            prop_assert!(close(s.hr_mean_all_beats_bpm, Some(60.0 * (beats.len() - 1) as f64 / span)));
        } else {
            prop_assert_eq!(s.hr_mean_all_beats_bpm, None);
        }
        let mut total = 0;
        for row in &s.hourly {
            check_row(row, &beats, fs)?;
            total += row.beats;
        }
        prop_assert_eq!(total, beats.len() as u64);
    }
}

/// The case that showed the old mismatch: a few normal beats at 60 bpm, then a long
/// stretch of ventricular bigeminy at 100 bpm. The mean of all RR intervals (about
/// 100 bpm) lay far above the maximum of the only 8-beat windows (60 bpm); now the mean
/// comes from those windows and the rate of all beats has its own field.
#[test]
fn bigeminy_does_not_lift_the_mean_above_the_maximum() {
    let fs = 250.0;
    let mut beats = Vec::new();
    let mut t = 0.5;
    for k in 0..400 {
        let class = if k >= 12 && k % 2 == 1 {
            AamiClass::V
        } else {
            AamiClass::N
        };
        beats.push(Beat {
            sample: (t * fs) as i64,
            class,
            lead: 0,
            template: 0,
        });
        t += if k < 12 { 1.0 } else { 0.6 };
    }
    let s = summarise(&beats, fs);
    let (lo, mean, hi) = (
        s.hr_min_bpm.unwrap(),
        s.hr_mean_bpm.unwrap(),
        s.hr_max_bpm.unwrap(),
    );
    assert!(
        (lo - 60.0).abs() < 1e-9 && (hi - 60.0).abs() < 1e-9,
        "{lo} {hi}"
    );
    assert!((mean - 60.0).abs() < 1e-9, "{mean}");
    assert_eq!(s.hr_mean_basis, Some(HrMeanBasis::NormalWindows));
    let all = s.hr_mean_all_beats_bpm.unwrap();
    assert!((all - 98.0).abs() < 0.5, "{all}");
    // the same rhythm without the first normal beats has no window: no min/max, and the
    // mean of every RR interval says 100 bpm
    let s = summarise(&beats[12..], fs);
    assert_eq!((s.hr_min_bpm, s.hr_max_bpm), (None, None));
    assert_eq!(s.hr_mean_basis, Some(HrMeanBasis::RrIntervals));
    assert!((s.hr_mean_bpm.unwrap() - 100.0).abs() < 0.1);
    // serialised as documented
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["hr_mean_basis"], "rr_intervals");
    assert!(json["hourly"][0]["hr_mean_basis"] == "rr_intervals");
}

/// The three channels of holter_3ch_1h.edf beat independently (the generator draws each
/// channel's RR intervals separately: 4,200, 4,198 and 4,197 beats in 3,600 s, all
/// starting at 0.4 s). The fused detector must follow one train at a time: the count
/// stays within 1% of a channel's (4,155..=4,245; 4,208 found), where the union of the
/// three trains gave 8,069.
#[test]
fn independent_channels_are_not_merged_into_their_union() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/edf/holter_3ch_1h.edf"
    );
    let record =
        ecg_edf::decode_path(std::path::Path::new(path), &DecodeOptions::default()).unwrap();
    let a = ecg_analysis::analyze(&record, &ecg_analysis::Config::default()).unwrap();
    let s = &a.summary;
    assert!(
        (4155..=4245).contains(&s.total_beats),
        "{} beats",
        s.total_beats
    );
    // about 70 bpm however it is measured
    for hr in [
        s.hr_min_bpm,
        s.hr_mean_bpm,
        s.hr_max_bpm,
        s.hr_mean_all_beats_bpm,
    ] {
        let hr = hr.unwrap();
        assert!((55.0..=90.0).contains(&hr), "{hr}");
    }
    assert!(ordered(s.hr_min_bpm, s.hr_mean_bpm, s.hr_max_bpm));
    assert_eq!(s.hourly.len(), 1);
    let row = &s.hourly[0];
    assert!(ordered(row.hr_min_bpm, row.hr_mean_bpm, row.hr_max_bpm));
    assert_eq!(row.beats, s.total_beats);
}
