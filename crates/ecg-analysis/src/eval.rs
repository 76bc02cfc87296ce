//! Evaluation of test annotations against reference annotations, the way PhysioNet's
//! `bxb` and `epicmp` and ANSI/AAMI EC57 do it.
//!
//! Beats are matched one to one within a window (150 ms by default, inclusive): each
//! reference beat takes the nearest unmatched test beat, unless that test beat is nearer
//! to the next reference beat. Only beat annotations count (`isqrs` codes); every beat
//! label maps to its AAMI class (`N L R e j` -> N, `A a J S` -> S, `V E` -> V, `F` -> F,
//! `/ f Q` -> Q).
//!
//! Statistics (EC57): QRS Se = matched / reference beats, QRS +P = matched / test beats.
//! VEB Se = Vv / reference V beats; VEB +P = Vv / test V beats, not counting test V beats
//! matched to reference F or Q beats. SVEB Se = Ss / reference S beats; SVEB +P = Ss /
//! test S beats, not counting those matched to reference Q beats. Gross statistics pool
//! all records' counts; average statistics are the mean of the per-record values that
//! are defined (denominator > 0).
//!
//! AF episodes come from rhythm annotations (`+` with aux text starting `(AFIB` or `(AFL`,
//! up to the next rhythm annotation). Episode Se is the fraction of reference episodes
//! overlapped by a test episode, episode +P the fraction of test episodes overlapping a
//! reference one; duration Se/+P are the overlapping time over reference/test AF time.

use ecg_core::{AamiClass, AnnotationCode, AnnotationSet};
use serde::{Deserialize, Serialize};

/// Evaluation settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalOptions {
    /// Match window in seconds (each side, inclusive).
    pub window_s: f64,
    /// Ignore annotations before this time (EC57 uses 300 s; default 0).
    pub start_s: f64,
    /// Ignore annotations from this time on, when set.
    pub end_s: Option<f64>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            window_s: 0.15,
            start_s: 0.0,
            end_s: None,
        }
    }
}

/// Index of a class in the confusion matrix (N S V F Q).
fn class_index(c: AamiClass) -> usize {
    match c {
        AamiClass::N => 0,
        AamiClass::S => 1,
        AamiClass::V => 2,
        AamiClass::F => 3,
        AamiClass::Q => 4,
    }
}

/// Row/column of unmatched beats: reference beats without a test beat are in column
/// [`UNMATCHED`]; test beats without a reference beat are in row [`UNMATCHED`].
pub const UNMATCHED: usize = 5;

/// AF episode comparison of one record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeEval {
    /// Reference episodes.
    pub ref_episodes: u32,
    /// Reference episodes overlapped by a test episode.
    pub ref_detected: u32,
    /// Test episodes.
    pub test_episodes: u32,
    /// Test episodes overlapping a reference episode.
    pub test_true: u32,
    /// Reference AF time (s).
    pub ref_s: f64,
    /// Test AF time (s).
    pub test_s: f64,
    /// Time both call AF (s).
    pub overlap_s: f64,
    /// Evaluated time (s), for burdens.
    pub total_s: f64,
}

impl EpisodeEval {
    /// Episode sensitivity.
    pub fn episode_se(&self) -> Option<f64> {
        ratio(self.ref_detected as f64, self.ref_episodes as f64)
    }
    /// Episode positive predictivity.
    pub fn episode_pp(&self) -> Option<f64> {
        ratio(self.test_true as f64, self.test_episodes as f64)
    }
    /// Duration sensitivity.
    pub fn duration_se(&self) -> Option<f64> {
        ratio(self.overlap_s, self.ref_s)
    }
    /// Duration positive predictivity.
    pub fn duration_pp(&self) -> Option<f64> {
        ratio(self.overlap_s, self.test_s)
    }
    /// Test burden minus reference burden (fraction of the evaluated time).
    pub fn burden_error(&self) -> Option<f64> {
        (self.total_s > 0.0).then(|| (self.test_s - self.ref_s) / self.total_s)
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Beat-by-beat comparison of one record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordEval {
    /// Record name.
    pub record: String,
    /// `confusion[reference][test]` over classes N S V F Q and [`UNMATCHED`].
    pub confusion: [[u64; 6]; 6],
    /// Sum of squared timing errors of matched beats (ms^2).
    pub sq_error_ms2: f64,
    /// AF episode comparison.
    pub af: EpisodeEval,
}

impl RecordEval {
    /// Matched beats.
    pub fn matched(&self) -> u64 {
        (0..5)
            .map(|r| (0..5).map(|c| self.confusion[r][c]).sum::<u64>())
            .sum()
    }
    /// Reference beats missed.
    pub fn missed(&self) -> u64 {
        (0..5).map(|r| self.confusion[r][UNMATCHED]).sum()
    }
    /// Test beats without a reference beat.
    pub fn extra(&self) -> u64 {
        (0..5).map(|c| self.confusion[UNMATCHED][c]).sum()
    }
    /// QRS sensitivity.
    pub fn qrs_se(&self) -> Option<f64> {
        ratio(
            self.matched() as f64,
            (self.matched() + self.missed()) as f64,
        )
    }
    /// QRS positive predictivity.
    pub fn qrs_pp(&self) -> Option<f64> {
        ratio(
            self.matched() as f64,
            (self.matched() + self.extra()) as f64,
        )
    }
    /// RMS timing error of matched beats (ms).
    pub fn rms_error_ms(&self) -> Option<f64> {
        let m = self.matched();
        (m > 0).then(|| (self.sq_error_ms2 / m as f64).sqrt())
    }
    fn class_se(&self, k: usize) -> Option<f64> {
        let row: u64 = self.confusion[k].iter().sum();
        ratio(self.confusion[k][k] as f64, row as f64)
    }
    /// VEB sensitivity.
    pub fn veb_se(&self) -> Option<f64> {
        self.class_se(2)
    }
    /// VEB positive predictivity (test V matched to reference F or Q not counted).
    pub fn veb_pp(&self) -> Option<f64> {
        let c = &self.confusion;
        let den = c[0][2] + c[1][2] + c[2][2] + c[UNMATCHED][2];
        ratio(c[2][2] as f64, den as f64)
    }
    /// SVEB sensitivity.
    pub fn sveb_se(&self) -> Option<f64> {
        self.class_se(1)
    }
    /// SVEB positive predictivity (test S matched to reference Q not counted).
    pub fn sveb_pp(&self) -> Option<f64> {
        let c = &self.confusion;
        let den = c[0][1] + c[1][1] + c[2][1] + c[3][1] + c[UNMATCHED][1];
        ratio(c[1][1] as f64, den as f64)
    }
    /// Reference beats of a class.
    pub fn reference_count(&self, class: AamiClass) -> u64 {
        self.confusion[class_index(class)].iter().sum()
    }

    /// Adds another record's counts (for gross statistics).
    pub fn add(&mut self, o: &RecordEval) {
        for r in 0..6 {
            for c in 0..6 {
                self.confusion[r][c] += o.confusion[r][c];
            }
        }
        self.sq_error_ms2 += o.sq_error_ms2;
        let (a, b) = (&mut self.af, &o.af);
        a.ref_episodes += b.ref_episodes;
        a.ref_detected += b.ref_detected;
        a.test_episodes += b.test_episodes;
        a.test_true += b.test_true;
        a.ref_s += b.ref_s;
        a.test_s += b.test_s;
        a.overlap_s += b.overlap_s;
        a.total_s += b.total_s;
    }
}

/// For each reference sample, the index of its matching test sample (both sorted).
/// Matching is inclusive: `|test - ref| <= window`.
pub fn match_beats(reference: &[i64], test: &[i64], window: i64) -> Vec<Option<usize>> {
    let mut out = vec![None; reference.len()];
    let mut j = 0usize; // first test beat not yet used or skipped
    for (i, &r) in reference.iter().enumerate() {
        // skip test beats too early for this reference beat
        while j < test.len() && test[j] < r - window {
            j += 1;
        }
        // nearest candidate among the remaining test beats within the window
        let mut best: Option<usize> = None;
        let mut k = j;
        while k < test.len() && test[k] <= r + window {
            if best.is_none_or(|b| (test[k] - r).abs() < (test[b] - r).abs()) {
                best = Some(k);
            }
            k += 1;
        }
        let Some(b) = best else {
            continue;
        };
        // leave it to the next reference beat if that one is nearer to it and the next
        // reference beat has no better candidate of its own
        if let Some(&next) = reference.get(i + 1)
            && (test[b] - next).abs() < (test[b] - r).abs()
        {
            // look for another candidate before b for this beat
            let alt = (j..b).rev().find(|&k| (test[k] - r).abs() <= window);
            match alt {
                Some(a) => {
                    out[i] = Some(a);
                    j = a + 1;
                }
                None => continue,
            }
            continue;
        }
        out[i] = Some(b);
        j = b + 1;
    }
    out
}

/// Beat annotations as (sample, AAMI class), within the evaluated time range.
fn beats(set: &AnnotationSet, fs: f64, opts: &EvalOptions) -> Vec<(i64, AamiClass)> {
    let lo = (opts.start_s * fs).round() as i64;
    let hi = opts.end_s.map(|e| (e * fs).round() as i64);
    let mut v: Vec<(i64, AamiClass)> = set
        .annotations
        .iter()
        .filter(|a| a.code.is_beat() && a.sample >= lo && hi.is_none_or(|h| a.sample < h))
        .filter_map(|a| a.code.aami_class().map(|c| (a.sample, c)))
        .collect();
    v.sort_by_key(|b| b.0);
    v
}

/// AF intervals (start, end) in samples from rhythm annotations.
pub fn af_intervals(set: &AnnotationSet, end_sample: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut open: Option<i64> = None;
    let mut rhythm: Vec<&ecg_core::Annotation> = set
        .annotations
        .iter()
        .filter(|a| a.code == AnnotationCode::RHYTHM)
        .collect();
    rhythm.sort_by_key(|a| a.sample);
    for a in rhythm {
        let aux = a.aux.as_deref().unwrap_or("").trim_end_matches('\0');
        let is_af = aux.starts_with("(AFIB") || aux.starts_with("(AFL");
        match (open, is_af) {
            (None, true) => open = Some(a.sample),
            (Some(s), false) => {
                out.push((s, a.sample));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        out.push((s, end_sample.max(s)));
    }
    out
}

fn overlap(a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

/// Compares AF episodes within `[lo, hi)` samples.
pub fn compare_af(
    reference: &[(i64, i64)],
    test: &[(i64, i64)],
    lo: i64,
    hi: i64,
    fs: f64,
) -> EpisodeEval {
    let clip = |v: &[(i64, i64)]| -> Vec<(i64, i64)> {
        v.iter()
            .map(|&(s, e)| (s.max(lo), e.min(hi)))
            .filter(|(s, e)| e > s)
            .collect()
    };
    let (r, t) = (clip(reference), clip(test));
    let mut ev = EpisodeEval {
        ref_episodes: r.len() as u32,
        test_episodes: t.len() as u32,
        total_s: (hi - lo).max(0) as f64 / fs,
        ..Default::default()
    };
    ev.ref_detected = r
        .iter()
        .filter(|&&a| t.iter().any(|&b| overlap(a, b) > 0))
        .count() as u32;
    ev.test_true = t
        .iter()
        .filter(|&&b| r.iter().any(|&a| overlap(a, b) > 0))
        .count() as u32;
    ev.ref_s = r.iter().map(|a| (a.1 - a.0) as f64).sum::<f64>() / fs;
    ev.test_s = t.iter().map(|a| (a.1 - a.0) as f64).sum::<f64>() / fs;
    ev.overlap_s = r
        .iter()
        .map(|&a| t.iter().map(|&b| overlap(a, b)).sum::<i64>() as f64)
        .sum::<f64>()
        / fs;
    ev
}

/// Compares one record's test annotations with its reference annotations. `fs` is the
/// annotations' sampling frequency; `end_sample` the record length (for an AF episode
/// still open at the end, and burdens).
pub fn evaluate_record(
    name: &str,
    reference: &AnnotationSet,
    test: &AnnotationSet,
    fs: f64,
    end_sample: i64,
    opts: &EvalOptions,
) -> RecordEval {
    let r = beats(reference, fs, opts);
    let t = beats(test, fs, opts);
    let window = (opts.window_s * fs).round() as i64;
    let rs: Vec<i64> = r.iter().map(|b| b.0).collect();
    let ts: Vec<i64> = t.iter().map(|b| b.0).collect();
    let m = match_beats(&rs, &ts, window);
    let mut ev = RecordEval {
        record: name.to_string(),
        ..Default::default()
    };
    let mut used = vec![false; t.len()];
    for (i, mm) in m.iter().enumerate() {
        let rc = class_index(r[i].1);
        match mm {
            Some(j) => {
                used[*j] = true;
                ev.confusion[rc][class_index(t[*j].1)] += 1;
                let e = (t[*j].0 - r[i].0) as f64 * 1000.0 / fs;
                ev.sq_error_ms2 += e * e;
            }
            None => ev.confusion[rc][UNMATCHED] += 1,
        }
    }
    for (j, u) in used.iter().enumerate() {
        if !u {
            ev.confusion[UNMATCHED][class_index(t[j].1)] += 1;
        }
    }
    let lo = (opts.start_s * fs).round() as i64;
    let hi = opts
        .end_s
        .map(|e| (e * fs).round() as i64)
        .unwrap_or(end_sample)
        .min(end_sample);
    ev.af = compare_af(
        &af_intervals(reference, end_sample),
        &af_intervals(test, end_sample),
        lo,
        hi,
        fs,
    );
    ev
}

/// Gross statistics: the pooled counts of all records.
pub fn gross(records: &[RecordEval]) -> RecordEval {
    let mut g = RecordEval {
        record: "gross".into(),
        ..Default::default()
    };
    for r in records {
        g.add(r);
    }
    g
}

/// Mean of the defined per-record values of a statistic.
pub fn average(records: &[RecordEval], stat: impl Fn(&RecordEval) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = records.iter().filter_map(stat).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{:.2}", 100.0 * x))
}

/// The record-by-record table (Markdown), with gross and average rows.
pub fn markdown_table(records: &[RecordEval]) -> String {
    let mut s = String::from(
        "| record | ref beats | TP | FN | FP | QRS Se % | QRS +P % | RMS ms | ref V | VEB Se % | VEB +P % | ref S | SVEB Se % | SVEB +P % |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let row = |r: &RecordEval| {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.record,
            r.matched() + r.missed(),
            r.matched(),
            r.missed(),
            r.extra(),
            pct(r.qrs_se()),
            pct(r.qrs_pp()),
            r.rms_error_ms().map_or("-".into(), |v| format!("{v:.1}")),
            r.reference_count(AamiClass::V),
            pct(r.veb_se()),
            pct(r.veb_pp()),
            r.reference_count(AamiClass::S),
            pct(r.sveb_se()),
            pct(r.sveb_pp()),
        )
    };
    for r in records {
        s.push_str(&row(r));
    }
    let g = gross(records);
    s.push_str(&row(&g).replacen("| gross |", "| **gross** |", 1));
    s.push_str(&format!(
        "| **average** | | | | | {} | {} | | | {} | {} | | {} | {} |\n",
        pct(average(records, RecordEval::qrs_se)),
        pct(average(records, RecordEval::qrs_pp)),
        pct(average(records, RecordEval::veb_se)),
        pct(average(records, RecordEval::veb_pp)),
        pct(average(records, RecordEval::sveb_se)),
        pct(average(records, RecordEval::sveb_pp)),
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::Annotation;

    fn set(items: &[(i64, &str)]) -> AnnotationSet {
        AnnotationSet {
            annotator: "t".into(),
            fs: Some(250.0),
            annotations: items
                .iter()
                .map(|&(s, m)| {
                    let (code, aux) = match m.strip_prefix('+') {
                        Some(aux) => (AnnotationCode::RHYTHM, Some(aux.to_string())),
                        None => (AnnotationCode::from_mnemonic(m).unwrap(), None),
                    };
                    let mut a = Annotation::new(s, code);
                    a.aux = aux;
                    a
                })
                .collect(),
        }
    }

    #[test]
    fn matching_follows_bxb_rules() {
        // scenarios A-D of wfdb-python's compare() docstring plus edge cases
        assert_eq!(
            match_beats(&[0, 50, 90, 130], &[0, 80, 130], 10),
            vec![Some(0), None, Some(1), Some(2)]
        );
        // a test beat between two references goes to the nearer one
        assert_eq!(match_beats(&[100, 140], &[125], 30), vec![None, Some(0)]);
        // ...and the earlier reference takes an earlier candidate instead when there is one
        assert_eq!(
            match_beats(&[100, 140], &[95, 125], 30),
            vec![Some(0), Some(1)]
        );
        // window is inclusive
        assert_eq!(match_beats(&[100], &[137], 37), vec![Some(0)]);
        assert_eq!(match_beats(&[100], &[138], 37), vec![None]);
        // one test beat never matches two references
        assert_eq!(match_beats(&[100, 110], &[105], 37), vec![Some(0), None]);
        assert_eq!(match_beats(&[], &[1, 2], 5), Vec::<Option<usize>>::new());
    }

    #[test]
    fn statistics_follow_ec57() {
        let reference = set(&[
            (100, "N"),
            (300, "N"),
            (500, "V"),
            (700, "N"),
            (900, "A"),
            (1100, "N"),
            (1300, "V"),
            (1500, "F"),
            (1700, "L"),
            (1900, "/"),
            (2100, "+(AFIB"),
            (2500, "+(N"),
        ]);
        let test = set(&[
            (102, "N"),
            (297, "N"),
            (505, "V"),
            (700, "S"),
            (905, "S"),
            (1100, "N"),
            (1502, "V"),
            (1700, "N"),
            (1800, "N"),
            (1900, "N"),
            (2000, "S"),
            (2200, "+(AFIB"),
            (2700, "+(N"),
        ]);
        let e = evaluate_record("x", &reference, &test, 250.0, 3000, &EvalOptions::default());
        assert_eq!(e.matched(), 9); // all but V at 1300
        assert_eq!(e.missed(), 1);
        assert_eq!(e.extra(), 2); // 1800, 2000
        assert_eq!(e.confusion[2][2], 1); // Vv
        assert_eq!(e.confusion[3][2], 1); // Fv, not counted against VEB +P
        assert_eq!(e.veb_se(), Some(0.5));
        assert_eq!(e.veb_pp(), Some(1.0));
        assert_eq!(e.sveb_se(), Some(1.0));
        // test S: 700 (ref N), 905 (ref A), 2000 (extra) -> 1/3
        assert!((e.sveb_pp().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((e.qrs_se().unwrap() - 0.9).abs() < 1e-12);
        assert!((e.qrs_pp().unwrap() - 9.0 / 11.0).abs() < 1e-12);
        // errors 2, -3, 5, 0, 5, 0, 2, 0, 0 samples at 4 ms
        let sq = [2.0f64, 3.0, 5.0, 0.0, 5.0, 0.0, 2.0, 0.0, 0.0]
            .iter()
            .map(|v| (v * 4.0).powi(2))
            .sum::<f64>();
        assert!((e.rms_error_ms().unwrap() - (sq / 9.0).sqrt()).abs() < 1e-9);
        // AF: reference 2100..2500, test 2200..2700
        assert_eq!(
            (
                e.af.ref_episodes,
                e.af.ref_detected,
                e.af.test_episodes,
                e.af.test_true
            ),
            (1, 1, 1, 1)
        );
        assert!((e.af.ref_s - 1.6).abs() < 1e-12 && (e.af.test_s - 2.0).abs() < 1e-12);
        assert!((e.af.duration_se().unwrap() - 0.75).abs() < 1e-12);
        assert!((e.af.duration_pp().unwrap() - 0.6).abs() < 1e-12);
        assert!((e.af.burden_error().unwrap() - 0.4 / 12.0).abs() < 1e-12);
        // start option drops everything before 5 s (sample 1250)
        let late = evaluate_record(
            "x",
            &reference,
            &test,
            250.0,
            3000,
            &EvalOptions {
                start_s: 5.0,
                ..Default::default()
            },
        );
        assert_eq!(late.matched() + late.missed(), 4);
        let table = markdown_table(&[e.clone(), late]);
        assert!(
            table.contains("| x | 10 | 9 | 1 | 2 | 90.00 | 81.82 |"),
            "{table}"
        );
        assert!(table.contains("**gross**") && table.contains("**average**"));
    }

    #[test]
    fn open_af_episode_runs_to_the_end() {
        let s = set(&[
            (10, "+(N"),
            (100, "+(AFIB"),
            (200, "+(AFL"),
            (300, "+(N"),
            (400, "+(AFIB"),
        ]);
        assert_eq!(af_intervals(&s, 1000), vec![(100, 300), (400, 1000)]);
    }
}
