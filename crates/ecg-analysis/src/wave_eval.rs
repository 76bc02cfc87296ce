//! Comparison of wave delineation with reference marks, as done on the QT database:
//! reference files (`.q1c`, `.q2c` of the cardiologists, `.pu0`/`.pu1` of ecgpuwave) mark
//! each annotated beat's waves with a peak symbol (`p`, `N`, `t`) between an onset `(` and
//! an offset `)`.
//!
//! A test beat matches a reference beat when its QRS peak lies within the match window
//! (150 ms) of the reference QRS peak; for every boundary the reference marks (P onset,
//! P offset, QRS onset, QRS offset, T offset), the error is test minus reference in
//! milliseconds, and a boundary the test does not give counts as not found. Results are the
//! mean and standard deviation of the errors per boundary, next to the tolerances of the
//! CSE Working Party (twice the standard deviation accepted between referees: P onset
//! 10.2 ms, P offset 12.7 ms, QRS onset 6.5 ms, QRS offset 11.6 ms, T offset 30.6 ms).

use ecg_core::{AnnotationCode, AnnotationSet};
use serde::{Deserialize, Serialize};

/// One beat's marks (sample indices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedBeat {
    /// QRS peak (the `N` mark, or the R peak).
    pub qrs_peak: i64,
    /// P onset.
    pub p_on: Option<i64>,
    /// P peak.
    pub p_peak: Option<i64>,
    /// P offset.
    pub p_off: Option<i64>,
    /// QRS onset.
    pub qrs_on: Option<i64>,
    /// QRS offset.
    pub qrs_off: Option<i64>,
    /// T peak.
    pub t_peak: Option<i64>,
    /// T offset.
    pub t_off: Option<i64>,
}

impl MarkedBeat {
    /// The mark of one boundary.
    pub fn get(&self, b: Boundary) -> Option<i64> {
        match b {
            Boundary::POn => self.p_on,
            Boundary::POff => self.p_off,
            Boundary::QrsOn => self.qrs_on,
            Boundary::QrsOff => self.qrs_off,
            Boundary::TOff => self.t_off,
        }
    }

    /// A beat from delineated [`crate::delineate::Waves`] whose indices start at `offset`.
    pub fn from_waves(qrs_peak: i64, w: &crate::delineate::Waves, offset: i64) -> MarkedBeat {
        let f = |v: Option<usize>| v.map(|i| i as i64 + offset);
        MarkedBeat {
            qrs_peak,
            p_on: f(w.p_on),
            p_peak: f(w.p_peak),
            p_off: f(w.p_off),
            qrs_on: f(w.qrs_on),
            qrs_off: f(w.qrs_off),
            t_peak: f(w.t_peak),
            t_off: f(w.t_off),
        }
    }
}

/// The wave boundaries compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// P onset.
    POn,
    /// P offset.
    POff,
    /// QRS onset.
    QrsOn,
    /// QRS offset.
    QrsOff,
    /// T offset.
    TOff,
}

impl Boundary {
    /// Every boundary, in table order.
    pub const ALL: [Boundary; 5] = [
        Boundary::POn,
        Boundary::POff,
        Boundary::QrsOn,
        Boundary::QrsOff,
        Boundary::TOff,
    ];

    /// Short name (`P on`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Boundary::POn => "P on",
            Boundary::POff => "P off",
            Boundary::QrsOn => "QRS on",
            Boundary::QrsOff => "QRS off",
            Boundary::TOff => "T off",
        }
    }

    /// CSE tolerance (2 s_CSE, ms) for the standard deviation of the errors.
    pub fn cse_tolerance_ms(self) -> f64 {
        match self {
            Boundary::POn => 10.2,
            Boundary::POff => 12.7,
            Boundary::QrsOn => 6.5,
            Boundary::QrsOff => 11.6,
            Boundary::TOff => 30.6,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Reads the marked beats of a QT-database style annotation set: each `p`, `N` or `t` peak
/// (a run of equal peak marks, as ecgpuwave writes for biphasic waves, counts as one wave)
/// takes the `(` just before it as onset and the `)` just after it as offset; P waves
/// belong to the next QRS (within 400 ms), T waves to the previous one (within 700 ms).
pub fn marked_beats(set: &AnnotationSet, fs: f64) -> Vec<MarkedBeat> {
    let a = &set.annotations;
    let code = |m: &str| AnnotationCode::from_mnemonic(m);
    let (on, off) = (
        Some(AnnotationCode::WAVE_ON),
        Some(AnnotationCode::WAVE_OFF),
    );
    let (p, nq, t) = (code("p"), code("N"), code("t"));
    // waves: (kind 0 P / 1 QRS / 2 T, onset, peak, offset)
    let mut waves: Vec<(u8, Option<i64>, i64, Option<i64>)> = Vec::new();
    let mut i = 0;
    while i < a.len() {
        let c = Some(a[i].code);
        let kind = if c == p {
            0
        } else if c == nq {
            1
        } else if c == t {
            2
        } else {
            i += 1;
            continue;
        };
        let onset = (i > 0 && Some(a[i - 1].code) == on).then(|| a[i - 1].sample);
        let mut j = i;
        while j + 1 < a.len() && Some(a[j + 1].code) == c {
            j += 1;
        }
        let offset = (j + 1 < a.len() && Some(a[j + 1].code) == off).then(|| a[j + 1].sample);
        waves.push((kind, onset, a[i].sample, offset));
        i = j + 1;
    }
    let p_win = (0.4 * fs).round() as i64;
    let t_win = (0.7 * fs).round() as i64;
    let mut out = Vec::new();
    for (k, w) in waves.iter().enumerate() {
        if w.0 != 1 {
            continue;
        }
        let mut b = MarkedBeat {
            qrs_peak: w.2,
            qrs_on: w.1,
            qrs_off: w.3,
            ..Default::default()
        };
        if let Some(pw) = waves[..k]
            .iter()
            .rev()
            .take_while(|x| x.0 != 1)
            .find(|x| x.0 == 0 && w.2 - x.2 <= p_win && x.2 < w.2)
        {
            b.p_on = pw.1;
            b.p_peak = Some(pw.2);
            b.p_off = pw.3;
        }
        if let Some(tw) = waves[k + 1..]
            .iter()
            .take_while(|x| x.0 != 1)
            .find(|x| x.0 == 2 && x.2 - w.2 <= t_win && x.2 > w.2)
        {
            b.t_peak = Some(tw.2);
            b.t_off = tw.3;
        }
        out.push(b);
    }
    out
}

/// For each reference beat, the index of the test beat whose QRS peak is nearest, when
/// within `window` samples. `test` must be sorted by QRS peak.
pub fn match_marked(
    reference: &[MarkedBeat],
    test: &[MarkedBeat],
    window: i64,
) -> Vec<Option<usize>> {
    reference
        .iter()
        .map(|r| {
            let k = test.partition_point(|t| t.qrs_peak < r.qrs_peak);
            [k.checked_sub(1), (k < test.len()).then_some(k)]
                .into_iter()
                .flatten()
                .min_by_key(|&j| (test[j].qrs_peak - r.qrs_peak).abs())
                .filter(|&j| (test[j].qrs_peak - r.qrs_peak).abs() <= window)
        })
        .collect()
}

/// Errors collected per boundary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaveErrors {
    /// Reference marks per boundary (in [`Boundary::ALL`] order).
    pub reference: [u64; 5],
    /// Test minus reference (ms) for every reference mark the test also gives.
    pub errors_ms: [Vec<f64>; 5],
}

impl WaveErrors {
    /// Adds one reference beat and its matched test beat (if any).
    pub fn add(&mut self, reference: &MarkedBeat, test: Option<&MarkedBeat>, fs: f64) {
        self.add_best(reference, &[test], fs);
    }

    /// Adds one reference beat compared with several candidate test beats (for example
    /// one per lead); per boundary the candidate nearest to the reference counts (the
    /// "best lead" convention of single-lead delineators).
    pub fn add_best(&mut self, reference: &MarkedBeat, tests: &[Option<&MarkedBeat>], fs: f64) {
        for b in Boundary::ALL {
            let Some(r) = reference.get(b) else {
                continue;
            };
            self.reference[b.index()] += 1;
            let best = tests
                .iter()
                .flatten()
                .filter_map(|t| t.get(b))
                .min_by_key(|&v| (v - r).abs());
            if let Some(v) = best {
                self.errors_ms[b.index()].push((v - r) as f64 * 1000.0 / fs);
            }
        }
    }

    /// Pools another set of errors into this one.
    pub fn merge(&mut self, other: &WaveErrors) {
        for k in 0..5 {
            self.reference[k] += other.reference[k];
            self.errors_ms[k].extend_from_slice(&other.errors_ms[k]);
        }
    }

    /// Statistics per boundary.
    pub fn stats(&self) -> Vec<BoundaryStats> {
        Boundary::ALL
            .iter()
            .map(|&b| {
                let e = &self.errors_ms[b.index()];
                let n = e.len();
                let mean = (n > 0).then(|| e.iter().sum::<f64>() / n as f64);
                let sd = mean.filter(|_| n > 1).map(|m| {
                    (e.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt()
                });
                BoundaryStats {
                    boundary: b,
                    reference: self.reference[b.index()],
                    found: n as u64,
                    mean_ms: mean,
                    sd_ms: sd,
                }
            })
            .collect()
    }
}

/// Mean and standard deviation of one boundary's errors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoundaryStats {
    /// The boundary.
    pub boundary: Boundary,
    /// Reference marks.
    pub reference: u64,
    /// Reference marks for which the test gave the boundary.
    pub found: u64,
    /// Mean error (ms), test minus reference.
    pub mean_ms: Option<f64>,
    /// Standard deviation of the errors (ms, n - 1).
    pub sd_ms: Option<f64>,
}

/// A Markdown table: one row per (name, statistics), columns `mean ± SD (found/ref)` per
/// boundary, and a last row with the CSE tolerances.
pub fn markdown_table(rows: &[(String, Vec<BoundaryStats>)]) -> String {
    let mut s = String::from("| delineator |");
    for b in Boundary::ALL {
        s += &format!(" {} (ms) |", b.name());
    }
    s += "\n|---|";
    s += &"---:|".repeat(5);
    s += "\n";
    for (name, stats) in rows {
        s += &format!("| {name} |");
        for st in stats {
            match (st.mean_ms, st.sd_ms) {
                (Some(m), Some(d)) => {
                    s += &format!(" {m:+.1} ± {d:.1} ({}/{}) |", st.found, st.reference)
                }
                // one error only: a mean but no standard deviation
                (Some(m), None) => s += &format!(" {m:+.1} ± - ({}/{}) |", st.found, st.reference),
                _ => s += &format!(" - ({}/{}) |", st.found, st.reference),
            }
        }
        s += "\n";
    }
    s += "| CSE tolerance (2 s_CSE) |";
    for b in Boundary::ALL {
        s += &format!(" SD ≤ {} |", b.cse_tolerance_ms());
    }
    s += "\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::Annotation;

    fn set(marks: &[(i64, &str)]) -> AnnotationSet {
        AnnotationSet {
            annotator: "q1c".into(),
            fs: Some(250.0),
            annotations: marks
                .iter()
                .map(|&(s, m)| Annotation::new(s, AnnotationCode::from_mnemonic(m).unwrap()))
                .collect(),
        }
    }

    #[test]
    fn parses_marks_and_scores_errors() {
        // beat 1: full marks; beat 2: no P onset, biphasic T written as two t marks
        let r = set(&[
            (100, "("),
            (110, "p"),
            (120, ")"),
            (130, "("),
            (140, "N"),
            (150, ")"),
            (190, "t"),
            (220, ")"),
            (300, "p"),
            (310, ")"),
            (320, "("),
            (330, "N"),
            (340, ")"),
            (360, "("),
            (370, "t"),
            (390, "t"),
            (400, ")"),
        ]);
        let beats = marked_beats(&r, 250.0);
        assert_eq!(beats.len(), 2);
        assert_eq!(
            beats[0],
            MarkedBeat {
                qrs_peak: 140,
                p_on: Some(100),
                p_peak: Some(110),
                p_off: Some(120),
                qrs_on: Some(130),
                qrs_off: Some(150),
                t_peak: Some(190),
                t_off: Some(220),
            }
        );
        assert_eq!(beats[1].p_on, None);
        assert_eq!(beats[1].p_off, Some(310));
        assert_eq!((beats[1].t_peak, beats[1].t_off), (Some(370), Some(400)));
        // test beats 2 samples (8 ms) late everywhere, the second without T
        let mut t = beats.clone();
        for b in &mut t {
            for v in [
                &mut b.p_on,
                &mut b.p_off,
                &mut b.qrs_on,
                &mut b.qrs_off,
                &mut b.t_off,
            ] {
                *v = v.map(|x| x + 2);
            }
            b.qrs_peak += 3;
        }
        t[1].t_off = None;
        let m = match_marked(&beats, &t, 37);
        assert_eq!(m, vec![Some(0), Some(1)]);
        let mut e = WaveErrors::default();
        for (rb, mm) in beats.iter().zip(&m) {
            e.add(rb, mm.map(|j| &t[j]), 250.0);
        }
        let st = e.stats();
        assert_eq!(st[0].reference, 1); // P on
        assert_eq!(st[1].reference, 2); // P off
        assert_eq!((st[4].reference, st[4].found), (2, 1)); // T off, one missing
        assert_eq!(st[2].mean_ms, Some(8.0));
        assert_eq!(st[2].sd_ms, Some(0.0));
        assert_eq!(st[4].sd_ms, None);
        let table = markdown_table(&[("test".into(), st)]);
        assert!(table.contains("| test | +8.0 ± - (1/1) |"), "{table}");
        assert!(table.contains("SD ≤ 30.6"));
        // best of two candidates per boundary
        let mut far = t[0];
        far.qrs_on = far.qrs_on.map(|v| v + 10);
        let mut e2 = WaveErrors::default();
        e2.add_best(&beats[0], &[Some(&far), Some(&t[0])], 250.0);
        assert_eq!(e2.errors_ms[2], vec![8.0]);
        // nothing within the window
        assert_eq!(match_marked(&beats, &t, 2), vec![None, None]);
        assert_eq!(match_marked(&beats, &[], 10), vec![None, None]);
    }
}
